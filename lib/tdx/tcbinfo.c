/*
 * TCB Info and Enclave Identity, parsed from the exact signed JSON with
 * jansson.  Strict where it matters (duplicate keys, sizes, hex lengths,
 * status names, dates), tolerant of keys Intel may add.  Every error
 * names the key as a path ("tcbLevels[3].tcb.sgxtcbcomponents: expected
 * 16 entries, got 15"); the field readers that do so are jfield.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cloister/error.h"
#include "jfield.h"
#include "tcbinfo.h"
#include "util.h"

#define TCB_COMPONENTS	16

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
	if (name == NULL)
		return CLOISTER_TCB_UNKNOWN;
	for (int i = 1; i < CLOISTER_TCB_STATUS_COUNT; i++)
		if (strlen(status_names[i]) == len &&
		    memcmp(status_names[i], name, len) == 0)
			return (enum cloister_tcb_status)i;
	return CLOISTER_TCB_UNKNOWN;
}

/*
 * The statuses each kind of level may carry, as Intel's PCS documents
 * them: TDRelaunchAdvised and NotSupported are verdicts, never levels.
 */
#define ST(x) (1u << CLOISTER_TCB_##x)
#define PLATFORM_STATUSES (ST(UP_TO_DATE) | ST(SW_HARDENING_NEEDED) | \
    ST(CONFIGURATION_NEEDED) | ST(CONFIGURATION_AND_SW_HARDENING_NEEDED) | \
    ST(OUT_OF_DATE) | ST(OUT_OF_DATE_CONFIGURATION_NEEDED) | ST(REVOKED))
#define MODULE_STATUSES (ST(UP_TO_DATE) | ST(OUT_OF_DATE) | ST(REVOKED))
#define QE_STATUSES (ST(UP_TO_DATE) | ST(OUT_OF_DATE) | \
    ST(CONFIGURATION_NEEDED) | ST(OUT_OF_DATE_CONFIGURATION_NEEDED) | \
    ST(REVOKED))

static int
get_status(struct jfield_ctx *c, json_t *o, const char *path, unsigned allowed,
    enum cloister_tcb_status *out)
{
	char buf[44];
	json_t *v;
	int rc;

	if ((rc = jfield_get(c, o, path, "tcbStatus", JSON_STRING, &v)) != 0)
		return rc;
	*out = cloister_tcb_status_from_name(json_string_value(v),
	    json_string_length(v));
	if (*out == CLOISTER_TCB_UNKNOWN)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, "tcbStatus",
		    "unknown status \"%s\"", jfield_shown(v, buf));
	if (!(allowed & (1u << *out)))
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, "tcbStatus",
		    "\"%s\" is not a status this kind of level may have",
		    cloister_tcb_status_name(*out));
	return 0;
}

static int
get_advisories(struct jfield_ctx *c, json_t *o, const char *path,
    struct advisory_list *l)
{
	char p[JFIELD_PATH_MAX];
	json_t *a, *v;
	size_t i;
	int rc;

	if (json_object_get(o, "advisoryIDs") == NULL)
		return 0;
	if ((rc = jfield_array(c, o, path, "advisoryIDs", 0, TCB_ADVISORY_MAX,
	    &a)) != 0 || json_array_size(a) == 0)
		return rc;
	if ((l->ids = calloc(json_array_size(a), sizeof(*l->ids))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, v) {
		jfield_join_index(p, path, "advisoryIDs", i);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) >= CLOISTER_ADVISORY_LEN)
			return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, p, NULL,
			    "expected a string of 1 to %d characters",
			    CLOISTER_ADVISORY_LEN - 1);
		memcpy(l->ids[i], json_string_value(v), json_string_length(v));
		l->n++;
	}
	return 0;
}

