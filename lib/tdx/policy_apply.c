/*
 * Appraisal policy, checks out (policy.h): a verified quote's result
 * against a parsed policy, every check reported as a named step.  Apart
 * from policy.c because applying needs nothing of YAML and parsing
 * nothing of quote results: the two meet only in struct cloister_policy.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "policy.h"
#include "util.h"

#define TD_DEBUG_BIT		0x01	/* TDATTRIBUTES byte 0 bit 0 */
#define TD_SEPT_VE_BYTE		3	/* bit 28: byte 3, bit 4 */
#define TD_SEPT_VE_BIT		0x10
#define SGX_DEBUG_BIT		0x02	/* ATTRIBUTES byte 0 bit 1 */
#define DETAIL_MAX		CLOISTER_DETAIL_MAX

struct apply {
	policy_step_fn	*step;
	void		*ctx;
	int		 failed;
};

static void report(struct apply *, const char *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct apply *a, const char *name, int ok, const char *fmt, ...)
{
	char detail[DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!ok)
		a->failed = 1;
	a->step(a->ctx, name, ok, detail);
}

static void
short_hex(const uint8_t *v, size_t n, char out[20])
{
	char h[9], t[9];

	util_hex_encode(v, 4, h);
	util_hex_encode(v + n - 4, 4, t);
	snprintf(out, 20, "%s…%s", h, t);
}

static void
check_values(struct apply *a, const char *name, const char *label,
    const struct policy_values *pv, const uint8_t *have)
{
	char hx[20];

	if (pv->n == 0)
		return;
	for (size_t i = 0; i < pv->n; i++)
		if (util_ct_eq(pv->v[i], have, pv->size)) {
			report(a, name, 1, "%s is one of the %zu expected "
			    "values", label, pv->n);
			return;
		}
	short_hex(have, pv->size, hx);
	report(a, name, 0, "%s %s is not one of the %zu expected values",
	    label, hx, pv->n);
}

static void
check_status(struct apply *a, const struct cloister_policy *p,
    const struct cloister_quote_result *res)
{
	char list[DETAIL_MAX] = "";
	size_t off = 0;
	int ok;

	for (int s = 1; s < CLOISTER_TCB_STATUS_COUNT; s++)
		if ((p->accept_status & (1u << s)) && off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", off > 0 ? ", " : "",
			    cloister_tcb_status_name(s));
	ok = res->status > CLOISTER_TCB_UNKNOWN &&
	    res->status < CLOISTER_TCB_STATUS_COUNT &&
	    (p->accept_status & (1u << res->status)) != 0;
	report(a, "policy.tcb_status", ok, "status %s is %saccepted "
	    "(accepted: %s)", cloister_tcb_status_name(res->status),
	    ok ? "" : "not ", off > 0 ? list : "none");
}

static void
check_advisories(struct apply *a, const struct cloister_policy *p,
    const struct cloister_quote_result *res)
{
	if (p->nreject_advisories == 0)
		return;
	for (size_t i = 0; i < res->nadvisories; i++)
		for (size_t j = 0; j < p->nreject_advisories; j++)
			if (strcmp(res->advisory_ids[i],
			    p->reject_advisories[j]) == 0) {
				report(a, "policy.advisories", 0, "the "
				    "platform is affected by %s, which the "
				    "policy rejects", res->advisory_ids[i]);
				return;
			}
	report(a, "policy.advisories", 1, "none of the %zu rejected "
	    "advisories applies", p->nreject_advisories);
}

/* Fails closed when the result does not say how old its collateral is. */
static void
check_age(struct apply *a, const struct cloister_policy *p,
    const struct cloister_quote_result *res, int64_t at)
{
	int64_t issued = res->collateral_oldest_issue;

	if (p->max_collateral_age == 0)
		return;
	if (issued <= 0 || issued == INT64_MAX || issued > at) {
		report(a, "policy.collateral_age", 0, "the issue date of the "
		    "collateral is unknown or after the verification time");
		return;
	}
	report(a, "policy.collateral_age", at - issued <=
	    p->max_collateral_age, "oldest collateral was issued %lld s "
	    "before the verification time (at most %lld allowed)",
	    (long long)(at - issued), (long long)p->max_collateral_age);
}

