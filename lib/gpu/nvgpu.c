/*
 * NVIDIA GPU report verification, offline (docs/internals/nvgpu.md):
 * research/gpu-snp-anchors.md §2.7's algorithm, every step recorded.
 *
 * The device chain is the only costly part that repeats for one GPU, so
 * the verifier keeps the last chain it saw (parsed, with the leaf's key and
 * what its certificates say) and its verdict for one time and one set of
 * OCSP responses; a repeated verification of fresh reports from the same
 * GPU then costs one P-384 verification and a digest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "crypto.h"
#include "nvcert.h"
#include "nvgpu_int.h"
#include "roots.h"
#include "steps.h"
#include "util.h"

#define NV_CHAIN_LEN	5	/* leaf, BROM, provisioner, identity, root */

struct chain_memo {
	uint8_t		 hash[CRYPTO_SHA256_LEN];
	struct x509_chain *chain;
	struct ec_pubkey *leaf_key;
	/* the verdict, for (at, flags, refs generation); generations are
	 * unique, so the refs pointer is not part of the key */
	int		 checked;
	int64_t		 at;
	unsigned	 flags;
	uint64_t	 generation;
	int		 chain_code;
	int		 rev_code;
	int		 simulated;
	char		 chain_why[X509_WHY_MAX];
	char		 rev_why[X509_WHY_MAX];
};

struct cloister_gpu_verifier {
	struct x509_cert *device_root;
	struct x509_cert *rim_root;
	struct chain_memo memo;
};

void
gpu_step(struct cloister_gpu_result *res, const char *name, int ok, int code,
    const char *fmt, ...)
{
	const struct steps_sink sink = { res->steps, &res->nsteps, &res->code,
		&res->failed_step, res->message };
	va_list ap;

	va_start(ap, fmt);
	steps_vadd(&sink, name, ok, code, fmt, ap);
	va_end(ap);
}

int
cloister_gpu_verifier_new(struct cloister_gpu_verifier **out)
{
	struct cloister_gpu_verifier *v;
	int r;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return CLOISTER_ERR_ALLOC;
	if ((r = x509_cert_parse(roots_nvidia_device_root_der,
	    roots_nvidia_device_root_der_len, &v->device_root)) != 0 ||
	    (r = x509_cert_parse(roots_nvidia_rim_root_der,
	    roots_nvidia_rim_root_der_len, &v->rim_root)) != 0) {
		cloister_gpu_verifier_free(v);
		return r;
	}
	*out = v;
	return 0;
}

static void
memo_clear(struct chain_memo *m)
{
	x509_chain_free(m->chain);
	crypto_pubkey_free(m->leaf_key);
	memset(m, 0, sizeof(*m));
}

void
cloister_gpu_verifier_free(struct cloister_gpu_verifier *v)
{
	if (v == NULL)
		return;
	memo_clear(&v->memo);
	x509_cert_free(v->device_root);
	x509_cert_free(v->rim_root);
	free(v);
}

const struct x509_cert *
gpu_anchor(const struct cloister_gpu_verifier *v,
    const struct x509_chain *chain, int rim, unsigned flags, int *simulated)
{
	const struct x509_cert *pinned = rim ? v->rim_root : v->device_root;
	const struct x509_cert *last;
	uint8_t spki[CRYPTO_SHA256_LEN];

	*simulated = 0;
	last = x509_chain_get(chain, x509_chain_len(chain) - 1);
	if (x509_cert_same_key(last, pinned))
		return pinned;
	/* The simulated root (its key is public): accepted as an anchor
	 * and flagged, so that the run fails at the "simulated" step unless
	 * the caller allows simulated evidence. */
	if (x509_cert_spki_sha256(last, spki) == 0 &&
	    memcmp(spki, rim ? roots_sim_gpu_rim_root_spki_sha256 :
	    roots_sim_gpu_device_root_spki_sha256, sizeof(spki)) == 0) {
		*simulated = 1;
		return last;
	}
	return NULL;
}

