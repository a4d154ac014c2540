/*
 * The GPU report against NVIDIA's reference manifests: which RIM belongs
 * to the report, whether NVIDIA signed it (chain to the pinned CoRIM root,
 * revocation, XML signature), and the measurement comparison with
 * NVIDIA's rules (docs/FORMATS.md §5): only active golden values count, a
 * measurement claimed by both manifests is a conflict, and index 35 is
 * not compared when the report says NVDEC0 is disabled (0x55).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cloister/error.h"
#include "nvgpu_int.h"
#include "util.h"

#define NVDEC0_DISABLED		0x55
#define NVDEC0_INDEX		35

static const char *const src_name[2] = { "driver", "VBIOS" };
static const char *const step_rim[2] = { "driver RIM", "VBIOS RIM" };
static const char *const step_chain[2] = { "driver RIM chain",
	"VBIOS RIM chain" };
static const char *const step_sig[2] = { "driver RIM signature",
	"VBIOS RIM signature" };

/* The manifest for this source: by name (a file named after the RIM ID)
 * first, else the one whose version is the report's. */
static struct refs_rim *
find_rim(struct gpu_run *r, int src, const char *id, const char *version)
{
	struct cloister_gpu_refs *refs = r->refs;
	struct refs_rim *found = NULL;
	size_t n = 0;

	for (size_t i = 0; i < refs->nrims; i++)
		if (strcmp(refs->rims[i].name, id) == 0)
			return &refs->rims[i];
	for (size_t i = 0; i < refs->nrims; i++)
		if (strcasecmp(refs->rims[i].rim->version, version) == 0) {
			found = &refs->rims[i];
			n++;
		}
	if (n > 1) {
		gpu_step(r->res, step_rim[src], 0, CLOISTER_ERR_RIM_MISMATCH,
		    "%zu RIMs are for %s %s; give only the one for %s", n,
		    src_name[src], version, id);
		return NULL;
	}
	if (n == 0)
		gpu_step(r->res, step_rim[src], 0,
		    CLOISTER_ERR_COLLATERAL_MISSING, "no RIM for %s %s (%s) "
		    "among the %zu given", src_name[src], version, id,
		    refs->nrims);
	return found;
}

static int
check_chain(struct gpu_run *r, int src, struct refs_rim *e)
{
	const struct x509_cert *anchor;
	char cn[X509_CN_MAX] = "";

	if (!e->checked || e->checked_at != r->rim_at ||
	    e->checked_flags != r->flags) {
		e->chain_why[0] = '\0';
		anchor = gpu_anchor(r->v, e->rim->chain, 1, r->flags,
		    &e->simulated);
		if (anchor == NULL) {
			x509_cert_subject_cn(x509_chain_get(e->rim->chain,
			    x509_chain_len(e->rim->chain) - 1), cn, sizeof(cn));
			e->chain_code = util_fail(CLOISTER_ERR_UNTRUSTED_ROOT,
			    e->chain_why, sizeof(e->chain_why), "the chain "
			    "ends at \"%s\", not NVIDIA's CoRIM root", cn);
		} else if (r->flags & CLOISTER_GPU_NO_OCSP)
			e->chain_code = x509_chain_verify_norevocation(
			    e->rim->chain, anchor, r->rim_at, e->chain_why,
			    sizeof(e->chain_why));
		else
			e->chain_code = x509_chain_verify_ocsp(e->rim->chain,
			    anchor, r->refs->ocsp, r->refs->nocsp, 0,
			    r->rim_at, e->chain_why, sizeof(e->chain_why));
		e->checked = 1;
		e->checked_at = r->rim_at;
		e->checked_flags = r->flags;
	}
	if (e->chain_code != 0) {
		gpu_step(r->res, step_chain[src], 0, e->chain_code, "%s",
		    e->chain_why);
		return e->chain_code;
	}
	if (e->simulated)
		r->res->simulated = 1;
	gpu_step(r->res, step_chain[src], 1, 0, "%zu certificates to %s%s",
	    x509_chain_len(e->rim->chain), e->simulated ?
	    "the SIMULATED CoRIM root" : "NVIDIA's CoRIM root",
	    (r->flags & CLOISTER_GPU_NO_OCSP) ? ", revocation NOT checked" :
	    ", none revoked (OCSP)");
	return 0;
}