/* v3: "sgxtcbcomponents": [{"svn": N, ...} x 16] */
static int
get_components(struct jfield_ctx *c, json_t *tcb, const char *path,
    const char *key, uint8_t out[TCB_COMPONENTS])
{
	char p[JFIELD_PATH_MAX];
	json_int_t svn;
	json_t *a, *v;
	size_t i;
	int rc;

	if ((rc = jfield_get(c, tcb, path, key, JSON_ARRAY, &a)) != 0)
		return rc;
	if (json_array_size(a) != TCB_COMPONENTS)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, key,
		    "expected %d entries, got %zu", TCB_COMPONENTS,
		    json_array_size(a));
	json_array_foreach(a, i, v) {
		jfield_join_index(p, path, key, i);
		if (!json_is_object(v))
			return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, p, NULL,
			    "expected an object");
		if ((rc = jfield_int(c, v, p, "svn", 0, 255, &svn)) != 0)
			return rc;
		out[i] = (uint8_t)svn;
	}
	return 0;
}

/* v2: "sgxtcbcomp01svn" .. "sgxtcbcomp16svn" */
static int
get_components_v2(struct jfield_ctx *c, json_t *tcb, const char *path,
    uint8_t out[TCB_COMPONENTS])
{
	char key[24];
	json_int_t v;
	int rc;

	for (int i = 0; i < TCB_COMPONENTS; i++) {
		snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
		if ((rc = jfield_int(c, tcb, path, key, 0, 255, &v)) != 0)
			return rc;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* tcbDate, tcbStatus and advisoryIDs, common to every kind of level. */
static int
level_common(struct jfield_ctx *c, json_t *lv, const char *path,
    unsigned allowed, int64_t *date, enum cloister_tcb_status *status,
    struct advisory_list *adv)
{
	int rc;

	if ((rc = jfield_time(c, lv, path, "tcbDate", date)) != 0 ||
	    (rc = get_status(c, lv, path, allowed, status)) != 0)
		return rc;
	return get_advisories(c, lv, path, adv);
}

static int
parse_level(struct jfield_ctx *c, json_t *lv, const char *path,
    const struct tcb_info *ti, struct tcb_level *l)
{
	char p[JFIELD_PATH_MAX];
	json_int_t v;
	json_t *tcb;
	int rc;

	if (!json_is_object(lv))
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, NULL,
		    "expected an object");
	if ((rc = jfield_get(c, lv, path, "tcb", JSON_OBJECT, &tcb)) != 0)
		return rc;
	jfield_join(p, path, "tcb");
	if (ti->version >= 3)
		rc = get_components(c, tcb, p, "sgxtcbcomponents",
		    l->sgx_comp);
	else
		rc = get_components_v2(c, tcb, p, l->sgx_comp);
	if (rc != 0 || (ti->is_tdx && (rc = get_components(c, tcb, p,
	    "tdxtcbcomponents", l->tdx_comp)) != 0))
		return rc;
	if ((rc = jfield_int(c, tcb, p, "pcesvn", 0, UINT16_MAX, &v)) != 0)
		return rc;
	l->pcesvn = (uint16_t)v;
	return level_common(c, lv, path, PLATFORM_STATUSES, &l->tcb_date,
	    &l->status, &l->advisories);
}

/* "tcbLevels": [{"tcb": {"isvsvn": N}, ...}] of a module or an enclave. */
static int
parse_isv_levels(struct jfield_ctx *c, json_t *o, const char *path,
    unsigned allowed, struct isvsvn_level **out, size_t *nout)
{
	char p[JFIELD_PATH_MAX], pt[JFIELD_PATH_MAX];
	json_t *a, *lv, *tcb;
	json_int_t svn;
	size_t i;
	int rc;

	if ((rc = jfield_array(c, o, path, "tcbLevels", 1, TCB_LEVELS_MAX,
	    &a)) != 0)
		return rc;
	if ((*out = calloc(json_array_size(a), sizeof(**out))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, lv) {
		struct isvsvn_level *l = &(*out)[i];

		(*nout)++;	/* counted first: *_free releases it */
		jfield_join_index(p, path, "tcbLevels", i);
		jfield_join(pt, p, "tcb");
		if (!json_is_object(lv))
			return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, p, NULL,
			    "expected an object");
		if ((rc = jfield_get(c, lv, p, "tcb", JSON_OBJECT,
		    &tcb)) != 0 ||
		    (rc = jfield_int(c, tcb, pt, "isvsvn", 0, UINT16_MAX,
		    &svn)) != 0)
			return rc;
		l->isvsvn = (uint16_t)svn;
		if ((rc = level_common(c, lv, p, allowed, &l->tcb_date,
		    &l->status, &l->advisories)) != 0)
			return rc;
	}
	return 0;
}

static int
parse_id(struct jfield_ctx *c, json_t *o, const char *path, char *out, size_t n)
{
	json_t *v;
	int rc;

	if ((rc = jfield_get(c, o, path, "id", JSON_STRING, &v)) != 0)
		return rc;
	if (json_string_length(v) == 0 || json_string_length(v) >= n)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, "id",
		    "expected 1 to %zu characters", n - 1);
	for (size_t i = 0; i < json_string_length(v); i++)
		if (json_string_value(v)[i] <= 0x20 ||
		    json_string_value(v)[i] >= 0x7f)
			return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, path, "id",
			    "expected printable ASCII");
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* mrsigner, attributes, attributesMask of "tdxModule" or an identity. */
static int
parse_module_keys(struct jfield_ctx *c, json_t *m, const char *path,
    uint8_t mrsigner[48], uint8_t attributes[8], uint8_t mask[8])
{
	int rc;

	if ((rc = jfield_hex(c, m, path, "mrsigner", mrsigner, 48)) != 0 ||
	    (rc = jfield_hex(c, m, path, "attributes", attributes, 8)) != 0)
		return rc;
	return jfield_hex(c, m, path, "attributesMask", mask, 8);
}

