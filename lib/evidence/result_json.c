/*
 * Verification results as JSON objects (docs/FORMATS.md): what
 * `cloister verify ... --json` prints and what the console serves, built
 * in one place so that both say the same.  Claim names of GPU results
 * follow NVIDIA's (hwmodel, ueid, oemid, measres), so tools that read
 * NVIDIA's tokens read ours.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "cloister/evidence.h"
#include "cloister/receipt.h"
#include "json_out.h"
#include "result_json.h"
#include "util.h"


const char *
result_tee_name(enum cloister_tee t)
{
	return t == CLOISTER_TEE_TDX   ? "tdx"
	       : t == CLOISTER_TEE_SGX ? "sgx"
	                               : "unknown";
}

const char *
result_gpu_source_name(enum cloister_gpu_source s)
{
	return s == CLOISTER_GPU_DRIVER ? "driver" : "vbios";
}

static int
set_hex(json_t *o, const char *key, const uint8_t *b, size_t n)
{
	return json_object_set_new(o, key, jx_hex(b, n));
}

static json_t *
measurements_json(const struct cloister_quote_result *res)
{
	static const char *rtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
	json_t *m = json_object();

	if (m == NULL)
		return NULL;
	if (res->tee == CLOISTER_TEE_SGX) {
		set_hex(m, "mrenclave", res->mrenclave, 32);
		set_hex(m, "mrsigner", res->mrsigner, 32);
		json_object_set_new(
		    m, "isvprodid", json_integer(res->isvprodid));
		json_object_set_new(m, "isvsvn", json_integer(res->isvsvn));
		set_hex(m, "attributes", res->sgx_attributes, 16);
		set_hex(m, "report_data", res->report_data, 64);
		return m;
	}
	set_hex(m, "mrtd", res->mrtd, 48);
	for (size_t i = 0; i < 4; i++)
		set_hex(m, rtmr[i], res->rtmr[i], 48);
	set_hex(m, "mrconfigid", res->mrconfigid, 48);
	set_hex(m, "mrowner", res->mrowner, 48);
	set_hex(m, "mrownerconfig", res->mrownerconfig, 48);
	set_hex(m, "mrservicetd", res->mrservicetd, 48);
	set_hex(m, "mrseam", res->mrseam, 48);
	set_hex(m, "mrsignerseam", res->mrsignerseam, 48);
	set_hex(m, "seam_attributes", res->seam_attributes, 8);
	set_hex(m, "td_attributes", res->td_attributes, 8);
	set_hex(m, "xfam", res->xfam, 8);
	set_hex(m, "tee_tcb_svn", res->tee_tcb_svn, 16);
	if (res->body_type == 3)
		set_hex(m, "tee_tcb_svn2", res->tee_tcb_svn2, 16);
	set_hex(m, "report_data", res->report_data, 64);
	return m;
}

static json_t *
status_json(enum cloister_tcb_status s)
{
	return s == CLOISTER_TCB_UNKNOWN
	           ? json_null()
	           : json_string(cloister_tcb_status_name(s));
}

static json_t *
time_json(int64_t t)
{
	char buf[UTIL_TIME_STR_LEN];

	if (t == INT64_MIN || t == INT64_MAX || t == 0)
		return json_null();
	util_format_time(t, buf);
	return json_string(buf);
}

json_t *
result_json_steps(const struct cloister_step *steps, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:b,s:s}", "name",
		    steps[i].name, "ok", steps[i].ok, "detail",
		    steps[i].detail));
	return a;
}

json_t *
result_json_error(int code, const char *message, const char *step)
{
	return json_pack("{s:s,s:s,s:s?}", "code", cloister_errname(code),
	    "message", message, "step", step);
}

json_t *
result_json_quote(int64_t at, const struct cloister_quote_result *res)
{
	json_t *o, *adv;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "accepted", json_boolean(res->accepted));
	json_object_set_new(o, "simulated", json_boolean(res->simulated));
	json_object_set_new(o, "status", status_json(res->status));
	json_object_set_new(
	    o, "platform_status", status_json(res->platform_status));
	json_object_set_new(
	    o, "tdx_module_status", status_json(res->module_status));
	json_object_set_new(o, "qe_status", status_json(res->qe_status));
	adv = json_array();
	for (size_t i = 0; i < res->nadvisories; i++)
		json_array_append_new(adv, json_string(res->advisory_ids[i]));
	json_object_set_new(o, "advisory_ids", adv);
	json_object_set_new(o, "tee", json_string(result_tee_name(res->tee)));
	json_object_set_new(o, "quote_version",
	    res->parsed ? json_integer(res->quote_version) : json_null());
	json_object_set_new(o, "body_type",
	    res->parsed ? json_integer(res->body_type) : json_null());
	json_object_set_new(
	    o, "quote_bytes", json_integer((json_int_t)res->quote_len));
	json_object_set_new(
	    o, "trailing_bytes", json_integer((json_int_t)res->trailing_len));
	json_object_set_new(o, "at", json_integer(at));
	json_object_set_new(o, "tcb_date", time_json(res->tcb_date));
	if (res->parsed)
		json_object_set_new(o, "measurements", measurements_json(res));
	if (res->verified) {
		set_hex(o, "fmspc", res->fmspc, 6);
		json_object_set_new(o, "collateral",
		    json_pack("{s:o,s:o,s:o}", "not_before",
		        time_json(res->collateral_not_before), "not_after",
		        time_json(res->collateral_not_after), "oldest_issue",
		        time_json(res->collateral_oldest_issue)));
	}
	json_object_set_new(o, "steps", result_json_steps(res->steps,
	    res->nsteps));
	if (!res->accepted)
		json_object_set_new(o, "error", result_json_error(res->code,
		    res->message, res->failed_step));
	return o;
}

/* The workspaces the RTMR3 event log measured (the first
 * CLOISTER_EVIDENCE_WS_MAX; "workspaces_total" counts all). */
