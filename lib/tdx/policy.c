/*
 * Appraisal policy, YAML in (policy_apply.c has the checks out).  The
 * document is small and its shape fixed, so it is loaded with libyaml's
 * document API and walked against a table of known keys; anything
 * unknown is an error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cloister/error.h"
#include "policy.h"
#include "util.h"

/*
 * td.allow_debug / sgx.allow_debug and td.report_data / sgx.report_data
 * land in one field each; when a document gives both, they must agree,
 * so that allowing a debug enclave never silently allows a debug TD.
 */
#define SHARED_DEBUG		0x1u
#define SHARED_REPORT_DATA	0x2u

struct pctx {
	yaml_document_t	*doc;
	struct cloister_policy *p;
	char		*why;
	size_t		 whylen;
	unsigned	 shared;	/* SHARED_* keys seen so far */
};

static int bad(struct pctx *, yaml_node_t *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct pctx *c, yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->why != NULL && c->whylen > 0)
		snprintf(c->why, c->whylen, "line %zu: %s",
		    n != NULL ? n->start_mark.line + 1 : 0, msg);
	return CLOISTER_ERR_BAD_YAML;
}

static const char *
scalar(yaml_node_t *n, size_t *len)
{
	*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

static int
get_bool(struct pctx *c, yaml_node_t *n, const char *key, int *out)
{
	size_t len;
	const char *s;

	if (n->type != YAML_SCALAR_NODE)
		return bad(c, n, "%s: expected true or false", key);
	s = scalar(n, &len);
	if ((len == 4 && memcmp(s, "true", 4) == 0) ||
	    (len == 3 && memcmp(s, "yes", 3) == 0))
		*out = 1;
	else if ((len == 5 && memcmp(s, "false", 5) == 0) ||
	    (len == 2 && memcmp(s, "no", 2) == 0))
		*out = 0;
	else
		return bad(c, n, "%s: expected true or false", key);
	return 0;
}

static int
get_uint(struct pctx *c, yaml_node_t *n, const char *key, uint64_t max,
    uint64_t *out)
{
	const char *s;
	uint64_t v = 0;
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return bad(c, n, "%s: expected a number", key);
	s = scalar(n, &len);
	if (len == 0 || len > 19)
		return bad(c, n, "%s: expected a number", key);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return bad(c, n, "%s: expected a number", key);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return bad(c, n, "%s: %llu is too large", key,
		    (unsigned long long)v);
	*out = v;
	return 0;
}

/* "3600", "90s", "30m", "12h", "30d" into seconds. */
static int
get_duration(struct pctx *c, yaml_node_t *n, const char *key, int64_t *out)
{
	static const struct {
		char	 suffix;
		int64_t	 mul;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	const char *s;
	int64_t mul = 1, v = 0;
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return bad(c, n, "%s: expected a duration", key);
	s = scalar(n, &len);
	/* At most one unit suffix, and only after at least one digit. */
	for (size_t u = 0; len > 0 && u < 4; u++) {
		if (s[len - 1] == units[u].suffix) {
			mul = units[u].mul;
			len--;
			break;
		}
	}
	if (len == 0 || len > 9)
		return bad(c, n, "%s: expected a duration such as 7d, 12h, "
		    "3600", key);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return bad(c, n, "%s: expected a duration such as 7d, "
			    "12h, 3600", key);
		v = v * 10 + (s[i] - '0');
	}
	if (v == 0)
		return bad(c, n, "%s: must be positive", key);
	*out = v * mul;
	return 0;
}

/* A scalar or a sequence of scalars; fn is called for each. */
typedef int item_fn(struct pctx *, yaml_node_t *, const char *, void *);

static int
each(struct pctx *c, yaml_node_t *n, const char *key, item_fn *fn, void *arg)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if (n->type == YAML_SCALAR_NODE)
		return fn(c, n, key, arg);
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(c, n, "%s: expected a value or a list", key);
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((v = yaml_document_get_node(c->doc, *it)) == NULL ||
		    v->type != YAML_SCALAR_NODE)
			return bad(c, n, "%s: list items must be plain values",
			    key);
		if ((rc = fn(c, v, key, arg)) != 0)
			return rc;
	}
	return 0;
}

static int
add_value(struct pctx *c, yaml_node_t *n, const char *key, void *arg)
{
	struct policy_values *pv = arg;
	const char *s;
	size_t len;

	s = scalar(n, &len);
	if (pv->n == POLICY_VALUES_MAX)
		return bad(c, n, "%s: more than %d values", key,
		    POLICY_VALUES_MAX);
	if (util_hex_decode_exact(s, len, pv->v[pv->n], pv->size) != 0)
		return bad(c, n, "%s: expected %zu hex characters", key,
		    2 * pv->size);
	pv->n++;
	return 0;
}

