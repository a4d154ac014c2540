/*
 * Collecting an evidence bundle (cloister/evidence.h).  The order is
 * forced by the binding (identity.h): the GPU nonce depends on the key,
 * config and caller nonce only, so the GPU answers first; REPORTDATA then
 * commits to the GPU report's digest, and the TD quote comes last.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "crypto.h"
#include "identity.h"
#include "json_out.h"
#include "nvml.h"
#include "sim_gpu.h"
#include "sim_rtmr.h"
#include "sim_tdx.h"
#include "tsm.h"
#include "util.h"

#define EXE_MAX		(256u * 1024 * 1024)
#define SIM_MRTD_LABEL	"cloister-sim-mrtd/1"

struct gpu_part {
	const char	*provider;	/* "nvml", "sim" or NULL: none */
	uint8_t		 nonce[IDENTITY_GPU_NONCE_LEN];
	uint8_t		*report;	/* borrowed from one of below */
	size_t		 report_len;
	const char	*chain;
	size_t		 chain_len;
	char		 status[CLOISTER_DETAIL_MAX];
	struct nvml_evidence nv;
	struct sim_gpu_evidence sim;
};

struct tdx_part {
	const char	*provider;	/* "configfs-tsm", "tdx_guest", "sim" */
	uint8_t		*quote;
	size_t		 len;
	struct sim_tdx	*sim;
};

static const char *
or_default(const char *s, const char *d)
{
	return s != NULL ? s : d;
}

/* ---- GPU ------------------------------------------------------------------ */

static int
collect_gpu(const struct cloister_collect_opts *o, int sim_tee,
    struct gpu_part *g, char *why, size_t whylen)
{
	const char *mode = or_default(o->gpu, "auto");
	int r;

	if (strcmp(mode, "none") == 0) {
		snprintf(g->status, sizeof(g->status), "not collected "
		    "(--gpu none)");
		return 0;
	}
	if (strcmp(mode, "sim") == 0 ||
	    (strcmp(mode, "auto") == 0 && sim_tee)) {
		if ((r = sim_gpu_collect(g->nonce, o->now, &g->sim)) != 0)
			return util_fail(r, why, whylen, "the simulated GPU "
			    "failed: %s", cloister_strerror(r));
		g->provider = "sim";
		g->report = g->sim.report;
		g->report_len = g->sim.report_len;
		g->chain = g->sim.chain_pem;
		g->chain_len = g->sim.chain_len;
		snprintf(g->status, sizeof(g->status), "SIMULATED GPU "
		    "(Hopper, Confidential Computing mode ON)");
		return 0;
	}
	if (strcmp(mode, "nvgpu") != 0 && strcmp(mode, "auto") != 0)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "unknown GPU provider \"%s\" (auto, none, nvgpu, sim)", mode);
	r = nvml_collect(o->nvml_lib, 0, g->nonce, &g->nv);
	snprintf(g->status, sizeof(g->status), "%s", g->nv.state);
	if (r == CLOISTER_ERR_NOT_AVAILABLE && strcmp(mode, "auto") == 0)
		return 0;	/* no CC GPU: the bundle says why */
	if (r != 0)
		return util_fail(r, why, whylen, "NVIDIA GPU: %s",
		    g->nv.state[0] != '\0' ? g->nv.state :
		    cloister_strerror(r));
	g->provider = "nvml";
	g->report = g->nv.report;
	g->report_len = g->nv.report_len;
	g->chain = g->nv.chain_pem;
	g->chain_len = g->nv.chain_len;
	return 0;
}

/* ---- TDX ------------------------------------------------------------------ */

static void
rtmr_extend(uint8_t rtmr[48], const uint8_t digest[48])
{
	uint8_t buf[96];

	memcpy(buf, rtmr, 48);
	memcpy(buf + 48, digest, 48);
	crypto_sha384(buf, sizeof(buf), rtmr);
}

/* MRTD of the binary at path, hashed once per process: the running
 * binary (/proc/self/exe) cannot change under us, and hashing megabytes
 * on every /v1/attestation would be work done again for nothing. */
