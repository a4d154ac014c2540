/*
 * TCB Info and Enclave Identity, parsed from the exact signed JSON with
 * jansson.  Strict where it matters (sizes, hex lengths, status names,
 * dates), tolerant of keys Intel may add.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "tcbinfo.h"
#include "util.h"

#define PATH_MAX_LEN	96

static const char *const status_names[CLOISTER_TCB_STATUS_COUNT] = {
	[CLOISTER_TCB_UNKNOWN] = "Unknown",
	[CLOISTER_TCB_UP_TO_DATE] = "UpToDate",
	[CLOISTER_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
	[CLOISTER_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
	[CLOISTER_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] =
	    "ConfigurationAndSWHardeningNeeded",
	[CLOISTER_TCB_OUT_OF_DATE] = "OutOfDate",
	[CLOISTER_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] =
	    "OutOfDateConfigurationNeeded",
	[CLOISTER_TCB_TD_RELAUNCH_ADVISED] = "TDRelaunchAdvised",
	[CLOISTER_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED] =
	    "TDRelaunchAdvisedConfigurationNeeded",
	[CLOISTER_TCB_REVOKED] = "Revoked",
	[CLOISTER_TCB_NOT_SUPPORTED] = "NotSupported",
};

const char *
cloister_tcb_status_name(enum cloister_tcb_status s)
{
	if ((unsigned)s >= CLOISTER_TCB_STATUS_COUNT)
		return status_names[CLOISTER_TCB_UNKNOWN];
	return status_names[s];
}

enum cloister_tcb_status
cloister_tcb_status_from_name(const char *name, size_t len)
{
	for (int i = 1; i < CLOISTER_TCB_STATUS_COUNT; i++)
		if (strlen(status_names[i]) == len &&
		    memcmp(status_names[i], name, len) == 0)
			return (enum cloister_tcb_status)i;
	return CLOISTER_TCB_UNKNOWN;
}

/* Statuses each kind of level may carry (Intel QVL's lists). */
#define ST(x) (1u << CLOISTER_TCB_##x)
#define PLATFORM_STATUSES (ST(UP_TO_DATE) | ST(SW_HARDENING_NEEDED) | \
    ST(CONFIGURATION_NEEDED) | ST(CONFIGURATION_AND_SW_HARDENING_NEEDED) | \
    ST(OUT_OF_DATE) | ST(OUT_OF_DATE_CONFIGURATION_NEEDED) | ST(REVOKED))
#define MODULE_STATUSES (ST(UP_TO_DATE) | ST(OUT_OF_DATE) | ST(REVOKED))
#define QE_STATUSES (ST(UP_TO_DATE) | ST(OUT_OF_DATE) | \
    ST(CONFIGURATION_NEEDED) | ST(OUT_OF_DATE_CONFIGURATION_NEEDED) | \
    ST(REVOKED))

struct ctx {
	char	*why;
	size_t	 whylen;
};

static int bad(struct ctx *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->why != NULL && c->whylen > 0)
		snprintf(c->why, c->whylen, "%s: %s", path, msg);
	return CLOISTER_ERR_BAD_FIELD;
}

static json_t *
member(struct ctx *c, json_t *o, const char *path, const char *key,
    json_type type, int *rc)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		*rc = bad(c, path, "missing \"%s\"", key);
		return NULL;
	}
	if (json_typeof(v) != type &&
	    !(type == JSON_INTEGER && json_typeof(v) == JSON_INTEGER)) {
		*rc = bad(c, path, "\"%s\" has the wrong type", key);
		return NULL;
	}
	return v;
}

static int
get_int(struct ctx *c, json_t *o, const char *path, const char *key,
    json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v;
	int rc = 0;

	*out = 0;
	if ((v = member(c, o, path, key, JSON_INTEGER, &rc)) == NULL)
		return rc;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return bad(c, path, "\"%s\" = %lld is out of range", key,
		    (long long)*out);
	return 0;
}

static int
get_hex(struct ctx *c, json_t *o, const char *path, const char *key,
    uint8_t *out, size_t n)
{
	json_t *v;
	int rc = 0;

	if ((v = member(c, o, path, key, JSON_STRING, &rc)) == NULL)
		return rc;
	if (util_hex_decode_exact(json_string_value(v), json_string_length(v),
	    out, n) != 0)
		return bad(c, path, "\"%s\" must be %zu hex characters", key,
		    2 * n);
	return 0;
}

