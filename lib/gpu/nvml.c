/*
 * NVIDIA GPU evidence through a run-time loaded NVML; see nvml.h.
 *
 * NVML itself is trusted no more than the GPU's report: every size it
 * hands back is checked against the buffer it came in before a byte is
 * copied out.  The verdicts on what the GPU is (CC off, devtools) are
 * taken from NVML's answers before the report is asked for, so a GPU in
 * devtools mode never yields evidence that looks like production.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_ABI
#include "cloister/error.h"
#include "nvml.h"
#include "util.h"

struct nvml_fns {
	void		*dl;
	nvmlReturn_t	(*init)(void);
	nvmlReturn_t	(*shutdown)(void);
	const char	*(*error_string)(nvmlReturn_t);
	nvmlReturn_t	(*cc_state)(nvmlConfComputeSystemState_t *);
	nvmlReturn_t	(*count)(unsigned int *);
	nvmlReturn_t	(*handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t	(*arch)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t	(*uuid)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t	(*driver)(char *, unsigned int);
	nvmlReturn_t	(*vbios)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t	(*ready)(unsigned int *);
	nvmlReturn_t	(*report)(nvmlDevice_t,
			    nvmlConfComputeGpuAttestationReport_t *);
	nvmlReturn_t	(*cert)(nvmlDevice_t, nvmlConfComputeGpuCertificate_t *);
};

/* POSIX dlsym(): a data pointer holds any function pointer. */
_Static_assert(sizeof(void *) == sizeof(nvmlReturn_t (*)(void)),
    "function pointers must fit dlsym()'s void *");

static const struct {
	const char	*name;
	size_t		 off;
} syms[] = {
	{ "nvmlInit_v2", offsetof(struct nvml_fns, init) },
	{ "nvmlShutdown", offsetof(struct nvml_fns, shutdown) },
	{ "nvmlErrorString", offsetof(struct nvml_fns, error_string) },
	{ "nvmlSystemGetConfComputeState", offsetof(struct nvml_fns,
	    cc_state) },
	{ "nvmlDeviceGetCount_v2", offsetof(struct nvml_fns, count) },
	{ "nvmlDeviceGetHandleByIndex_v2", offsetof(struct nvml_fns,
	    handle) },
	{ "nvmlDeviceGetArchitecture", offsetof(struct nvml_fns, arch) },
	{ "nvmlDeviceGetUUID", offsetof(struct nvml_fns, uuid) },
	{ "nvmlSystemGetDriverVersion", offsetof(struct nvml_fns, driver) },
	{ "nvmlDeviceGetVbiosVersion", offsetof(struct nvml_fns, vbios) },
	{ "nvmlSystemGetConfComputeGpusReadyState", offsetof(struct nvml_fns,
	    ready) },
	{ "nvmlDeviceGetConfComputeGpuAttestationReport",
	    offsetof(struct nvml_fns, report) },
	{ "nvmlDeviceGetConfComputeGpuCertificate", offsetof(struct nvml_fns,
	    cert) },
};

static const char *const arch_names[] = {
	[2] = "Kepler", [3] = "Maxwell", [4] = "Pascal", [5] = "Volta",
	[6] = "Turing", [7] = "Ampere", [8] = "Ada", [9] = "Hopper",
	[10] = "Blackwell",
};

#define STATE_CC_OFF	"GPU present, Confidential Computing mode OFF"

static int
state(struct nvml_evidence *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
state(struct nvml_evidence *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->state, sizeof(e->state), fmt, ap);
	va_end(ap);
	return code;
}

static const char *
errstr(const struct nvml_fns *f, nvmlReturn_t rc)
{
	const char *s = f->error_string(rc);

	return s != NULL ? s : "unknown error";
}