/* The report's own facts: versions, RIM IDs, FWID, NVDEC0, mode. */
static int
report_facts(struct gpu_run *r, const char *arch_chip)
{
	struct cloister_gpu_result *res = r->res;
	const struct spdm_field *f;
	enum spdm_nv_arch arch;

	arch = strcmp(res->arch, "blackwell") == 0 ? SPDM_NV_BLACKWELL :
	    SPDM_NV_HOPPER;
	if (spdm_nv_driver_version(r->m, res->driver_version) != 0 ||
	    spdm_nv_vbios_version(r->m, res->vbios_version) != 0 ||
	    spdm_nv_rim_ids(r->m, arch, res->driver_rim_id,
	    res->vbios_rim_id) != 0) {
		gpu_step(res, "report facts", 0, CLOISTER_ERR_BAD_FIELD,
		    "the report lacks a readable driver version, VBIOS "
		    "version or board identity");
		return -1;
	}
	if ((f = spdm_field(r->m, SPDM_NV_NVDEC0_STATUS)) != NULL &&
	    f->len == 1)
		res->nvdec0_status = f->value[0];
	if ((f = spdm_field(r->m, SPDM_NV_FEATURE_FLAG)) != NULL &&
	    f->len >= 1)
		res->feature_flag = f->value[0];
	if ((f = spdm_field(r->m, SPDM_NV_FWID)) != NULL &&
	    f->len == CLOISTER_GPU_HASH_LEN) {
		memcpy(res->fwid, f->value, CLOISTER_GPU_HASH_LEN);
		res->has_fwid = 1;
	}
	gpu_step(res, "report facts", 1, 0, "%s, driver %s, VBIOS %s",
	    arch_chip, res->driver_version, res->vbios_version);
	return 0;
}

static int
parse_report(struct gpu_run *r, const uint8_t *report, size_t len,
    const uint8_t *nonce)
{
	struct cloister_gpu_result *res = r->res;
	int rc;

	res->report_len = len;
	if ((rc = spdm_parse(report, len, r->m, r->why, sizeof(r->why))) != 0) {
		gpu_step(res, "parse", 0, rc, "%s", r->why);
		return rc;
	}
	res->parsed = 1;
	memcpy(res->nonce, r->m->nonce, SPDM_NONCE_LEN);
	gpu_step(res, "parse", 1, 0, "SPDM 1.1 measurements, %zu blocks, "
	    "%zu opaque fields, %zu bytes signed", r->m->nblocks,
	    r->m->nfields, r->m->signed_len);
	if (nonce == NULL)
		gpu_step(res, "nonce", 1, 0, "NOT checked: no expected nonce "
		    "given");
	else if (!util_ct_eq(nonce, r->m->nonce, SPDM_NONCE_LEN))
		gpu_step(res, "nonce", 0, CLOISTER_ERR_NONCE_MISMATCH,
		    "the report answers another nonce");
	else
		gpu_step(res, "nonce", 1, 0, "the report answers the "
		    "expected nonce");
	return 0;
}

/* Parse the chain (or reuse the memo's) and read what the certs say. */
static int
load_chain(struct gpu_run *r, const uint8_t *pem, size_t len)
{
	struct chain_memo *m = &r->v->memo;
	uint8_t hash[CRYPTO_SHA256_LEN];
	int rc;

	if ((rc = crypto_sha256(pem, len, hash)) != 0)
		return rc;
	if (m->chain != NULL && memcmp(m->hash, hash, sizeof(hash)) == 0)
		return 0;
	memo_clear(m);
	if ((rc = x509_chain_parse_pem(pem, len, &m->chain)) != 0) {
		gpu_step(r->res, "device chain", 0, rc, "the PEM chain does "
		    "not parse (%s)", cloister_strerror(rc));
		return rc;
	}
	if (x509_chain_len(m->chain) != NV_CHAIN_LEN) {
		gpu_step(r->res, "device chain", 0, CLOISTER_ERR_CHAIN,
		    "%zu certificates; NVIDIA's device chains have %d",
		    x509_chain_len(m->chain), NV_CHAIN_LEN);
		memo_clear(m);
		return CLOISTER_ERR_CHAIN;
	}
	if ((rc = x509_cert_pubkey(x509_chain_get(m->chain, 0),
	    &m->leaf_key)) != 0) {
		gpu_step(r->res, "device chain", 0, rc, "the leaf's key "
		    "cannot be used");
		memo_clear(m);
		return rc;
	}
	memcpy(m->hash, hash, sizeof(hash));
	return 0;
}