static int
get_time(struct ctx *c, json_t *o, const char *path, const char *key,
    int64_t *out)
{
	json_t *v;
	int rc = 0;

	if ((v = member(c, o, path, key, JSON_STRING, &rc)) == NULL)
		return rc;
	if (util_parse_time(json_string_value(v), json_string_length(v),
	    out) != 0)
		return bad(c, path, "\"%s\" is not an RFC 3339 UTC time", key);
	return 0;
}

static int
get_status(struct ctx *c, json_t *o, const char *path, unsigned allowed,
    enum cloister_tcb_status *out)
{
	json_t *v;
	int rc = 0;

	if ((v = member(c, o, path, "tcbStatus", JSON_STRING, &rc)) == NULL)
		return rc;
	*out = cloister_tcb_status_from_name(json_string_value(v),
	    json_string_length(v));
	if (*out == CLOISTER_TCB_UNKNOWN || !(allowed & (1u << *out)))
		return bad(c, path, "tcbStatus \"%.40s\" is not allowed here",
		    json_string_value(v));
	return 0;
}

static int
get_advisories(struct ctx *c, json_t *o, const char *path,
    struct advisory_list *l)
{
	json_t *a = json_object_get(o, "advisoryIDs"), *v;
	size_t i;

	l->n = 0;
	l->ids = NULL;
	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return bad(c, path, "\"advisoryIDs\" is not an array");
	if (json_array_size(a) > TCB_ADVISORY_MAX)
		return bad(c, path, "more than %d advisory IDs",
		    TCB_ADVISORY_MAX);
	if (json_array_size(a) == 0)
		return 0;
	if ((l->ids = calloc(json_array_size(a), sizeof(*l->ids))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) >= CLOISTER_ADVISORY_LEN)
			return bad(c, path, "advisoryIDs[%zu] is not a short "
			    "string", i);
		memcpy(l->ids[i], json_string_value(v), json_string_length(v));
		l->n++;
	}
	return 0;
}

static int
get_components(struct ctx *c, json_t *tcb, const char *path, const char *key,
    uint8_t out[16])
{
	json_t *a, *v;
	json_int_t svn;
	char p[PATH_MAX_LEN];
	size_t i;
	int rc = 0;

	if ((a = member(c, tcb, path, key, JSON_ARRAY, &rc)) == NULL)
		return rc;
	if (json_array_size(a) != 16)
		return bad(c, path, "\"%s\": expected 16 entries, got %zu",
		    key, json_array_size(a));
	json_array_foreach(a, i, v) {
		snprintf(p, sizeof(p), "%s.%s[%zu]", path, key, i);
		if (!json_is_object(v))
			return bad(c, p, "not an object");
		if ((rc = get_int(c, v, p, "svn", 0, 255, &svn)) != 0)
			return rc;
		out[i] = (uint8_t)svn;
	}
	return 0;
}

static int
parse_level(struct ctx *c, json_t *lv, const char *path, int version,
    int is_tdx, struct tcb_level *l)
{
	char p[PATH_MAX_LEN], key[20];
	json_int_t v;
	json_t *tcb;
	int rc = 0;

	if (!json_is_object(lv))
		return bad(c, path, "not an object");
	snprintf(p, sizeof(p), "%s.tcb", path);
	if ((tcb = member(c, lv, path, "tcb", JSON_OBJECT, &rc)) == NULL)
		return rc;
	if (version >= 3) {
		if ((rc = get_components(c, tcb, p, "sgxtcbcomponents",
		    l->sgx_comp)) != 0)
			return rc;
		if (is_tdx && (rc = get_components(c, tcb, p,
		    "tdxtcbcomponents", l->tdx_comp)) != 0)
			return rc;
	} else {
		for (int i = 0; i < 16; i++) {
			snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
			if ((rc = get_int(c, tcb, p, key, 0, 255, &v)) != 0)
				return rc;
			l->sgx_comp[i] = (uint8_t)v;
		}
	}
	if ((rc = get_int(c, tcb, p, "pcesvn", 0, 65535, &v)) != 0)
		return rc;
	l->pcesvn = (uint16_t)v;
	if ((rc = get_time(c, lv, path, "tcbDate", &l->tcb_date)) != 0 ||
	    (rc = get_status(c, lv, path, PLATFORM_STATUSES, &l->status)) != 0)
		return rc;
	return get_advisories(c, lv, path, &l->advisories);
}