static void
check_td(struct apply *a, const struct cloister_policy *p,
    const struct cloister_quote_result *res)
{
	static const char *const rtmr[] = { "policy.rtmr0", "policy.rtmr1",
	    "policy.rtmr2", "policy.rtmr3" };
	static const char *const rlabel[] = { "RTMR0", "RTMR1", "RTMR2",
	    "RTMR3" };
	int debug = (res->td_attributes[0] & TD_DEBUG_BIT) != 0;
	int sept = (res->td_attributes[TD_SEPT_VE_BYTE] & TD_SEPT_VE_BIT) != 0;
	char hx[20];

	report(a, "policy.debug", !debug || p->allow_debug, "%s",
	    !debug ? "not a debug TD" : p->allow_debug ?
	    "debug TD, allowed by the policy" :
	    "debug TD (TDATTRIBUTES.DEBUG set): its memory is readable by "
	    "the host");
	if (p->require_sept_ve_disable)
		report(a, "policy.sept_ve_disable", sept, "%s", sept ?
		    "SEPT_VE_DISABLE is set" : "SEPT_VE_DISABLE is clear: the "
		    "host can inject #VE on EPT violations");
	if (!util_is_zero(res->mrservicetd, 48)) {
		int ok = 0;

		for (size_t i = 0; i < p->mrservicetd.n; i++)
			ok |= util_ct_eq(p->mrservicetd.v[i], res->mrservicetd,
			    48);
		short_hex(res->mrservicetd, 48, hx);
		report(a, "policy.mrservicetd", ok, "bound to service TD %s, "
		    "%s", hx, ok ? "which the policy lists" :
		    "which the policy does not list");
	}
	check_values(a, "policy.mrtd", "MRTD", &p->mrtd, res->mrtd);
	for (size_t i = 0; i < 4; i++)
		check_values(a, rtmr[i], rlabel[i], &p->rtmr[i], res->rtmr[i]);
	check_values(a, "policy.mrconfigid", "MRCONFIGID", &p->mrconfigid,
	    res->mrconfigid);
	check_values(a, "policy.mrowner", "MROWNER", &p->mrowner,
	    res->mrowner);
	check_values(a, "policy.mrseam", "MRSEAM", &p->mrseam, res->mrseam);
	check_values(a, "policy.report_data", "REPORTDATA", &p->report_data,
	    res->report_data);
}

static void
check_sgx(struct apply *a, const struct cloister_policy *p,
    const struct cloister_quote_result *res)
{
	int debug = (res->sgx_attributes[0] & SGX_DEBUG_BIT) != 0;

	report(a, "policy.debug", !debug || p->allow_debug, "%s", !debug ?
	    "not a debug enclave" : p->allow_debug ?
	    "debug enclave, allowed by the policy" : "debug enclave");
	check_values(a, "policy.mrenclave", "MRENCLAVE", &p->mrenclave,
	    res->mrenclave);
	check_values(a, "policy.mrsigner", "MRSIGNER", &p->mrsigner,
	    res->mrsigner);
	if (p->has_isvprodid)
		report(a, "policy.isvprodid", res->isvprodid == p->isvprodid,
		    "ISVPRODID %u, expected %u", res->isvprodid,
		    p->isvprodid);
	if (p->has_min_isvsvn)
		report(a, "policy.isvsvn", res->isvsvn >= p->min_isvsvn,
		    "ISVSVN %u, at least %u required", res->isvsvn,
		    p->min_isvsvn);
	check_values(a, "policy.report_data", "REPORTDATA", &p->report_data,
	    res->report_data);
}

int
policy_apply(const struct cloister_policy *p,
    const struct cloister_quote_result *res, int64_t at,
    policy_step_fn *step, void *ctx)
{
	struct apply a = { step, ctx, 0 };

	check_status(&a, p, res);
	check_advisories(&a, p, res);
	check_age(&a, p, res, at);
	if (res->tee == CLOISTER_TEE_TDX)
		check_td(&a, p, res);
	else
		check_sgx(&a, p, res);
	return a.failed ? CLOISTER_ERR_POLICY : 0;
}

/* ---- what a policy pins, and versions -------------------------------- */

int
policy_pins_workload(const struct cloister_policy *p)
{
	return p->mrtd.n > 0 && (p->rtmr[1].n > 0 || p->rtmr[2].n > 0 ||
	    p->mrconfigid.n > 0 || p->config_sha256.n > 0);
}

/* One part of a dotted version, as hex digits; -1 when empty or not hex
 * or too long to compare. */
static int64_t
version_part(const char **s)
{
	int64_t v = 0;
	int d, n = 0;

	while ((d = util_hexval((unsigned char)**s)) >= 0) {
		if (++n > 12)
			return -1;
		v = v * 16 + d;
		(*s)++;
	}
	return n > 0 ? v : -1;
}

static int
version_ok(const char *s)
{
	for (;;) {
		if (version_part(&s) < 0)
			return 0;
		if (*s == '\0')
			return 1;
		if (*s++ != '.')
			return 0;
	}
}

int
policy_version_cmp(const char *a, const char *b)
{
	int64_t x, y;

	if (!version_ok(a) || !version_ok(b))
		return -2;
	for (;;) {
		x = version_part(&a);
		y = version_part(&b);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '\0' || *b == '\0')
			return *a == *b ? 0 : *a == '\0' ? -1 : 1;
		a++;
		b++;
	}
}