static int
chain_facts(struct gpu_run *r)
{
	struct cloister_gpu_result *res = r->res;
	const struct x509_chain *ch = r->v->memo.chain;
	int64_t na;

	x509_cert_subject_cn(x509_chain_get(ch, 1), res->hwmodel,
	    sizeof(res->hwmodel));
	x509_cert_serial_decimal(x509_chain_get(ch, 0), res->ueid,
	    sizeof(res->ueid));
	res->chain_not_after = INT64_MAX;
	for (size_t i = 0; i < x509_chain_len(ch); i++)
		if ((na = x509_cert_not_after(x509_chain_get(ch, i))) <
		    res->chain_not_after)
			res->chain_not_after = na;
	if (strncmp(res->hwmodel, "GH1", 3) == 0)
		res->arch = "hopper";
	else if (strncmp(res->hwmodel, "GB", 2) == 0)
		res->arch = "blackwell";
	else {
		gpu_step(res, "report facts", 0, CLOISTER_ERR_BAD_FIELD,
		    "unknown GPU architecture \"%s\"", res->hwmodel);
		return -1;
	}
	return 0;
}

static void
check_signature(struct gpu_run *r, const uint8_t *report)
{
	if (crypto_ecdsa_p384_verify(r->v->memo.leaf_key, report,
	    r->m->signed_len, r->m->signature) != 0)
		gpu_step(r->res, "report signature", 0, CLOISTER_ERR_SIGNATURE,
		    "the report's P-384 signature does not verify with the "
		    "leaf certificate's key");
	else
		gpu_step(r->res, "report signature", 1, 0, "ECDSA P-384 "
		    "over SHA-384 of %zu bytes, by the leaf", r->m->signed_len);
}

static void
memo_verdict(struct gpu_run *r)
{
	struct chain_memo *m = &r->v->memo;
	const struct x509_cert *anchor;

	if (m->checked && m->at == r->at && m->flags == r->flags &&
	    m->generation == r->refs->generation)
		return;
	m->chain_why[0] = m->rev_why[0] = '\0';
	m->rev_code = 0;
	if ((anchor = gpu_anchor(r->v, m->chain, 0, r->flags,
	    &m->simulated)) == NULL)
		m->chain_code = util_fail(CLOISTER_ERR_UNTRUSTED_ROOT,
		    m->chain_why, sizeof(m->chain_why), "the chain does not "
		    "end at the NVIDIA Device Identity CA");
	else
		m->chain_code = x509_chain_verify_norevocation(m->chain,
		    anchor, r->at, m->chain_why, sizeof(m->chain_why));
	if (m->chain_code == 0 && !(r->flags & CLOISTER_GPU_NO_OCSP))
		m->rev_code = x509_chain_verify_ocsp(m->chain, anchor,
		    r->refs->ocsp, r->refs->nocsp, 1, r->at, m->rev_why,
		    sizeof(m->rev_why));
	m->checked = 1;
	m->at = r->at;
	m->flags = r->flags;
	m->generation = r->refs->generation;
}