static pthread_mutex_t mrtd_lock = PTHREAD_MUTEX_INITIALIZER;
static char mrtd_path[4096];
static uint8_t mrtd_cached[48];

static int
sim_mrtd(const char *path, uint8_t mrtd[48], char *why, size_t whylen)
{
	uint8_t *exe = NULL, d[48], buf[sizeof(SIM_MRTD_LABEL) + 48];
	size_t len;
	int r = 0;

	pthread_mutex_lock(&mrtd_lock);
	if (strcmp(mrtd_path, path) == 0) {
		memcpy(mrtd, mrtd_cached, 48);
		goto out;
	}
	if ((r = util_read_file(path, EXE_MAX, &exe, &len)) != 0) {
		r = util_fail(r, why, whylen, "cannot read %s to measure the "
		    "simulated TD", path);
		goto out;
	}
	r = crypto_sha384(exe, len, d);
	free(exe);
	memcpy(buf, SIM_MRTD_LABEL, sizeof(SIM_MRTD_LABEL));
	memcpy(buf + sizeof(SIM_MRTD_LABEL), d, sizeof(d));
	if (r == 0 && (r = crypto_sha384(buf, sizeof(buf), mrtd)) == 0 &&
	    strlen(path) < sizeof(mrtd_path)) {
		memcpy(mrtd_cached, mrtd, 48);
		snprintf(mrtd_path, sizeof(mrtd_path), "%s", path);
	}
 out:
	pthread_mutex_unlock(&mrtd_lock);
	return r;
}

/*
 * The simulated TD's measurements: MRTD covers the running binary,
 * RTMR[2] has the config hash extended into it (docs/FORMATS.md §8), so a
 * verifier's policy can pin both as it would on real TDX; RTMR[3] is the
 * process's simulated register, which workspaces extend (sim_rtmr.h).
 */
static int
sim_measure(const struct cloister_collect_opts *o, struct sim_tdx_measure *m,
    char *why, size_t whylen)
{
	uint8_t d[48];
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = sim_mrtd(or_default(o->self_exe, "/proc/self/exe"), m->mrtd,
	    why, whylen)) != 0)
		return r;
	memset(d, 0, sizeof(d));
	memcpy(d, o->config_sha256, sizeof(o->config_sha256));
	rtmr_extend(m->rtmr[2], d);
	sim_rtmr3_read(m->rtmr[3]);
	return 0;
}

static int
collect_tdx(const struct cloister_collect_opts *o, int sim,
    const uint8_t rd[64], struct tdx_part *t, char *why, size_t whylen)
{
	const char *root = or_default(o->tsm_root, TSM_REPORT_ROOT);
	const char *dev = or_default(o->tdx_dev, TDX_GUEST_DEV);
	struct sim_tdx_measure m;
	int r;

	if (sim) {
		t->provider = "sim";
		if ((r = sim_measure(o, &m, why, whylen)) != 0)
			return r;
		if ((r = sim_tdx_new(o->now, &t->sim)) != 0 ||
		    (r = sim_tdx_quote(t->sim, &m, rd, &t->quote,
		    &t->len)) != 0)
			return util_fail(r, why, whylen, "the simulated TDX "
			    "platform failed: %s", cloister_strerror(r));
		return 0;
	}
	if (tsm_available(root)) {
		t->provider = "configfs-tsm";
		return tsm_tdx_quote(root, rd, &t->quote, &t->len, why,
		    whylen);
	}
	t->provider = "tdx_guest";
	return tdx_guest_quote(dev, rd, &t->quote, &t->len, why, whylen);
}

/* Whether this machine can give TDX quotes at all. */
static int
tdx_present(const struct cloister_collect_opts *o)
{
	return tsm_available(or_default(o->tsm_root, TSM_REPORT_ROOT)) ||
	    util_file_exists(or_default(o->tdx_dev, TDX_GUEST_DEV));
}

/* ---- the bundle ------------------------------------------------------------ */