static void
set_workspaces(json_t *j, const struct cloister_evidence_result *res)
{
	json_t *a = json_array();
	size_t n = res->nworkspaces < CLOISTER_EVIDENCE_WS_MAX ?
	    res->nworkspaces : CLOISTER_EVIDENCE_WS_MAX;

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:o,s:b}", "id",
		    res->workspaces[i].id, "digest",
		    jx_hex(res->workspaces[i].digest, 48), "ended",
		    res->workspaces[i].ended));
	json_object_set_new(j, "rtmr3_events",
	    json_integer((json_int_t)res->rtmr3_nevents));
	json_object_set_new(j, "workspaces", a);
	json_object_set_new(j, "workspaces_total",
	    json_integer((json_int_t)res->nworkspaces));
}

/* An evidence verification as JSON: what `cloister verify evidence
 * --json` prints and what the console shows. */
json_t *
result_json_evidence(int64_t at, const struct cloister_evidence_result *res)
{
	json_t *j;

	if ((j = json_object()) == NULL)
		return NULL;
	json_object_set_new(j, "verified", json_boolean(res->verified));
	json_object_set_new(j, "accepted", json_boolean(res->accepted));
	json_object_set_new(j, "simulated", json_boolean(res->simulated));
	json_object_set_new(j, "at", json_integer(at));
	if (res->parsed) {
		json_object_set_new(j, "provider", json_string(res->provider));
		json_object_set_new(j, "created", jx_time(res->created));
		json_object_set_new(j, "public_key", jx_hex(res->public_key,
		    64));
		json_object_set_new(j, "config_sha256",
		    jx_hex(res->config_sha256, 32));
		json_object_set_new(j, "tls_spki_sha256", res->has_tls ?
		    jx_hex(res->tls_spki_sha256, 32) : json_null());
		json_object_set_new(j, "nonce", jx_hex(res->nonce,
		    res->nonce_len));
		json_object_set_new(j, "gpu_status",
		    json_string(res->gpu_status));
	}
	if (res->rtmr3_checked)
		set_workspaces(j, res);
	json_object_set_new(j, "steps", result_json_steps(res->steps,
	    res->nsteps));
	if (res->quote_checked)
		json_object_set_new(j, "quote", result_json_quote(at,
		    &res->quote));
	if (res->has_gpu)
		json_object_set_new(j, "gpu", result_json_gpu(at, at,
		    &res->gpu));
	if (!res->accepted)
		json_object_set_new(j, "error", result_json_error(res->code,
		    res->message, res->failed_step));
	return j;
}