static void
check_chain(struct gpu_run *r)
{
	struct chain_memo *m = &r->v->memo;
	struct cloister_gpu_result *res = r->res;

	memo_verdict(r);
	if (m->chain_code != 0) {
		gpu_step(res, "device chain", 0, m->chain_code, "%s",
		    m->chain_why);
		return;
	}
	res->simulated |= m->simulated;
	gpu_step(res, "device chain", 1, 0, "\"%s\" to %s", res->hwmodel,
	    m->simulated ? "the SIMULATED NVIDIA root" :
	    "the pinned NVIDIA Device Identity CA");
	if (r->flags & CLOISTER_GPU_NO_OCSP)
		gpu_step(res, "device revocation", 1, 0, "NOT checked "
		    "(--no-ocsp)");
	else if (m->rev_code != 0)
		gpu_step(res, "device revocation", 0, m->rev_code, "%s",
		    m->rev_why);
	else {
		res->revocation_checked = 1;
		gpu_step(res, "device revocation", 1, 0, "OCSP: certificates "
		    "1 to 3 good");
	}
}

static void
check_fwid(struct gpu_run *r)
{
	uint8_t cert_fwid[NVCERT_FWID_LEN];
	int rc;

	rc = nvcert_fwid(x509_chain_get(r->v->memo.chain, 0), cert_fwid);
	if (!r->res->has_fwid)
		gpu_step(r->res, "fwid", 1, 0, "the report carries no FWID "
		    "(driver before 550): not compared");
	else if (rc != 0)
		gpu_step(r->res, "fwid", 0, CLOISTER_ERR_FWID_MISMATCH,
		    "the leaf certificate has no FWID extension");
	else if (memcmp(cert_fwid, r->res->fwid, NVCERT_FWID_LEN) != 0)
		gpu_step(r->res, "fwid", 0, CLOISTER_ERR_FWID_MISMATCH,
		    "the report's FWID is not the one its leaf certifies");
	else
		gpu_step(r->res, "fwid", 1, 0, "the report's FWID is the "
		    "leaf's");
}

static void
run_steps(struct gpu_run *r, const uint8_t *report, size_t len,
    const uint8_t *chain_pem, size_t chain_len, const uint8_t *nonce)
{
	char chip[X509_CN_MAX];

	if (parse_report(r, report, len, nonce) != 0 ||
	    load_chain(r, chain_pem, chain_len) != 0 || chain_facts(r) != 0)
		return;
	snprintf(chip, sizeof(chip), "%s", r->res->hwmodel);
	if (report_facts(r, chip) != 0)
		return;
	check_signature(r, report);
	check_chain(r);
	check_fwid(r);
	gpu_check_rims(r);
	gpu_compare(r);
}

int
cloister_verify_gpu(struct cloister_gpu_verifier *v, const uint8_t *report,
    size_t len, const uint8_t *chain_pem, size_t chain_len,
    const uint8_t *nonce, struct cloister_gpu_refs *refs, int64_t at,
    int64_t rim_at, unsigned flags, struct cloister_gpu_result *res)
{
	struct gpu_run r;

	memset(res, 0, sizeof(*res));
	res->nvdec0_status = res->feature_flag = -1;
	memset(&r, 0, sizeof(r));
	if ((r.m = malloc(sizeof(*r.m))) == NULL) {
		gpu_step(res, "parse", 0, CLOISTER_ERR_ALLOC, "out of memory");
		return res->code;
	}
	r.v = v;
	r.res = res;
	r.refs = refs;
	r.at = at;
	r.rim_at = rim_at;
	r.flags = flags;
	run_steps(&r, report, len, chain_pem, chain_len, nonce);
	free(r.m);
	if (res->code == 0 && res->simulated &&
	    !(flags & CLOISTER_VERIFY_ALLOW_SIMULATED))
		gpu_step(res, "simulated", 0, CLOISTER_ERR_SIMULATED,
		    "SIMULATED evidence");
	res->verified = res->code == 0;
	return res->code;
}