static int
load(const char *libpath, struct nvml_fns *f, struct nvml_evidence *e)
{
	const char *err;
	void *p;
	size_t i;

	memset(f, 0, sizeof(*f));
	if ((f->dl = dlopen(libpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		if (err == NULL || strstr(err, "No such file") != NULL)
			return state(e, CLOISTER_ERR_NOT_AVAILABLE,
			    "no NVIDIA driver (%s not found)", libpath);
		return state(e, CLOISTER_ERR_NOT_AVAILABLE,
		    "no NVIDIA driver (%s cannot be loaded: %s)", libpath, err);
	}
	e->loaded = 1;
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((p = dlsym(f->dl, syms[i].name)) == NULL) {
			dlclose(f->dl);
			f->dl = NULL;
			return state(e, CLOISTER_ERR_NOT_AVAILABLE,
			    "NVIDIA driver too old for Confidential Computing "
			    "(%s has no %s)", libpath, syms[i].name);
		}
		memcpy((char *)f + syms[i].off, &p, sizeof(p));
	}
	return 0;
}

/* Name and versions, for people reading the state: best effort. */
static void
identity(const struct nvml_fns *f, nvmlDevice_t dev, struct nvml_evidence *e)
{
	unsigned int arch = 0;

	if (f->arch(dev, &arch) == NVML_SUCCESS) {
		e->arch = arch;
		snprintf(e->arch_name, sizeof(e->arch_name), "%s",
		    arch < sizeof(arch_names) / sizeof(arch_names[0]) &&
		    arch_names[arch] != NULL ? arch_names[arch] : "unknown");
	}
	if (f->uuid(dev, e->uuid, sizeof(e->uuid)) != NVML_SUCCESS)
		e->uuid[0] = '\0';
	if (f->driver(e->driver, sizeof(e->driver)) != NVML_SUCCESS)
		e->driver[0] = '\0';
	if (f->vbios(dev, e->vbios, sizeof(e->vbios)) != NVML_SUCCESS)
		e->vbios[0] = '\0';
	e->uuid[sizeof(e->uuid) - 1] = '\0';
	e->driver[sizeof(e->driver) - 1] = '\0';
	e->vbios[sizeof(e->vbios) - 1] = '\0';
}

static void
cc_mode(const struct nvml_fns *f, struct nvml_evidence *e)
{
	nvmlConfComputeSystemState_t cs;
	unsigned int ready = 0;
	nvmlReturn_t rc;

	memset(&cs, 0, sizeof(cs));
	if ((rc = f->cc_state(&cs)) == NVML_SUCCESS) {
		e->cc_feature = cs.ccFeature == NVML_CC_SYSTEM_FEATURE_ENABLED;
		e->devtools = cs.devToolsMode ==
		    NVML_CC_SYSTEM_DEVTOOLS_MODE_ON;
	} else
		e->nvml_rc = rc;
	if (f->ready(&ready) == NVML_SUCCESS)
		e->ready = ready == NVML_CC_ACCEPTING_CLIENT_REQUESTS_TRUE;
}

/* The attestation report call failed: say why in plain words. */
static int
report_failed(const struct nvml_fns *f, nvmlReturn_t rc,
    struct nvml_evidence *e)
{
	e->nvml_rc = rc;
	if (e->cc_feature == 1)
		return state(e, CLOISTER_ERR_IO, "GPU present, Confidential "
		    "Computing mode ON, but NVML gave no attestation report: "
		    "%s (%d)", errstr(f, rc), rc);
	if (rc == NVML_ERROR_UNKNOWN)
		return state(e, CLOISTER_ERR_NOT_AVAILABLE, STATE_CC_OFF);
	if (rc == NVML_ERROR_NOT_SUPPORTED)
		return state(e, CLOISTER_ERR_NOT_AVAILABLE, "GPU present, "
		    "Confidential Computing not supported");
	return state(e, CLOISTER_ERR_NOT_AVAILABLE, "GPU present, "
	    "Confidential Computing state unknown; NVML gave no attestation "
	    "report: %s (%d)", errstr(f, rc), rc);
}

/* NVML's size for a buffer of cap bytes: 1..cap. */
static int
check_size(unsigned int size, size_t cap, const char *what,
    struct nvml_evidence *e)
{
	if (size == 0)
		return state(e, CLOISTER_ERR_BAD_LENGTH,
		    "GPU present, but NVML returned an empty %s", what);
	if (size > cap)
		return state(e, CLOISTER_ERR_TOO_LARGE, "GPU present, but "
		    "NVML says its %s is %u bytes, more than its %zu-byte "
		    "buffer", what, size, cap);
	return 0;
}

static int
evidence(const struct nvml_fns *f, nvmlDevice_t dev,
    const uint8_t nonce[NVML_NONCE_LEN], struct nvml_evidence *e)
{
	nvmlConfComputeGpuAttestationReport_t *rep;
	nvmlConfComputeGpuCertificate_t *cert;
	uint8_t *report = NULL;
	char *chain = NULL;
	nvmlReturn_t rc;
	int r = CLOISTER_ERR_ALLOC;

	rep = calloc(1, sizeof(*rep));
	cert = calloc(1, sizeof(*cert));
	if (rep == NULL || cert == NULL) {
		state(e, r, "out of memory");
		goto out;
	}
	memcpy(rep->nonce, nonce, NVML_NONCE_LEN);
	if ((rc = f->report(dev, rep)) != NVML_SUCCESS) {
		r = report_failed(f, rc, e);
		goto out;
	}
	if ((r = check_size(rep->attestationReportSize,
	    sizeof(rep->attestationReport), "attestation report", e)) != 0)
		goto out;
	if ((rc = f->cert(dev, cert)) != NVML_SUCCESS) {
		e->nvml_rc = rc;
		r = state(e, CLOISTER_ERR_IO, "GPU present, but NVML gave no "
		    "certificate chain: %s (%d)", errstr(f, rc), rc);
		goto out;
	}
	if ((r = check_size(cert->attestationCertChainSize,
	    sizeof(cert->attestationCertChain), "certificate chain", e)) != 0)
		goto out;
	if ((report = malloc(rep->attestationReportSize)) == NULL ||
	    (chain = malloc(cert->attestationCertChainSize + 1)) == NULL) {
		r = state(e, CLOISTER_ERR_ALLOC, "out of memory");
		goto out;
	}
	memcpy(report, rep->attestationReport, rep->attestationReportSize);
	memcpy(chain, cert->attestationCertChain,
	    cert->attestationCertChainSize);
	chain[cert->attestationCertChainSize] = '\0';
	e->report = report;
	e->report_len = rep->attestationReportSize;
	e->chain_pem = chain;
	e->chain_len = cert->attestationCertChainSize;
	report = NULL;
	chain = NULL;
	r = state(e, 0, "GPU present, Confidential Computing mode ON, "
	    "evidence collected");
 out:
	free(report);
	free(chain);
	if (rep != NULL)
		util_wipe(rep, sizeof(*rep));
	if (cert != NULL)
		util_wipe(cert, sizeof(*cert));
	free(rep);
	free(cert);
	return r;
}

static int
collect(const struct nvml_fns *f, unsigned index,
    const uint8_t nonce[NVML_NONCE_LEN], struct nvml_evidence *e)
{
	nvmlDevice_t dev = NULL;
	unsigned int n = 0;
	nvmlReturn_t rc;

	if ((rc = f->count(&n)) != NVML_SUCCESS) {
		e->nvml_rc = rc;
		return state(e, CLOISTER_ERR_NOT_AVAILABLE, "NVIDIA driver "
		    "present, but it cannot count GPUs: %s (%d)",
		    errstr(f, rc), rc);
	}
	e->ngpus = n;
	if (n == 0)
		return state(e, CLOISTER_ERR_NOT_AVAILABLE, "no NVIDIA GPU");
	if (index >= n)
		return state(e, CLOISTER_ERR_NOT_AVAILABLE,
		    "no NVIDIA GPU at index %u (%u present)", index, n);
	if ((rc = f->handle(index, &dev)) != NVML_SUCCESS) {
		e->nvml_rc = rc;
		return state(e, CLOISTER_ERR_IO, "GPU present, but NVML "
		    "cannot open GPU %u: %s (%d)", index, errstr(f, rc), rc);
	}
	identity(f, dev, e);
	cc_mode(f, e);
	if (e->cc_feature == 0)
		return state(e, CLOISTER_ERR_NOT_AVAILABLE, STATE_CC_OFF);
	if (e->devtools)
		return state(e, CLOISTER_ERR_NOT_AVAILABLE, "GPU present, "
		    "Confidential Computing mode ON but devtools mode");
	return evidence(f, dev, nonce, e);
}

int
nvml_collect(const char *libpath, unsigned index,
    const uint8_t nonce[NVML_NONCE_LEN], struct nvml_evidence *e)
{
	struct nvml_fns f;
	nvmlReturn_t rc;
	int r;

	memset(e, 0, sizeof(*e));
	e->cc_feature = -1;
	e->ready = -1;
	if (nonce == NULL)
		return state(e, CLOISTER_ERR_INVALID_ARG, "no nonce given");
	if (libpath == NULL)
		libpath = NVML_LIB_DEFAULT;
	if ((r = load(libpath, &f, e)) != 0)
		return r;
	if ((rc = f.init()) != NVML_SUCCESS) {
		e->nvml_rc = rc;
		r = state(e, CLOISTER_ERR_NOT_AVAILABLE, "NVIDIA driver "
		    "present, but NVML does not start: %s (%d)",
		    errstr(&f, rc), rc);
	} else {
		r = collect(&f, index, nonce, e);
		f.shutdown();
	}
	dlclose(f.dl);
	return r;
}

void
nvml_evidence_free(struct nvml_evidence *e)
{
	if (e == NULL)
		return;
	if (e->report != NULL) {
		util_wipe(e->report, e->report_len);
		free(e->report);
	}
	if (e->chain_pem != NULL) {
		util_wipe(e->chain_pem, e->chain_len);
		free(e->chain_pem);
	}
	util_wipe(e, sizeof(*e));
}