static void
check_one(struct gpu_run *r, int src, const char *id, const char *version)
{
	struct refs_rim *e;
	const struct rim *rim;

	if ((e = find_rim(r, src, id, version)) == NULL)
		return;
	rim = e->rim;
	if (strcasecmp(rim->version, version) != 0) {
		gpu_step(r->res, step_rim[src], 0, CLOISTER_ERR_RIM_MISMATCH,
		    "%s is for %s %s, the report has %s", id, src_name[src],
		    rim->version, version);
		return;
	}
	gpu_step(r->res, step_rim[src], 1, 0, "%s, version %s", id,
	    rim->version);
	r->rim[src] = rim;
	if (rim->manufacturer_id[0] != '\0' && r->res->oemid[0] == '\0')
		snprintf(r->res->oemid, sizeof(r->res->oemid), "%s",
		    rim->manufacturer_id);
	if (check_chain(r, src, e) != 0)
		return;
	if (rim->sig_code != 0)
		gpu_step(r->res, step_sig[src], 0, rim->sig_code, "%s",
		    rim->sig_why);
	else
		gpu_step(r->res, step_sig[src], 1, 0, "XML signature "
		    "(ECDSA P-384, C14N 1.1) by the chain's signer");
}

void
gpu_check_rims(struct gpu_run *r)
{
	struct cloister_gpu_result *res = r->res;

	check_one(r, 0, res->driver_rim_id, res->driver_version);
	check_one(r, 1, res->vbios_rim_id, res->vbios_version);
}

static void
add_mismatch(struct cloister_gpu_result *res, int src,
    const struct rim_measurement *g, const struct spdm_block *b)
{
	struct cloister_gpu_mismatch *mm;

	if (res->nmismatches == CLOISTER_GPU_MISMATCH_MAX)
		return;
	mm = &res->mismatches[res->nmismatches++];
	memset(mm, 0, sizeof(*mm));
	mm->index = g->index;
	mm->source = src == 0 ? CLOISTER_GPU_DRIVER : CLOISTER_GPU_VBIOS;
	mm->missing = b == NULL;
	memcpy(mm->golden, g->alt[0], RIM_HASH_LEN);
	if (b != NULL && b->len == RIM_HASH_LEN)
		memcpy(mm->runtime, b->value, RIM_HASH_LEN);
}

static int
matches(const struct rim_measurement *g, const struct spdm_block *b)
{
	if (b == NULL || b->len != g->size)
		return 0;
	for (unsigned i = 0; i < g->nalt; i++)
		if (memcmp(b->value, g->alt[i], g->size) == 0)
			return 1;
	return 0;
}

/* Active in both manifests: NVIDIA refuses to guess which one holds. */
static int
conflict(struct gpu_run *r)
{
	const struct rim_measurement *g, *o;

	for (size_t i = 0; i < r->rim[0]->nmeas; i++) {
		g = &r->rim[0]->meas[i];
		o = rim_find(r->rim[1], g->index);
		if (g->active && o != NULL && o->active) {
			gpu_step(r->res, "measurements", 0,
			    CLOISTER_ERR_MEASUREMENT_CONFLICT, "index %u is "
			    "active in both the driver and the VBIOS RIM",
			    g->index);
			return 1;
		}
	}
	return 0;
}

void
gpu_compare(struct gpu_run *r)
{
	struct cloister_gpu_result *res = r->res;
	const struct rim_measurement *g;
	const struct spdm_block *b;
	int skipped = 0;

	if (r->rim[0] == NULL || r->rim[1] == NULL) {
		gpu_step(res, "measurements", 0, CLOISTER_ERR_COLLATERAL_MISSING,
		    "not compared: the %s RIM is missing",
		    r->rim[0] == NULL ? "driver" : "VBIOS");
		return;
	}
	if (conflict(r))
		return;
	for (int src = 0; src < 2; src++)
		for (size_t i = 0; i < r->rim[src]->nmeas; i++) {
			g = &r->rim[src]->meas[i];
			if (!g->active)
				continue;
			if (g->index == NVDEC0_INDEX &&
			    res->nvdec0_status == NVDEC0_DISABLED) {
				skipped = 1;
				continue;
			}
			b = spdm_block(r->m, (uint8_t)(g->index + 1));
			res->ncompared++;
			if (!matches(g, b))
				add_mismatch(res, src, g, b);
		}
	res->measurements_ok = res->nmismatches == 0;
	if (res->nmismatches != 0)
		gpu_step(res, "measurements", 0,
		    CLOISTER_ERR_MEASUREMENT_MISMATCH, "%zu of %zu golden "
		    "measurements differ (first: %s index %u)",
		    res->nmismatches, res->ncompared,
		    res->mismatches[0].source == CLOISTER_GPU_DRIVER ?
		    "driver" : "VBIOS", res->mismatches[0].index);
	else
		gpu_step(res, "measurements", 1, 0, "all %zu golden "
		    "measurements match%s", res->ncompared, skipped ?
		    " (index 35 not compared: NVDEC0 disabled)" : "");
}