static int
values(struct pctx *c, yaml_node_t *n, const char *key,
    struct policy_values *pv, size_t size)
{
	pv->n = 0;
	pv->size = size;
	return each(c, n, key, add_value, pv);
}

static int
add_status(struct pctx *c, yaml_node_t *n, const char *key, void *arg)
{
	enum cloister_tcb_status s;
	unsigned *mask = arg;
	const char *v;
	size_t len;

	v = scalar(n, &len);
	s = cloister_tcb_status_from_name(v, len);
	if (s == CLOISTER_TCB_UNKNOWN || s == CLOISTER_TCB_REVOKED ||
	    s == CLOISTER_TCB_NOT_SUPPORTED)
		return bad(c, n, "%s: \"%.*s\" is not an acceptable TCB status",
		    key, (int)(len > 60 ? 60 : len), v);
	*mask |= 1u << s;
	return 0;
}

static int
add_advisory(struct pctx *c, yaml_node_t *n, const char *key, void *arg)
{
	struct cloister_policy *p = arg;
	const char *v;
	size_t len;

	v = scalar(n, &len);
	if (p->nreject_advisories == POLICY_VALUES_MAX)
		return bad(c, n, "%s: more than %d advisories", key,
		    POLICY_VALUES_MAX);
	if (len == 0 || len >= CLOISTER_ADVISORY_LEN)
		return bad(c, n, "%s: advisory IDs are short strings", key);
	memcpy(p->reject_advisories[p->nreject_advisories], v, len);
	p->reject_advisories[p->nreject_advisories++][len] = '\0';
	return 0;
}

enum section { SEC_TCB, SEC_TD, SEC_SGX, SEC_INSTANCE, SEC_GPU,
	SEC_COUNT };

static const char *const section_names[SEC_COUNT] = { "tcb", "td", "sgx",
	"instance", "gpu" };