static int
parse_isv_levels(struct ctx *c, json_t *o, const char *path,
    unsigned allowed, struct isvsvn_level **out, size_t *nout)
{
	char p[PATH_MAX_LEN], pt[PATH_MAX_LEN];
	json_t *a, *lv, *tcb;
	json_int_t svn;
	size_t i;
	int rc = 0;

	if ((a = member(c, o, path, "tcbLevels", JSON_ARRAY, &rc)) == NULL)
		return rc;
	if (json_array_size(a) == 0 || json_array_size(a) > TCB_LEVELS_MAX)
		return bad(c, path, "tcbLevels: %zu levels (1 to %d allowed)",
		    json_array_size(a), TCB_LEVELS_MAX);
	if ((*out = calloc(json_array_size(a), sizeof(**out))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, lv) {
		struct isvsvn_level *l = &(*out)[i];

		snprintf(p, sizeof(p), "%s.tcbLevels[%zu]", path, i);
		snprintf(pt, sizeof(pt), "%s.tcb", p);
		if (!json_is_object(lv))
			return bad(c, p, "not an object");
		if ((tcb = member(c, lv, p, "tcb", JSON_OBJECT, &rc)) == NULL ||
		    (rc = get_int(c, tcb, pt, "isvsvn", 0, 65535, &svn)) != 0)
			return rc != 0 ? rc : CLOISTER_ERR_BAD_FIELD;
		l->isvsvn = (uint16_t)svn;
		(*nout)++;
		if ((rc = get_time(c, lv, p, "tcbDate", &l->tcb_date)) != 0 ||
		    (rc = get_status(c, lv, p, allowed, &l->status)) != 0 ||
		    (rc = get_advisories(c, lv, p, &l->advisories)) != 0)
			return rc;
	}
	return 0;
}

static int
parse_id(struct ctx *c, json_t *o, const char *path, char *out, size_t n)
{
	json_t *v;
	int rc = 0;

	if ((v = member(c, o, path, "id", JSON_STRING, &rc)) == NULL)
		return rc;
	if (json_string_length(v) == 0 || json_string_length(v) >= n)
		return bad(c, path, "\"id\" is empty or too long");
	memcpy(out, json_string_value(v), json_string_length(v));
	out[json_string_length(v)] = '\0';
	return 0;
}

static int
parse_modules(struct ctx *c, json_t *root, struct tcb_info *ti)
{
	json_t *a = json_object_get(root, "tdxModuleIdentities"), *m;
	char p[PATH_MAX_LEN];
	size_t i;
	int rc;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return bad(c, "tcbInfo", "\"tdxModuleIdentities\" is not an "
		    "array");
	if (json_array_size(a) > TCB_MODULES_MAX)
		return bad(c, "tcbInfo", "more than %d TDX module identities",
		    TCB_MODULES_MAX);
	if (json_array_size(a) == 0)
		return 0;
	if ((ti->modules = calloc(json_array_size(a),
	    sizeof(*ti->modules))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, m) {
		struct tdx_module_identity *id = &ti->modules[i];

		snprintf(p, sizeof(p), "tdxModuleIdentities[%zu]", i);
		if (!json_is_object(m))
			return bad(c, p, "not an object");
		ti->nmodules++;
		if ((rc = parse_id(c, m, p, id->id, sizeof(id->id))) != 0 ||
		    (rc = get_hex(c, m, p, "mrsigner", id->mrsigner, 48)) != 0 ||
		    (rc = get_hex(c, m, p, "attributes", id->attributes,
		    8)) != 0 ||
		    (rc = get_hex(c, m, p, "attributesMask",
		    id->attributes_mask, 8)) != 0 ||
		    (rc = parse_isv_levels(c, m, p, MODULE_STATUSES,
		    &id->levels, &id->nlevels)) != 0)
			return rc;
	}
	return 0;
}

static int
parse_tcb_info(struct ctx *c, json_t *root, struct tcb_info *ti)
{
	char idbuf[TCB_ID_MAX] = "SGX", p[PATH_MAX_LEN];
	json_t *a, *lv, *m;
	json_int_t v;
	size_t i;
	int rc = 0;

	if (!json_is_object(root))
		return bad(c, "tcbInfo", "not an object");
	if ((rc = get_int(c, root, "tcbInfo", "version", 2, 3, &v)) != 0)
		return rc;
	ti->version = (int)v;
	if (json_object_get(root, "id") != NULL &&
	    (rc = parse_id(c, root, "tcbInfo", idbuf, sizeof(idbuf))) != 0)
		return rc;
	if (strcmp(idbuf, "TDX") == 0)
		ti->is_tdx = 1;
	else if (strcmp(idbuf, "SGX") != 0)
		return bad(c, "tcbInfo", "id \"%s\" (expected SGX or TDX)",
		    idbuf);
	if (ti->version == 3 && json_object_get(root, "id") == NULL)
		return bad(c, "tcbInfo", "version 3 needs an \"id\"");
	if (ti->is_tdx && ti->version < 3)
		return bad(c, "tcbInfo", "TDX TCB info must be version 3");
	if ((rc = get_time(c, root, "tcbInfo", "issueDate",
	    &ti->issue_date)) != 0 ||
	    (rc = get_time(c, root, "tcbInfo", "nextUpdate",
	    &ti->next_update)) != 0 ||
	    (rc = get_hex(c, root, "tcbInfo", "fmspc", ti->fmspc, 6)) != 0 ||
	    (rc = get_hex(c, root, "tcbInfo", "pceId", ti->pceid, 2)) != 0)
		return rc;
	if ((rc = get_int(c, root, "tcbInfo", "tcbType", 0, 255, &v)) != 0)
		return rc;
	ti->tcb_type = (int)v;
	if ((rc = get_int(c, root, "tcbInfo", "tcbEvaluationDataNumber", 0,
	    INT32_MAX, &v)) != 0)
		return rc;
	ti->tcb_eval_num = (int)v;
	if ((m = json_object_get(root, "tdxModule")) != NULL) {
		if (!json_is_object(m))
			return bad(c, "tcbInfo", "\"tdxModule\" is not an "
			    "object");
		if ((rc = get_hex(c, m, "tdxModule", "mrsigner",
		    ti->module_mrsigner, 48)) != 0 ||
		    (rc = get_hex(c, m, "tdxModule", "attributes",
		    ti->module_attributes, 8)) != 0 ||
		    (rc = get_hex(c, m, "tdxModule", "attributesMask",
		    ti->module_attributes_mask, 8)) != 0)
			return rc;
		ti->has_tdx_module = 1;
	}
	if ((rc = parse_modules(c, root, ti)) != 0)
		return rc;
	if ((a = member(c, root, "tcbInfo", "tcbLevels", JSON_ARRAY,
	    &rc)) == NULL)
		return rc;
	if (json_array_size(a) == 0 || json_array_size(a) > TCB_LEVELS_MAX)
		return bad(c, "tcbInfo", "tcbLevels: %zu levels (1 to %d "
		    "allowed)", json_array_size(a), TCB_LEVELS_MAX);
	if ((ti->levels = calloc(json_array_size(a),
	    sizeof(*ti->levels))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, lv) {
		snprintf(p, sizeof(p), "tcbLevels[%zu]", i);
		ti->nlevels++;
		if ((rc = parse_level(c, lv, p, ti->version, ti->is_tdx,
		    &ti->levels[i])) != 0)
			return rc;
	}
	return 0;
}

static json_t *
load(struct ctx *c, const char *json, size_t len, int *rc)
{
	json_error_t err;
	json_t *root;

	*rc = 0;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		if (c->why != NULL && c->whylen > 0)
			snprintf(c->why, c->whylen, "JSON line %d column %d: "
			    "%s", err.line, err.column, err.text);
		*rc = CLOISTER_ERR_BAD_JSON;
	}
	return root;
}

static void
free_advisories(struct advisory_list *l)
{
	free(l->ids);
	l->ids = NULL;
	l->n = 0;
}

static void
free_isv_levels(struct isvsvn_level *l, size_t n)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free_advisories(&l[i].advisories);
	free(l);
}

void
tcb_info_free(struct tcb_info *ti)
{
	if (ti == NULL)
		return;
	for (size_t i = 0; i < ti->nlevels; i++)
		free_advisories(&ti->levels[i].advisories);
	free(ti->levels);
	for (size_t i = 0; i < ti->nmodules; i++)
		free_isv_levels(ti->modules[i].levels,
		    ti->modules[i].nlevels);
	free(ti->modules);
	free(ti);
}

/*
 * Load json, allocate size bytes, fill them with parse(); on failure free
 * them with release().  Shared by both document kinds.
 */
static int
parse_document(const char *json, size_t len, size_t size,
    int (*parse)(struct ctx *, json_t *, void *), void (*release)(void *),
    void **out, char *why, size_t whylen)
{
	struct ctx c = { why, whylen };
	json_t *root;
	void *obj;
	int rc;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((root = load(&c, json, len, &rc)) == NULL)
		return rc;
	if ((obj = calloc(1, size)) == NULL) {
		json_decref(root);
		return CLOISTER_ERR_ALLOC;
	}
	rc = parse(&c, root, obj);
	json_decref(root);
	if (rc != 0) {
		release(obj);
		return rc;
	}
	*out = obj;
	return 0;
}

static int
parse_tcb_info_any(struct ctx *c, json_t *root, void *obj)
{
	return parse_tcb_info(c, root, obj);
}

static void
tcb_info_release(void *obj)
{
	tcb_info_free(obj);
}

int
tcb_info_parse(const char *json, size_t len, struct tcb_info **out,
    char *why, size_t whylen)
{
	void *obj = NULL;
	int rc;

	rc = parse_document(json, len, sizeof(**out), parse_tcb_info_any,
	    tcb_info_release, &obj, why, whylen);
	*out = obj;
	return rc;
}

void
qe_identity_free(struct qe_identity *qe)
{
	if (qe == NULL)
		return;
	free_isv_levels(qe->levels, qe->nlevels);
	free(qe);
}

static int
parse_qe(struct ctx *c, json_t *root, struct qe_identity *qe)
{
	uint8_t b4[4];
	json_int_t v;
	int rc;

	if (!json_is_object(root))
		return bad(c, "enclaveIdentity", "not an object");
	if ((rc = parse_id(c, root, "enclaveIdentity", qe->id,
	    sizeof(qe->id))) != 0)
		return rc;
	if (strcmp(qe->id, "QE") != 0 && strcmp(qe->id, "TD_QE") != 0 &&
	    strcmp(qe->id, "QVE") != 0)
		return bad(c, "enclaveIdentity", "id \"%s\" (expected QE, "
		    "TD_QE or QVE)", qe->id);
	if ((rc = get_int(c, root, "enclaveIdentity", "version", 2, 2,
	    &v)) != 0)
		return rc;
	qe->version = (int)v;
	if ((rc = get_time(c, root, "enclaveIdentity", "issueDate",
	    &qe->issue_date)) != 0 ||
	    (rc = get_time(c, root, "enclaveIdentity", "nextUpdate",
	    &qe->next_update)) != 0 ||
	    (rc = get_int(c, root, "enclaveIdentity",
	    "tcbEvaluationDataNumber", 0, INT32_MAX, &v)) != 0)
		return rc;
	qe->tcb_eval_num = (int)v;
	/* MISCSELECT is printed as a number: most significant byte first. */
	if ((rc = get_hex(c, root, "enclaveIdentity", "miscselect", b4,
	    4)) != 0)
		return rc;
	qe->miscselect = (uint32_t)b4[0] << 24 | (uint32_t)b4[1] << 16 |
	    (uint32_t)b4[2] << 8 | b4[3];
	if ((rc = get_hex(c, root, "enclaveIdentity", "miscselectMask", b4,
	    4)) != 0)
		return rc;
	qe->miscselect_mask = (uint32_t)b4[0] << 24 | (uint32_t)b4[1] << 16 |
	    (uint32_t)b4[2] << 8 | b4[3];
	if ((rc = get_hex(c, root, "enclaveIdentity", "attributes",
	    qe->attributes, 16)) != 0 ||
	    (rc = get_hex(c, root, "enclaveIdentity", "attributesMask",
	    qe->attributes_mask, 16)) != 0 ||
	    (rc = get_hex(c, root, "enclaveIdentity", "mrsigner",
	    qe->mrsigner, 32)) != 0 ||
	    (rc = get_int(c, root, "enclaveIdentity", "isvprodid", 0, 65535,
	    &v)) != 0)
		return rc;
	qe->isvprodid = (uint16_t)v;
	return parse_isv_levels(c, root, "enclaveIdentity", QE_STATUSES,
	    &qe->levels, &qe->nlevels);
}

static int
parse_qe_any(struct ctx *c, json_t *root, void *obj)
{
	return parse_qe(c, root, obj);
}

static void
qe_identity_release(void *obj)
{
	qe_identity_free(obj);
}

int
qe_identity_parse(const char *json, size_t len, struct qe_identity **out,
    char *why, size_t whylen)
{
	void *obj = NULL;
	int rc;

	rc = parse_document(json, len, sizeof(**out), parse_qe_any,
	    qe_identity_release, &obj, why, whylen);
	*out = obj;
	return rc;
}