static int
parse_modules(struct jfield_ctx *c, json_t *root, struct tcb_info *ti)
{
	char p[JFIELD_PATH_MAX];
	json_t *a, *m;
	size_t i;
	int rc;

	if (json_object_get(root, "tdxModuleIdentities") == NULL)
		return 0;
	if ((rc = jfield_array(c, root, "", "tdxModuleIdentities", 0,
	    TCB_MODULES_MAX, &a)) != 0 || json_array_size(a) == 0)
		return rc;
	if ((ti->modules = calloc(json_array_size(a),
	    sizeof(*ti->modules))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, m) {
		struct tdx_module_identity *id = &ti->modules[i];

		ti->nmodules++;	/* counted first: tcb_info_free releases it */
		jfield_join_index(p, "", "tdxModuleIdentities", i);
		if (!json_is_object(m))
			return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, p, NULL,
			    "expected an object");
		if ((rc = parse_id(c, m, p, id->id, sizeof(id->id))) != 0 ||
		    (rc = parse_module_keys(c, m, p, id->mrsigner,
		    id->attributes, id->attributes_mask)) != 0 ||
		    (rc = parse_isv_levels(c, m, p, MODULE_STATUSES,
		    &id->levels, &id->nlevels)) != 0)
			return rc;
	}
	return 0;
}

/* issueDate <= nextUpdate, both present: shared by both documents. */
static int
parse_dates(struct jfield_ctx *c, json_t *root, int64_t *issue, int64_t *next)
{
	int rc;

	if ((rc = jfield_time(c, root, "", "issueDate", issue)) != 0 ||
	    (rc = jfield_time(c, root, "", "nextUpdate", next)) != 0)
		return rc;
	if (*next < *issue)
		return jfield_bad(c, CLOISTER_ERR_BAD_TIME, "", "nextUpdate",
		    "before issueDate");
	return 0;
}

