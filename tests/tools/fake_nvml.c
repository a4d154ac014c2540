/*
 * A stand-in for libnvidia-ml.so.1 for tests/unit/test_nvml.c: the NVML
 * symbols nvml.c loads, with the layouts of lib/gpu/nvml.h, behaving as the
 * environment says.  FAKE_NVML_MODE:
 *   cc-on      one Hopper GPU in CC mode: the report is the bytes of the
 *              file FAKE_NVML_REPORT, the attestation chain those of
 *              FAKE_NVML_CHAIN, nothing else is filled in; the nonce
 *              passed must equal the hex FAKE_NVML_NONCE, else
 *              NVML_ERROR_INVALID_ARGUMENT
 *   cc-off     ccFeature 0; the report and certificate calls answer 999,
 *              as a real H100 with CC off does
 *   cc-unknown the CC state call is not supported; the report call 999
 *   devtools   CC on in devtools mode
 *   oversize   CC on, but the report size NVML claims exceeds its buffer
 *   no-gpu     no device
 *   init-fail  nvmlInit_v2 answers NVML_ERROR_DRIVER_NOT_LOADED
 * Every call but nvmlInit_v2 and nvmlErrorString needs an initialised
 * library, as the real one does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_ABI
#include "nvml.h"

#define NVML_ERROR_UNINITIALIZED	1

struct nvmlDevice_st {
	unsigned int index;
};

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t);
nvmlReturn_t nvmlSystemGetConfComputeState(nvmlConfComputeSystemState_t *);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int, nvmlDevice_t *);
nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t, unsigned int *);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t, char *, unsigned int);
nvmlReturn_t nvmlSystemGetDriverVersion(char *, unsigned int);
nvmlReturn_t nvmlDeviceGetVbiosVersion(nvmlDevice_t, char *, unsigned int);
nvmlReturn_t nvmlSystemGetConfComputeGpusReadyState(unsigned int *);
nvmlReturn_t nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t,
    nvmlConfComputeGpuAttestationReport_t *);
nvmlReturn_t nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t,
    nvmlConfComputeGpuCertificate_t *);

static struct nvmlDevice_st gpu0;
static int initialised;

static int
mode(const char *m)
{
	const char *v = getenv("FAKE_NVML_MODE");

	return v != NULL && strcmp(v, m) == 0;
}

static int
cc_on(void)
{
	return mode("cc-on") || mode("devtools") || mode("oversize");
}

/* The whole file at the path in env into buf; -1 if missing or too big. */
static long
slurp(const char *env, unsigned char *buf, size_t cap)
{
	const char *path = getenv(env);
	FILE *f;
	size_t n;
	int extra;

	if (path == NULL || (f = fopen(path, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, cap, f);
	extra = fgetc(f);
	fclose(f);
	return extra == EOF ? (long)n : -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
nonce_expected(const unsigned char *nonce)
{
	const char *hex = getenv("FAKE_NVML_NONCE");
	size_t i;
	int hi, lo;

	if (hex == NULL || strlen(hex) != 2 * NVML_CC_GPU_CEC_NONCE_SIZE)
		return 0;
	for (i = 0; i < NVML_CC_GPU_CEC_NONCE_SIZE; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0 || nonce[i] != (unsigned)(hi << 4 | lo))
			return 0;
	}
	return 1;
}

static nvmlReturn_t
text(char *out, unsigned int len, const char *s)
{
	if (out == NULL || len <= strlen(s))
		return NVML_ERROR_INVALID_ARGUMENT;
	memcpy(out, s, strlen(s) + 1);
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlInit_v2(void)
{
	if (mode("init-fail"))
		return NVML_ERROR_DRIVER_NOT_LOADED;
	initialised = 1;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlShutdown(void)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	initialised = 0;
	return NVML_SUCCESS;
}

const char *
nvmlErrorString(nvmlReturn_t rc)
{
	switch (rc) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_UNINITIALIZED:
		return "Uninitialized";
	case NVML_ERROR_INVALID_ARGUMENT:
		return "Invalid Argument";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "Driver Not Loaded";
	default:
		return "Unknown Error";
	}
}

nvmlReturn_t
nvmlSystemGetConfComputeState(nvmlConfComputeSystemState_t *s)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	if (mode("cc-unknown"))
		return NVML_ERROR_NOT_SUPPORTED;
	s->environment = 2;	/* PROD */
	s->ccFeature = cc_on() ? NVML_CC_SYSTEM_FEATURE_ENABLED : 0;
	s->devToolsMode = mode("devtools") ? NVML_CC_SYSTEM_DEVTOOLS_MODE_ON :
	    0;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetCount_v2(unsigned int *n)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	*n = mode("no-gpu") ? 0 : 1;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *dev)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	if (mode("no-gpu") || i != 0)
		return NVML_ERROR_INVALID_ARGUMENT;
	*dev = &gpu0;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetArchitecture(nvmlDevice_t dev, unsigned int *arch)
{
	if (!initialised || dev != &gpu0)
		return NVML_ERROR_INVALID_ARGUMENT;
	*arch = NVML_DEVICE_ARCH_HOPPER;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetUUID(nvmlDevice_t dev, char *uuid, unsigned int len)
{
	if (!initialised || dev != &gpu0)
		return NVML_ERROR_INVALID_ARGUMENT;
	return text(uuid, len, "GPU-11111111-2222-3333-4444-555555555555");
}

nvmlReturn_t
nvmlSystemGetDriverVersion(char *v, unsigned int len)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	return text(v, len, "550.90.07");
}

nvmlReturn_t
nvmlDeviceGetVbiosVersion(nvmlDevice_t dev, char *v, unsigned int len)
{
	if (!initialised || dev != &gpu0)
		return NVML_ERROR_INVALID_ARGUMENT;
	return text(v, len, "96.00.9F.00.01");
}

nvmlReturn_t
nvmlSystemGetConfComputeGpusReadyState(unsigned int *ready)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	*ready = 0;	/* nobody has attested the GPU yet */
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t dev,
    nvmlConfComputeGpuAttestationReport_t *r)
{
	long n;

	if (!initialised || dev != &gpu0)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (!cc_on())
		return NVML_ERROR_UNKNOWN;
	if (mode("oversize")) {
		r->attestationReportSize = sizeof(r->attestationReport) + 1;
		return NVML_SUCCESS;
	}
	if (!nonce_expected(r->nonce))
		return NVML_ERROR_INVALID_ARGUMENT;
	n = slurp("FAKE_NVML_REPORT", r->attestationReport,
	    sizeof(r->attestationReport));
	if (n < 0)
		return NVML_ERROR_UNKNOWN;
	r->attestationReportSize = (unsigned int)n;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t dev,
    nvmlConfComputeGpuCertificate_t *c)
{
	long n;

	if (!initialised || dev != &gpu0)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (!cc_on())
		return NVML_ERROR_UNKNOWN;
	n = slurp("FAKE_NVML_CHAIN", c->attestationCertChain,
	    sizeof(c->attestationCertChain));
	if (n < 0)
		return NVML_ERROR_UNKNOWN;
	c->attestationCertChainSize = (unsigned int)n;
	return NVML_SUCCESS;
}
