/*
 * The simulated platform's signed collateral documents (sim_collateral.h):
 * a TCB Info (TDX or SGX) and a QE identity (TD_QE or QE) in Intel's exact
 * JSON layout, with the TCB levels the verifier's tests are written against.
 * The levels themselves are documented in docs/internals/sim_pki.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "sim_collateral.h"
#include "util.h"

#define JSON_MAX	(64u * 1024)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- TCB levels ------------------------------------------------------ */

struct level {
	uint8_t		 lead;		/* SGX components 0 and 1 */
	uint8_t		 tdx[3];	/* TDX components 0..2 */
	const char	*date;
	const char	*status;
	const char	*adv;		/* JSON array body, "" for none */
};

/*
 * SGX components are {lead, lead, 3, 3, 5, 1, 0, 6, 0...}, PCESVN 13.
 * In Intel's descending order, so document order and sorted order agree.
 */
static const struct level tdx_levels[] = {
	{ 8, { 6, 0, 5 }, "2025-11-12", "UpToDate", "" },
	{ 8, { 4, 0, 4 }, "2025-05-14", "OutOfDate", "\"INTEL-SA-01073\"" },
	{ 7, { 4, 0, 4 }, "2025-05-14", "SWHardeningNeeded",
	    "\"INTEL-SA-00615\"" },
	{ 6, { 4, 0, 4 }, "2025-05-14", "ConfigurationNeeded",
	    "\"INTEL-SA-00289\"" },
	{ 5, { 4, 0, 4 }, "2025-05-14", "ConfigurationAndSWHardeningNeeded",
	    "\"INTEL-SA-00289\",\"INTEL-SA-00615\"" },
	{ 4, { 4, 0, 4 }, "2024-03-13", "OutOfDate",
	    "\"INTEL-SA-00837\",\"INTEL-SA-00615\"" },
	{ 3, { 4, 0, 4 }, "2024-03-13", "OutOfDateConfigurationNeeded",
	    "\"INTEL-SA-00837\",\"INTEL-SA-00289\",\"INTEL-SA-00615\"" },
	{ 2, { 4, 0, 4 }, "2018-01-04", "Revoked",
	    "\"INTEL-SA-00106\",\"INTEL-SA-00837\"" },
};

static const struct level sgx_levels[] = {
	{ 8, { 0 }, "2025-11-12", "UpToDate", "" },
	{ 7, { 0 }, "2025-05-14", "SWHardeningNeeded", "\"INTEL-SA-00615\"" },
	{ 4, { 0 }, "2024-03-13", "OutOfDate",
	    "\"INTEL-SA-00837\",\"INTEL-SA-00615\"" },
	{ 2, { 0 }, "2018-01-04", "Revoked", "\"INTEL-SA-00106\"" },
};

struct isv_level {
	unsigned	 isvsvn;
	const char	*date;
	const char	*status;
	const char	*adv;
};

static const struct isv_level tdx01_levels[] = {
	{ 6, "2025-11-12", "UpToDate", "" },
	{ 4, "2024-11-13", "OutOfDate", "\"INTEL-SA-01036\"" },
	{ 2, "2023-08-09", "Revoked", "\"INTEL-SA-01036\",\"INTEL-SA-01099\"" },
};
static const struct isv_level tdx03_levels[] = {
	{ 3, "2025-11-12", "UpToDate", "" },
};
static const struct isv_level td_qe_levels[] = {
	{ 4, "2024-03-13", "UpToDate", "" },
	{ 3, "2023-02-15", "OutOfDate", "\"INTEL-SA-00477\"" },
	{ 2, "2018-08-15", "Revoked", "\"INTEL-SA-00202\"" },
};
static const struct isv_level sgx_qe_levels[] = {
	{ 8, "2024-03-13", "UpToDate", "" },
	{ 6, "2021-11-10", "OutOfDate", "\"INTEL-SA-00615\"" },
};