/* version, id (absent in v2: SGX) and the combinations Intel issues. */
static int
parse_kind(struct jfield_ctx *c, json_t *root, struct tcb_info *ti)
{
	char id[TCB_ID_MAX] = "SGX";
	json_int_t v;
	int rc;

	if ((rc = jfield_int(c, root, "", "version", 2, 3, &v)) != 0)
		return rc;
	ti->version = (int)v;
	if ((ti->version >= 3 || json_object_get(root, "id") != NULL) &&
	    (rc = parse_id(c, root, "", id, sizeof(id))) != 0)
		return rc;
	if (strcmp(id, "TDX") == 0)
		ti->is_tdx = 1;
	else if (strcmp(id, "SGX") != 0)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, "", "id",
		    "\"%s\" (expected SGX or TDX)", id);
	if (ti->is_tdx && ti->version < 3)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, "", "version",
		    "TDX TCB Info must be version 3");
	return 0;
}

static int
parse_tcb_info(struct jfield_ctx *c, json_t *root, struct tcb_info *ti)
{
	char p[JFIELD_PATH_MAX];
	json_t *a, *lv, *m;
	json_int_t v;
	size_t i;
	int rc;

	if ((rc = parse_kind(c, root, ti)) != 0 ||
	    (rc = parse_dates(c, root, &ti->issue_date,
	    &ti->next_update)) != 0 ||
	    (rc = jfield_hex(c, root, "", "fmspc", ti->fmspc, 6)) != 0 ||
	    (rc = jfield_hex(c, root, "", "pceId", ti->pceid, 2)) != 0 ||
	    (rc = jfield_int(c, root, "", "tcbType", 0, 255, &v)) != 0)
		return rc;
	ti->tcb_type = (int)v;
	if ((rc = jfield_int(c, root, "", "tcbEvaluationDataNumber", 0,
	    INT32_MAX, &v)) != 0)
		return rc;
	ti->tcb_eval_num = (int)v;
	if (json_object_get(root, "tdxModule") != NULL) {
		if ((rc = jfield_get(c, root, "", "tdxModule", JSON_OBJECT,
		    &m)) != 0 ||
		    (rc = parse_module_keys(c, m, "tdxModule",
		    ti->module_mrsigner, ti->module_attributes,
		    ti->module_attributes_mask)) != 0)
			return rc;
		ti->has_tdx_module = 1;
	}
	if ((rc = parse_modules(c, root, ti)) != 0 ||
	    (rc = jfield_array(c, root, "", "tcbLevels", 1, TCB_LEVELS_MAX,
	    &a)) != 0)
		return rc;
	if ((ti->levels = calloc(json_array_size(a),
	    sizeof(*ti->levels))) == NULL)
		return CLOISTER_ERR_ALLOC;
	json_array_foreach(a, i, lv) {
		ti->nlevels++;	/* counted first: tcb_info_free releases it */
		jfield_join_index(p, "", "tcbLevels", i);
		if ((rc = parse_level(c, lv, p, ti, &ti->levels[i])) != 0)
			return rc;
	}
	return 0;
}