static int
key_is(yaml_node_t *k, const char *name)
{
	return k->data.scalar.length == strlen(name) &&
	    memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

/*
 * allow_debug and report_data are one setting each for td and sgx; when
 * both sections give one, they must agree.
 */
static int
shared_bool(struct pctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	int b = 0, rc;

	if ((rc = get_bool(c, v, key, &b)) != 0)
		return rc;
	if ((c->shared & SHARED_DEBUG) && b != c->p->allow_debug)
		return bad(c, k, "td.%s and sgx.%s are one setting and must "
		    "agree", key, key);
	c->shared |= SHARED_DEBUG;
	c->p->allow_debug = b;
	return 0;
}

static int
shared_report_data(struct pctx *c, yaml_node_t *k, yaml_node_t *v,
    const char *key)
{
	struct policy_values pv;	/* 4 KiB */
	int rc;

	memset(&pv, 0, sizeof(pv));
	if ((rc = values(c, v, key, &pv, 64)) != 0)
		return rc;
	if ((c->shared & SHARED_REPORT_DATA) &&
	    (pv.n != c->p->report_data.n ||
	    memcmp(pv.v, c->p->report_data.v, sizeof(pv.v)) != 0))
		return bad(c, k, "td.%s and sgx.%s are one setting and must "
		    "agree", key, key);
	c->shared |= SHARED_REPORT_DATA;
	c->p->report_data = pv;
	return 0;
}

static int
set_u16(struct pctx *c, yaml_node_t *v, const char *key, int *has,
    uint16_t *out)
{
	uint64_t u = 0;
	int rc;

	if ((rc = get_uint(c, v, key, UINT16_MAX, &u)) != 0)
		return rc;
	*has = 1;
	*out = (uint16_t)u;
	return 0;
}

static int
set_tcb(struct pctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct cloister_policy *p = c->p;

	if (key_is(k, "accept")) {
		p->accept_status = 0;
		return each(c, v, key, add_status, &p->accept_status);
	}
	if (key_is(k, "reject_advisories")) {
		p->nreject_advisories = 0;
		return each(c, v, key, add_advisory, p);
	}
	if (key_is(k, "max_collateral_age"))
		return get_duration(c, v, key, &p->max_collateral_age);
	return 1;
}

static int
set_td(struct pctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	static const char *const rtmr[] = { "rtmr0", "rtmr1", "rtmr2",
	    "rtmr3" };
	struct cloister_policy *p = c->p;

	if (key_is(k, "allow_debug"))
		return shared_bool(c, k, v, key);
	if (key_is(k, "require_sept_ve_disable"))
		return get_bool(c, v, key, &p->require_sept_ve_disable);
	if (key_is(k, "mrservicetd"))
		return values(c, v, key, &p->mrservicetd, 48);
	if (key_is(k, "mrtd"))
		return values(c, v, key, &p->mrtd, 48);
	for (size_t i = 0; i < 4; i++)
		if (key_is(k, rtmr[i]))
			return values(c, v, key, &p->rtmr[i], 48);
	if (key_is(k, "mrconfigid"))
		return values(c, v, key, &p->mrconfigid, 48);
	if (key_is(k, "mrowner"))
		return values(c, v, key, &p->mrowner, 48);
	if (key_is(k, "mrseam"))
		return values(c, v, key, &p->mrseam, 48);
	if (key_is(k, "report_data"))
		return shared_report_data(c, k, v, key);
	return 1;
}

static int
set_sgx(struct pctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct cloister_policy *p = c->p;

	if (key_is(k, "allow_debug"))
		return shared_bool(c, k, v, key);
	if (key_is(k, "mrenclave"))
		return values(c, v, key, &p->mrenclave, 32);
	if (key_is(k, "mrsigner"))
		return values(c, v, key, &p->mrsigner, 32);
	if (key_is(k, "report_data"))
		return shared_report_data(c, k, v, key);
	if (key_is(k, "isvprodid"))
		return set_u16(c, v, key, &p->has_isvprodid, &p->isvprodid);
	if (key_is(k, "min_isvsvn"))
		return set_u16(c, v, key, &p->has_min_isvsvn, &p->min_isvsvn);
	return 1;
}

static int
set_instance(struct pctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	if (key_is(k, "config_sha256"))
		return values(c, v, key, &c->p->config_sha256, 32);
	return 1;
}

/* A dotted version, as policy_version_cmp reads them. */
static int
get_version(struct pctx *c, yaml_node_t *v, const char *key, char *out)
{
	size_t len;
	const char *s = scalar(v, &len);

	if (s == NULL || len == 0 || len >= POLICY_VERSION_MAX)
		return bad(c, v, "%s wants a version such as 550.90.07", key);
	memcpy(out, s, len);
	out[len] = '\0';
	if (policy_version_cmp(out, out) != 0)
		return bad(c, v, "%s wants a version such as 550.90.07 "
		    "(parts of hex digits, joined by dots)", key);
	return 0;
}

static int
set_gpu(struct pctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct cloister_policy *p = c->p;

	if (key_is(k, "required"))
		return get_bool(c, v, key, &p->gpu_required);
	if (key_is(k, "min_driver"))
		return get_version(c, v, key, p->gpu_min_driver);
	if (key_is(k, "min_vbios"))
		return get_version(c, v, key, p->gpu_min_vbios);
	return 1;
}

/* Returns 0, a negative error, or (from set_*) 1 for an unknown key. */
static int
set_key(struct pctx *c, enum section sec, yaml_node_t *k, yaml_node_t *v)
{
	const char *key = (const char *)k->data.scalar.value;
	int rc;

	if (sec == SEC_TCB)
		rc = set_tcb(c, k, v, key);
	else if (sec == SEC_TD)
		rc = set_td(c, k, v, key);
	else if (sec == SEC_SGX)
		rc = set_sgx(c, k, v, key);
	else if (sec == SEC_INSTANCE)
		rc = set_instance(c, k, v, key);
	else
		rc = set_gpu(c, k, v, key);
	if (rc > 0)
		return bad(c, k, "unknown key \"%.60s\" in %s", key,
		    section_names[sec]);
	return rc;
}

/* "gpu: required" and "gpu: optional", short for gpu.required. */
static int
gpu_word(struct pctx *c, yaml_node_t *v)
{
	size_t len;
	const char *s = scalar(v, &len);

	if (s != NULL && len == 8 && memcmp(s, "required", 8) == 0)
		c->p->gpu_required = 1;
	else if (s != NULL && len == 8 && memcmp(s, "optional", 8) == 0)
		c->p->gpu_required = 0;
	else
		return bad(c, v, "gpu wants required, optional or a mapping "
		    "(required, min_driver, min_vbios)");
	return 0;
}

/* Walk a mapping: scalar keys only, no duplicates. */
static int
mapping(struct pctx *c, yaml_node_t *m, int top)
{
	yaml_node_pair_t *pr, *q;
	yaml_node_t *k, *v, *k2;
	int rc;

	if (m->type != YAML_MAPPING_NODE)
		return bad(c, m, "expected a mapping of keys to values");
	for (pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
	    pr++) {
		k = yaml_document_get_node(c->doc, pr->key);
		v = yaml_document_get_node(c->doc, pr->value);
		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
			return bad(c, m, "keys must be plain words");
		for (q = m->data.mapping.pairs.start; q < pr; q++) {
			k2 = yaml_document_get_node(c->doc, q->key);
			if (k2 != NULL && k2->type == YAML_SCALAR_NODE &&
			    k2->data.scalar.length == k->data.scalar.length &&
			    memcmp(k2->data.scalar.value, k->data.scalar.value,
			    k->data.scalar.length) == 0)
				return bad(c, k, "duplicate key \"%.60s\"",
				    (const char *)k->data.scalar.value);
		}
		if (top < 0) {
			size_t s;

			for (s = 0; s < SEC_COUNT; s++)
				if (key_is(k, section_names[s]))
					break;
			if (s == SEC_COUNT)
				return bad(c, k, "unknown section \"%.60s\" "
				    "(known: tcb, td, sgx, instance, gpu)",
				    (const char *)k->data.scalar.value);
			if (v->type == YAML_SCALAR_NODE &&
			    v->data.scalar.length == 0)
				continue;	/* "td:" with nothing under it */
			if (s == SEC_GPU && v->type == YAML_SCALAR_NODE) {
				if ((rc = gpu_word(c, v)) != 0)
					return rc;
				continue;
			}
			if ((rc = mapping(c, v, (int)s)) != 0)
				return rc;
			continue;
		}
		if ((rc = set_key(c, (enum section)top, k, v)) != 0)
			return rc;
	}
	return 0;
}

void
policy_default(struct cloister_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->accept_status = 1u << CLOISTER_TCB_UP_TO_DATE |
	    1u << CLOISTER_TCB_SW_HARDENING_NEEDED;
	p->require_sept_ve_disable = 1;
}

static int
syntax_error(yaml_parser_t *parser, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "line %zu: %s",
		    parser->problem_mark.line + 1, parser->problem != NULL ?
		    parser->problem : "malformed YAML");
	return CLOISTER_ERR_BAD_YAML;
}