/* ---- JSON -------------------------------------------------------------- */

struct sb {
	char	*p;
	size_t	 n;
	int	 err;
};

static void sb_add(struct sb *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->n, JSON_MAX - s->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= JSON_MAX - s->n)
		s->err = 1;
	else
		s->n += (size_t)n;
}

static void
sb_hex(struct sb *s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_add(s, "%02X", b[i]);
}

static void
sb_time(struct sb *s, const char *key, int64_t t)
{
	char buf[UTIL_TIME_STR_LEN];

	util_format_time(t, buf);
	sb_add(s, "\"%s\":\"%s\"", key, buf);
}

static void
sb_isv_levels(struct sb *s, const struct isv_level *l, size_t n)
{
	sb_add(s, "\"tcbLevels\":[");
	for (size_t i = 0; i < n; i++) {
		sb_add(s, "%s{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":"
		    "\"%sT00:00:00Z\",\"tcbStatus\":\"%s\"", i ? "," : "",
		    l[i].isvsvn, l[i].date, l[i].status);
		if (l[i].adv[0] != '\0')
			sb_add(s, ",\"advisoryIDs\":[%s]", l[i].adv);
		sb_add(s, "}");
	}
	sb_add(s, "]");
}

static void
sb_module(struct sb *s, const char *id)
{
	static const uint8_t zero[48];

	if (id != NULL)
		sb_add(s, "\"id\":\"%s\",", id);
	sb_add(s, "\"mrsigner\":\"");
	sb_hex(s, zero, sizeof(zero));
	sb_add(s, "\",\"attributes\":\"0000000000000000\","
	    "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"");
}

/* Intel's component names, for the look of a real TCB Info. */
static void
sb_components(struct sb *s, const uint8_t *svn, int tdx)
{
	static const char *const sgx_names[8] = {
	    ",\"category\":\"BIOS\",\"type\":\"Early Microcode Update\"",
	    ",\"category\":\"OS/VMM\",\"type\":\"SGX Late Microcode Update\"",
	    ",\"category\":\"OS/VMM\",\"type\":\"TXT SINIT\"",
	    ",\"category\":\"BIOS\"", ",\"category\":\"BIOS\"",
	    ",\"category\":\"BIOS\"", "",
	    ",\"category\":\"OS/VMM\",\"type\":\"SEAMLDR ACM\"" };
	static const char *const tdx_names[3] = {
	    ",\"category\":\"OS/VMM\",\"type\":\"TDX Module\"",
	    ",\"category\":\"OS/VMM\",\"type\":\"TDX Module\"",
	    ",\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\"" };

	sb_add(s, "[");
	for (size_t i = 0; i < 16; i++) {
		const char *name = "";

		if (tdx == 1 && i < 3)
			name = tdx_names[i];
		else if (tdx == 0 && i < 8)
			name = sgx_names[i];
		sb_add(s, "%s{\"svn\":%u%s}", i ? "," : "", svn[i], name);
	}
	sb_add(s, "]");
}

static void
sb_tcb_levels(struct sb *s, const struct level *l, size_t n, int tdx)
{
	sb_add(s, "\"tcbLevels\":[");
	for (size_t i = 0; i < n; i++) {
		uint8_t sgx[16] = { l[i].lead, l[i].lead, 3, 3, 5, 1, 0, 6 };
		uint8_t tc[16] = { l[i].tdx[0], l[i].tdx[1], l[i].tdx[2] };

		sb_add(s, "%s{\"tcb\":{\"sgxtcbcomponents\":", i ? "," : "");
		/* Intel's SGX TCB Info lists bare SVNs; TDX names them. */
		sb_components(s, sgx, tdx ? 0 : -1);
		sb_add(s, ",\"pcesvn\":13");
		if (tdx) {
			sb_add(s, ",\"tdxtcbcomponents\":");
			sb_components(s, tc, 1);
		}
		sb_add(s, "},\"tcbDate\":\"%sT00:00:00Z\",\"tcbStatus\":\"%s\"",
		    l[i].date, l[i].status);
		if (l[i].adv[0] != '\0')
			sb_add(s, ",\"advisoryIDs\":[%s]", l[i].adv);
		sb_add(s, "}");
	}
	sb_add(s, "]");
}

static void
tcb_info_json(const struct sim_tcb_params *b, struct sb *s)
{
	int tdx = !b->sgx;

	sb_add(s, "{\"id\":\"%s\",\"version\":3,", tdx ? "TDX" : "SGX");
	sb_time(s, "issueDate", b->tcb_from);
	sb_add(s, ",");
	sb_time(s, "nextUpdate", b->tcb_to);
	sb_add(s, ",\"fmspc\":\"");
	sb_hex(s, b->fmspc, 6);
	sb_add(s, "\",\"pceId\":\"");
	sb_hex(s, b->pceid, 2);
	sb_add(s, "\",\"tcbType\":%d,\"tcbEvaluationDataNumber\":17,",
	    b->tcb_type);
	if (tdx) {
		sb_add(s, "\"tdxModule\":{");
		sb_module(s, NULL);
		sb_add(s, "},\"tdxModuleIdentities\":[{");
		sb_module(s, "TDX_03");
		sb_add(s, ",");
		sb_isv_levels(s, tdx03_levels, NELEM(tdx03_levels));
		sb_add(s, "},{");
		sb_module(s, "TDX_01");
		sb_add(s, ",");
		sb_isv_levels(s, tdx01_levels, NELEM(tdx01_levels));
		sb_add(s, "}],");
		sb_tcb_levels(s, tdx_levels, NELEM(tdx_levels), 1);
	} else {
		sb_tcb_levels(s, sgx_levels, NELEM(sgx_levels), 0);
	}
	sb_add(s, "}");
}

static void
qe_identity_json(const struct sim_tcb_params *b, struct sb *s)
{
	int tdx = !b->sgx;

	sb_add(s, "{\"id\":\"%s\",\"version\":2,", tdx ? "TD_QE" : "QE");
	sb_time(s, "issueDate", b->qe_from);
	sb_add(s, ",");
	sb_time(s, "nextUpdate", b->qe_to);
	sb_add(s, ",\"tcbEvaluationDataNumber\":17,\"miscselect\":"
	    "\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":"
	    "\"11000000000000000000000000000000\",\"attributesMask\":"
	    "\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"");
	sb_hex(s, b->qe_mrsigner, 32);
	sb_add(s, "\",\"isvprodid\":%u,", tdx ? 2u : 1u);
	if (tdx)
		sb_isv_levels(s, td_qe_levels, NELEM(td_qe_levels));
	else
		sb_isv_levels(s, sgx_qe_levels, NELEM(sgx_qe_levels));
	sb_add(s, "}");
}


/* Hand the builder's buffer to the caller, or free it on failure. */
static int
sb_take(struct sb *s, char **out, size_t *len)
{
	if (s->err) {
		free(s->p);
		return CLOISTER_ERR_TOO_LARGE;
	}
	*out = s->p;
	*len = s->n;
	return 0;
}

static int
build(void (*fn)(const struct sim_tcb_params *, struct sb *),
    const struct sim_tcb_params *p, char **out, size_t *len)
{
	struct sb s = { .p = malloc(JSON_MAX) };

	*out = NULL;
	*len = 0;
	if (s.p == NULL)
		return CLOISTER_ERR_ALLOC;
	fn(p, &s);
	return sb_take(&s, out, len);
}

int
sim_tcb_info_json(const struct sim_tcb_params *p, char **out, size_t *len)
{
	return build(tcb_info_json, p, out, len);
}

int
sim_qe_identity_json(const struct sim_tcb_params *p, char **out,
    size_t *len)
{
	return build(qe_identity_json, p, out, len);
}