static json_t *
gpu_json(const struct gpu_part *g)
{
	json_t *o, *rims, *ocsp;

	if (g->provider == NULL)
		return json_null();
	o = json_pack("{s:s,s:o,s:o,s:s%}", "provider", g->provider,
	    "nonce", jx_hex(g->nonce, sizeof(g->nonce)),
	    "report", jx_base64(g->report, g->report_len),
	    "certificate_chain", g->chain, g->chain_len);
	rims = json_array();
	ocsp = json_array();
	if (o == NULL || rims == NULL || ocsp == NULL) {
		json_decref(o);
		json_decref(rims);
		json_decref(ocsp);
		return NULL;
	}
	if (g->sim.rims[0].xml != NULL) {
		for (size_t i = 0; i < 2; i++)
			json_array_append_new(rims, json_pack("{s:s,s:o}",
			    "id", g->sim.rims[i].id, "xml",
			    jx_base64((const uint8_t *)g->sim.rims[i].xml,
			    g->sim.rims[i].len)));
		for (size_t i = 0; i < g->sim.nocsp; i++)
			json_array_append_new(ocsp, jx_base64(g->sim.ocsp[i],
			    g->sim.ocsp_len[i]));
	}
	json_object_set_new(o, "rims", rims);
	json_object_set_new(o, "ocsp", ocsp);
	return o;
}