static json_t *
claims_obj(const struct cloister_receipt_claims *c)
{
	json_t *o;

	o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:{s:I,s:I,"
	    "s:I},s:I,s:s,s:s,s:s,s:s}", "id", c->id, "iat", (json_int_t)c->iat,
	    "key", c->key, "model", c->model, "backend", c->backend,
	    "backend_type", c->backend_type, "confidential",
	    c->confidential == CLOISTER_CONF_NONE ? json_false() :
	    json_string(cloister_confidential_name(c->confidential)),
	    "request_sha256", jx_hex(c->request_sha256, 32),
	    "response_sha256", jx_hex(c->response_sha256, 32), "usage",
	    "prompt_tokens", (json_int_t)c->prompt_tokens, "completion_tokens",
	    (json_int_t)c->completion_tokens, "cached_tokens",
	    (json_int_t)c->cached_tokens, "cost", (json_int_t)c->cost,
	    "status", c->status, "evidence", c->evidence, "nonce", c->nonce,
	    "api", c->api[0] != '\0' ? c->api : "chat");
	if (o != NULL && c->workspace[0] != '\0') {
		json_object_set_new(o, "workspace", json_string(c->workspace));
		json_object_set_new(o, "workspace_manifest",
		    json_string(c->workspace_manifest));
	}
	return o;
}

/* A receipt verification as JSON (`cloister verify receipt --json`, the
 * console). */
json_t *
result_json_receipt(const struct cloister_receipt_result *res)
{
	json_t *j;

	j = json_pack("{s:b,s:b,s:o,s:o}", "verified", res->verified,
	    "simulated", res->simulated, "claims", res->parsed ?
	    claims_obj(&res->claims) : json_null(), "steps",
	    result_json_steps(res->steps, res->nsteps));
	if (j != NULL && !res->verified)
		json_object_set_new(j, "error", result_json_error(res->code,
		    res->message, res->failed_step));
	return j;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
mismatches_json(const struct cloister_gpu_result *res)
{
	const struct cloister_gpu_mismatch *mm;
	json_t *a = json_array();

	for (size_t i = 0; i < res->nmismatches; i++) {
		mm = &res->mismatches[i];
		json_array_append_new(a, json_pack("{s:i,s:s,s:o,s:o}",
		    "index", (int)mm->index, "source",
		    result_gpu_source_name(mm->source), "golden",
		    jx_hex(mm->golden, CLOISTER_GPU_HASH_LEN), "runtime",
		    mm->missing ? json_null() :
		    jx_hex(mm->runtime, CLOISTER_GPU_HASH_LEN)));
	}
	return a;
}

static void
claims_json(json_t *o, const struct cloister_gpu_result *res)
{
	json_object_set_new(o, "arch", str_or_null(res->arch));
	json_object_set_new(o, "hwmodel", str_or_null(res->hwmodel));
	json_object_set_new(o, "ueid", str_or_null(res->ueid));
	json_object_set_new(o, "oemid", str_or_null(res->oemid));
	json_object_set_new(o, "driver_version",
	    str_or_null(res->driver_version));
	json_object_set_new(o, "vbios_version",
	    str_or_null(res->vbios_version));
	json_object_set_new(o, "driver_rim_id",
	    str_or_null(res->driver_rim_id));
	json_object_set_new(o, "vbios_rim_id", str_or_null(res->vbios_rim_id));
	json_object_set_new(o, "nonce", res->parsed ?
	    jx_hex(res->nonce, CLOISTER_GPU_NONCE_LEN) : json_null());
	json_object_set_new(o, "fwid", res->has_fwid ?
	    jx_hex(res->fwid, CLOISTER_GPU_HASH_LEN) : json_null());
	json_object_set_new(o, "nvdec0_status", res->nvdec0_status < 0 ?
	    json_null() : json_integer(res->nvdec0_status));
	json_object_set_new(o, "feature_flag", res->feature_flag < 0 ?
	    json_null() : json_integer(res->feature_flag));
	json_object_set_new(o, "measres", json_string(res->measurements_ok ?
	    "success" : "fail"));
	json_object_set_new(o, "measurements_compared",
	    json_integer((json_int_t)res->ncompared));
	json_object_set_new(o, "mismatches", mismatches_json(res));
}

json_t *
result_json_gpu(int64_t at, int64_t rim_at,
    const struct cloister_gpu_result *res)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "verified", json_boolean(res->verified));
	json_object_set_new(o, "simulated", json_boolean(res->simulated));
	json_object_set_new(o, "revocation_checked",
	    json_boolean(res->revocation_checked));
	json_object_set_new(o, "at", json_integer(at));
	json_object_set_new(o, "rim_at", json_integer(rim_at));
	json_object_set_new(o, "report_bytes",
	    json_integer((json_int_t)res->report_len));
	claims_json(o, res);
	json_object_set_new(o, "steps", result_json_steps(res->steps,
	    res->nsteps));
	if (!res->verified)
		json_object_set_new(o, "error", result_json_error(res->code,
		    res->message, res->failed_step));
	return o;
}