static int
parse_qe(struct jfield_ctx *c, json_t *root, struct qe_identity *qe)
{
	json_int_t v;
	int rc;

	if ((rc = parse_id(c, root, "", qe->id, sizeof(qe->id))) != 0)
		return rc;
	if (strcmp(qe->id, "QE") != 0 && strcmp(qe->id, "TD_QE") != 0 &&
	    strcmp(qe->id, "QVE") != 0)
		return jfield_bad(c, CLOISTER_ERR_BAD_FIELD, "", "id",
		    "\"%s\" (expected QE, TD_QE or QVE)", qe->id);
	if ((rc = jfield_int(c, root, "", "version", 2, 2, &v)) != 0)
		return rc;
	qe->version = (int)v;
	if ((rc = parse_dates(c, root, &qe->issue_date,
	    &qe->next_update)) != 0 ||
	    (rc = jfield_int(c, root, "", "tcbEvaluationDataNumber", 0,
	    INT32_MAX, &v)) != 0)
		return rc;
	qe->tcb_eval_num = (int)v;
	if ((rc = jfield_hex32(c, root, "", "miscselect",
	    &qe->miscselect)) != 0 ||
	    (rc = jfield_hex32(c, root, "", "miscselectMask",
	    &qe->miscselect_mask)) != 0 ||
	    (rc = jfield_hex(c, root, "", "attributes", qe->attributes,
	    16)) != 0 ||
	    (rc = jfield_hex(c, root, "", "attributesMask", qe->attributes_mask,
	    16)) != 0 ||
	    (rc = jfield_hex(c, root, "", "mrsigner", qe->mrsigner, 32)) != 0 ||
	    (rc = jfield_int(c, root, "", "isvprodid", 0, UINT16_MAX, &v)) != 0)
		return rc;
	qe->isvprodid = (uint16_t)v;
	return parse_isv_levels(c, root, "", QE_STATUSES, &qe->levels,
	    &qe->nlevels);
}

static void
free_isv_levels(struct isvsvn_level *l, size_t n)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(l[i].advisories.ids);
	free(l);
}

void
tcb_info_free(struct tcb_info *ti)
{
	if (ti == NULL)
		return;
	if (ti->levels != NULL)
		for (size_t i = 0; i < ti->nlevels; i++)
			free(ti->levels[i].advisories.ids);
	free(ti->levels);
	if (ti->modules != NULL)
		for (size_t i = 0; i < ti->nmodules; i++)
			free_isv_levels(ti->modules[i].levels,
			    ti->modules[i].nlevels);
	free(ti->modules);
	free(ti);
}

void
qe_identity_free(struct qe_identity *qe)
{
	if (qe == NULL)
		return;
	free_isv_levels(qe->levels, qe->nlevels);
	free(qe);
}

/*
 * The document as a jansson object: syntax errors are BAD_JSON with the
 * position, duplicate keys at any depth are refused (two "tcbStatus" in
 * one level must not let a reader pick the one it likes).
 */
static int
load(struct jfield_ctx *c, const char *json, size_t len, json_t **root)
{
	json_error_t err;

	*root = NULL;
	if (json == NULL)
		return util_fail(CLOISTER_ERR_BAD_JSON, c->why, c->whylen,
		    "no document");
	*root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (*root == NULL)
		return util_fail(CLOISTER_ERR_BAD_JSON, c->why, c->whylen,
		    "JSON line %d column %d: %s", err.line, err.column,
		    err.text);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return util_fail(CLOISTER_ERR_BAD_FIELD, c->why, c->whylen,
		    "expected a JSON object");
	}
	return 0;
}

int
tcb_info_parse(const char *json, size_t len, struct tcb_info **out,
    char *why, size_t whylen)
{
	struct jfield_ctx c = { why, whylen };
	struct tcb_info *ti = NULL;
	json_t *root = NULL;
	int r;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((r = load(&c, json, len, &root)) != 0)
		goto out;
	if ((ti = calloc(1, sizeof(*ti))) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if ((r = parse_tcb_info(&c, root, ti)) != 0)
		goto out;
	*out = ti;
	ti = NULL;
 out:
	tcb_info_free(ti);
	json_decref(root);
	return r;
}

int
qe_identity_parse(const char *json, size_t len, struct qe_identity **out,
    char *why, size_t whylen)
{
	struct jfield_ctx c = { why, whylen };
	struct qe_identity *qe = NULL;
	json_t *root = NULL;
	int r;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((r = load(&c, json, len, &root)) != 0)
		goto out;
	if ((qe = calloc(1, sizeof(*qe))) == NULL) {
		r = CLOISTER_ERR_ALLOC;
		goto out;
	}
	if ((r = parse_qe(&c, root, qe)) != 0)
		goto out;
	*out = qe;
	qe = NULL;
 out:
	qe_identity_free(qe);
	json_decref(root);
	return r;
}