/*
 * A first pass over the events, before anything is built: at most
 * POLICY_DEPTH_MAX levels of nesting, one document, no aliases (a policy
 * has no use for them, and a value must be read where it is written).
 */
static int
prescan(const char *yaml, size_t len, char *why, size_t whylen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t depth = 0, docs = 0;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return CLOISTER_ERR_ALLOC;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	while (rc == 0 && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(&parser, why, whylen);
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > POLICY_DEPTH_MAX)
				rc = util_fail(CLOISTER_ERR_BAD_YAML, why,
				    whylen, "line %zu: nested deeper than %d "
				    "levels", ev.start_mark.line + 1,
				    POLICY_DEPTH_MAX);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = util_fail(CLOISTER_ERR_BAD_YAML, why,
				    whylen, "line %zu: a policy is one YAML "
				    "document", ev.start_mark.line + 1);
			break;
		case YAML_ALIAS_EVENT:
			rc = util_fail(CLOISTER_ERR_BAD_YAML, why, whylen,
			    "line %zu: aliases (*name) are not allowed in a "
			    "policy", ev.start_mark.line + 1);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int
policy_parse(const char *yaml, size_t len, struct cloister_policy *p,
    char *why, size_t whylen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct pctx c = { &doc, p, why, whylen, 0 };
	int rc;

	policy_default(p);
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len > POLICY_DOC_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "policy is %zu bytes, at most %u allowed", len,
		    POLICY_DOC_MAX);
	if ((rc = prescan(yaml, len, why, whylen)) != 0)
		return rc;
	if (!yaml_parser_initialize(&parser))
		return CLOISTER_ERR_ALLOC;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&parser, why, whylen);
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || (root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0 &&
	    root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
		rc = 0;		/* an empty document: the defaults */
	else
		rc = mapping(&c, root, -1);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0)
		policy_default(p);	/* never half a policy */
	return rc;
}

int
cloister_policy_load(const char *path, struct cloister_policy **out,
    char *why, size_t whylen)
{
	struct cloister_policy *p;
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((rc = util_read_file(path, POLICY_DOC_MAX, &buf, &len)) != 0)
		return util_fail(rc, why, whylen, "%s", rc ==
		    CLOISTER_ERR_TOO_LARGE ? "larger than the policy size "
		    "limit" : "cannot read the file");
	if ((p = malloc(sizeof(*p))) == NULL) {
		free(buf);
		return CLOISTER_ERR_ALLOC;
	}
	rc = policy_parse((const char *)buf, len, p, why, whylen);
	free(buf);
	if (rc != 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void
cloister_policy_free(struct cloister_policy *p)
{
	free(p);
}