static json_t *
evidence_obj(const struct cloister_collect_opts *o, const struct tdx_part *t,
    const struct gpu_part *g, const uint8_t rd[64], const uint8_t *gpu_hash)
{
	char created[UTIL_TIME_STR_LEN];
	json_t *col;

	util_format_time(o->now, created);
	col = t->sim != NULL ? json_deep_copy(sim_tdx_collateral(t->sim)) :
	    json_null();
	json_t *e;

	e = json_pack("{s:b,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:s}",
	    "simulated", t->sim != NULL,
	    "tee", "tdx",
	    "provider", t->provider,
	    "created", created,
	    "public_key", jx_hex(o->public_key, sizeof(o->public_key)),
	    "config_sha256", jx_hex(o->config_sha256,
	    sizeof(o->config_sha256)),
	    "nonce", o->nonce != NULL ? jx_hex(o->nonce, o->nonce_len) :
	    json_null(),
	    "report_data", jx_hex(rd, 64),
	    "gpu_sha384", gpu_hash != NULL ? jx_hex(gpu_hash, 48) :
	    json_null(),
	    "quote", jx_base64(t->quote, t->len),
	    "collateral", col,
	    "gpu", gpu_json(g),
	    "gpu_status", g->status);
	if (e != NULL && o->tls_spki_sha256 != NULL)
		json_object_set_new(e, "tls_spki_sha256",
		    jx_hex(o->tls_spki_sha256, 32));
	if (e != NULL && o->rtmr3_events != NULL &&
	    json_object_set_new(e, "rtmr3_events", json_loadb(
	    o->rtmr3_events, o->rtmr3_events_len, JSON_REJECT_DUPLICATES,
	    NULL)) != 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/*
 * {"format": …, "evidence": {…}, "signature": hex} where the instance
 * key signs the exact bytes of the "evidence" value: the key is bound
 * into REPORTDATA, so no field can change without breaking one or the
 * other.
 */
static int
bundle_json(const struct cloister_collect_opts *o, const struct tdx_part *t,
    const struct gpu_part *g, const uint8_t rd[64], const uint8_t *gpu_hash,
    char **out, size_t *len)
{
	uint8_t sig[64];
	char hex[2 * sizeof(sig) + 1];
	char *ev = NULL, *doc = NULL;
	json_t *e;
	size_t cap;
	int n, r = CLOISTER_ERR_ALLOC;

	if ((e = evidence_obj(o, t, g, rd, gpu_hash)) == NULL)
		return r;
	ev = json_dumps(e, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(e);
	if (ev == NULL)
		return r;
	if ((r = o->sign(o->sign_ctx, ev, strlen(ev), sig)) != 0)
		goto out;
	util_hex_encode(sig, sizeof(sig), hex);
	cap = strlen(ev) + 256;
	r = CLOISTER_ERR_ALLOC;
	if ((doc = malloc(cap)) == NULL)
		goto out;
	n = snprintf(doc, cap, "{\n\"format\": \"%s\",\n\"evidence\": %s,\n"
	    "\"signature\": \"%s\"\n}\n", CLOISTER_EVIDENCE_FORMAT, ev, hex);
	if (n < 0 || (size_t)n >= cap) {
		r = CLOISTER_ERR_INTERNAL;
		goto out;
	}
	*out = doc;
	*len = (size_t)n;
	doc = NULL;
	r = 0;
 out:
	free(doc);
	free(ev);
	return r;
}

static int
choose_tee(const struct cloister_collect_opts *o, int *sim, char *warn,
    size_t warnlen, char *why, size_t whylen)
{
	const char *p = or_default(o->provider, "auto");

	*sim = 0;
	if (strcmp(p, "sim") == 0)
		*sim = 1;
	else if (strcmp(p, "tdx") == 0) {
		if (!tdx_present(o))
			return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why,
			    whylen, "no TDX here: neither configfs-tsm (%s) "
			    "nor %s", or_default(o->tsm_root,
			    TSM_REPORT_ROOT), or_default(o->tdx_dev,
			    TDX_GUEST_DEV));
	} else if (strcmp(p, "auto") == 0) {
		if (!tdx_present(o)) {
			*sim = 1;
			snprintf(warn, warnlen, "WARNING: no TDX on this "
			    "machine (no configfs-tsm, no /dev/tdx_guest): "
			    "using the SIMULATED TEE. This evidence proves "
			    "nothing about hardware; verifiers refuse it "
			    "unless told --allow-simulated.");
		}
	} else
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "unknown TEE provider \"%s\" (auto, tdx, sim)", p);
	return 0;
}

int
cloister_evidence_collect(const struct cloister_collect_opts *o, char **json,
    size_t *len, struct cloister_collect_info *info, char *warn,
    size_t warnlen, char *why, size_t whylen)
{
	struct identity_binding b;
	struct gpu_part *g;
	struct tdx_part t = { .provider = NULL };
	uint8_t rd[64], gpu_hash[48];
	int sim, r;

	*json = NULL;
	*len = 0;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (warn != NULL && warnlen > 0)
		warn[0] = '\0';
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (o->sign == NULL)
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "no signing key for the bundle");
	if (o->nonce_len > CLOISTER_EVIDENCE_NONCE_MAX ||
	    (o->nonce == NULL && o->nonce_len > 0))
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "a nonce is at most %d bytes", CLOISTER_EVIDENCE_NONCE_MAX);
	if ((r = choose_tee(o, &sim, warn, warnlen, why, whylen)) != 0)
		return r;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return CLOISTER_ERR_ALLOC;
	memset(&b, 0, sizeof(b));
	memcpy(b.pub, o->public_key, sizeof(b.pub));
	memcpy(b.config, o->config_sha256, sizeof(b.config));
	b.nonce = o->nonce;
	b.nonce_len = o->nonce_len;
	b.tls_spki = o->tls_spki_sha256;
	if ((r = identity_gpu_nonce(&b, g->nonce)) != 0 ||
	    (r = collect_gpu(o, sim, g, why, whylen)) != 0)
		goto out;
	if (g->provider != NULL) {
		if ((r = crypto_sha384(g->report, g->report_len,
		    gpu_hash)) != 0)
			goto out;
		b.gpu_hash = gpu_hash;
	}
	if ((r = identity_report_data(&b, rd)) != 0 ||
	    (r = collect_tdx(o, sim, rd, &t, why, whylen)) != 0 ||
	    (r = bundle_json(o, &t, g, rd, b.gpu_hash, json, len)) != 0)
		goto out;
	if (info != NULL) {
		info->simulated = sim;
		info->gpu = g->provider != NULL;
	}
 out:
	if (r != 0 && (why == NULL || why[0] == '\0'))
		util_fail(r, why, whylen, "%s", cloister_strerror(r));
	nvml_evidence_free(&g->nv);
	sim_gpu_evidence_free(&g->sim);
	free(g);
	free(t.quote);
	sim_tdx_free(t.sim);
	return r;
}
