/*
 * cloister-simpki OUTDIR: write the simulated DCAP fixture tree.
 *
 *   OUTDIR/root.pem            the simulated root certificate
 *   OUTDIR/cases.txt           one case name per line
 *   OUTDIR/<case>/quote.bin    the quote
 *   OUTDIR/<case>/case.txt     key=value expectations (at, verified,
 *                              status, code, step, advisories, policy,
 *                              simulated, tee, version, desc)
 *   OUTDIR/<case>/collateral/  Intel PCS-format collateral
 *
 * Every case gets its own PCK CA, PCK certificate and TCB signing
 * certificate under the one root, so cases never share a proof.  The TCB
 * Info and identities are the same for every case; a case changes one
 * input (a TCB SVN, a time window, a signer, ...) so that exactly one
 * check decides its outcome.  docs/internals/sim_pki.md says what each
 * case proves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cloister/error.h"
#include "sim_collateral.h"
#include "sim_pki.h"
#include "sim_quote.h"
#include "util.h"

#define DAY		86400
#define T0		1767225600	/* 2026-01-01T00:00:00Z: issueDate */
#define CERT_NB		1735689600	/* 2025-01-01 */
#define CERT_NA		2051222400	/* 2035-01-01 */
#define VALID_DAYS	30
#define PATH_LEN	4096

/* ---- the collateral every case shares ------------------------------- */

static const uint8_t tdx_fmspc[6] = { 0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00 };
static const uint8_t sgx_fmspc[6] = { 0x00, 0xa0, 0x67, 0x11, 0x00, 0x00 };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- one case ----------------------------------------------------------- */

/* Collateral and PKI changes. */
#define F_REVOKE_LEAF		(1u << 0)
#define F_REVOKE_CA		(1u << 1)
#define F_REVOKE_TCB_SIGNER	(1u << 2)
#define F_TCB_TAMPER		(1u << 3)
#define F_TCB_WRONG_SIGNER	(1u << 4)
#define F_QE_ID_TAMPER		(1u << 5)
#define F_IMPOSTOR_ROOT		(1u << 6)
#define F_TCB_EXPIRED		(1u << 7)
#define F_TCB_FUTURE		(1u << 8)
#define F_QE_ID_EXPIRED		(1u << 9)
#define F_PCK_CRL_EXPIRED	(1u << 10)
#define F_ROOT_CRL_EXPIRED	(1u << 11)
#define F_PCK_EXPIRED		(1u << 12)
#define F_PCK_FUTURE		(1u << 13)
#define F_FMSPC			(1u << 14)
#define F_PCEID			(1u << 15)
#define F_QE_MRSIGNER		(1u << 16)
/* Quote changes. */
#define F_QE_REPORT_WRONG_KEY	(1u << 17)
#define F_QUOTE_WRONG_KEY	(1u << 18)
#define F_BINDING		(1u << 19)
#define F_NO_NUL		(1u << 20)
#define F_TRAILING		(1u << 21)
#define F_DEBUG			(1u << 22)
#define F_NO_SEPT		(1u << 23)
#define F_SERVICETD		(1u << 24)
#define F_MRSIGNERSEAM		(1u << 25)
#define F_SEAM_ATTR		(1u << 26)
#define F_VENDOR		(1u << 27)
#define F_TD10			(1u << 28)
#define F_FOREIGN_SERIAL	(1u << 29)	/* see make_pki() */
#define F_TCB_TYPE		(1u << 30)
/* Never known to chain to the simulated root. */
#define F_NOT_SIMULATED		(F_IMPOSTOR_ROOT | F_VENDOR)
/* DCAP-valid, but the default appraisal policy refuses them. */
#define F_POLICY_REFUSES	(F_DEBUG | F_NO_SEPT | F_SERVICETD)

/*
 * A case: the one input that differs from the default quote (PCK SGX
 * components {8, 8, 3, 3, 5, 1, 0, 6}, PCESVN 13, TEE_TCB_SVN 06 01 05,
 * QE ISVSVN 4, or 8 for SGX) and what the verifier must conclude.  Zero
 * means "the default" in every input field; code NULL means verified.
 */
struct case_def {
	const char	*name;
	uint16_t	 version;
	uint32_t	 flags;
	uint8_t		 lead;		/* PCK SGX components 0 and 1 */
	uint16_t	 pcesvn;
	uint8_t		 svn[3];	/* TEE_TCB_SVN[0..2] */
	uint8_t		 svn2[3];	/* TEE_TCB_SVN2[0..2] (TD 1.5) */
	uint8_t		 qe;		/* QE ISVSVN */
	const char	*status;	/* Intel's name; NULL "-" */
	const char	*code;		/* cloister_errname(); NULL "OK" */
	const char	*advisories;	/* of verified cases; NULL "-" */
	const char	*desc;
};

static const struct case_def cases[] = {
	{ .name = "uptodate", .version = 4, .status = "UpToDate",
	    .desc = "v4 TDX quote at the highest TCB level" },
	{ .name = "swhardening", .version = 4, .lead = 7,
	    .status = "SWHardeningNeeded", .advisories = "INTEL-SA-00615",
	    .desc = "PCK SGX components select the SWHardeningNeeded level" },
	{ .name = "configneeded", .version = 4, .lead = 6,
	    .status = "ConfigurationNeeded", .advisories = "INTEL-SA-00289",
	    .desc = "PCK SGX components select the ConfigurationNeeded level" },
	{ .name = "configswhardening", .version = 4, .lead = 5,
	    .status = "ConfigurationAndSWHardeningNeeded",
	    .advisories = "INTEL-SA-00289,INTEL-SA-00615",
	    .desc = "PCK SGX components select "
	    "ConfigurationAndSWHardeningNeeded" },
	{ .name = "outofdate", .version = 4, .lead = 4, .status = "OutOfDate",
	    .advisories = "INTEL-SA-00837,INTEL-SA-00615",
	    .desc = "PCK SGX components select an OutOfDate level" },
	{ .name = "outofdateconfig", .version = 4, .lead = 3,
	    .status = "OutOfDateConfigurationNeeded",
	    .advisories = "INTEL-SA-00837,INTEL-SA-00289,INTEL-SA-00615",
	    .desc = "PCK SGX components select OutOfDateConfigurationNeeded" },
	{ .name = "revoked_tcb", .version = 4, .lead = 2, .status = "Revoked",
	    .code = "TCB_REVOKED",
	    .desc = "PCK SGX components select a Revoked level" },
	{ .name = "not_supported", .version = 4, .lead = 1,
	    .status = "NotSupported", .code = "TCB_NOT_SUPPORTED",
	    .desc = "PCK SGX components below every level" },
	{ .name = "pcesvn_not_supported", .version = 4, .pcesvn = 12,
	    .status = "NotSupported", .code = "TCB_NOT_SUPPORTED",
	    .desc = "PCK PCESVN 12 below every level's 13" },
	{ .name = "tdx_not_supported", .version = 4, .svn = { 6, 1, 3 },
	    .status = "NotSupported", .code = "TCB_NOT_SUPPORTED",
	    .desc = "TEE_TCB_SVN[2] below every level's TDX component 2" },
	{ .name = "module_outofdate", .version = 4, .svn = { 4, 1, 5 },
	    .status = "OutOfDate", .advisories = "INTEL-SA-01036",
	    .desc = "platform UpToDate, TDX_01 module ISVSVN 4 OutOfDate" },
	{ .name = "module_revoked", .version = 4, .svn = { 2, 1, 5 },
	    .status = "Revoked", .code = "TCB_REVOKED",
	    .desc = "TDX_01 module ISVSVN 2 is at a Revoked level" },
	{ .name = "module_not_supported", .version = 4, .svn = { 1, 1, 5 },
	    .status = "NotSupported", .code = "TCB_NOT_SUPPORTED",
	    .desc = "TDX_01 module ISVSVN 1 below every level" },
	{ .name = "module_missing", .version = 4, .svn = { 6, 2, 5 },
	    .code = "TDX_MODULE_MISMATCH",
	    .desc = "TEE_TCB_SVN[1] = 2 names TDX_02, absent from the TCB info" },
	{ .name = "module_v0_uptodate", .version = 4, .svn = { 6, 0, 5 },
	    .status = "UpToDate",
	    .desc = "TEE_TCB_SVN[1] = 0: tdxModule, all 16 TDX components" },
	{ .name = "mrsignerseam_mismatch", .version = 4,
	    .flags = F_MRSIGNERSEAM, .code = "TDX_MODULE_MISMATCH",
	    .desc = "MRSIGNERSEAM is not the module identity's" },
	{ .name = "seam_attributes_mismatch", .version = 4,
	    .flags = F_SEAM_ATTR, .code = "TDX_MODULE_MISMATCH",
	    .desc = "SEAMATTRIBUTES non-zero under a full mask" },
	{ .name = "qe_outofdate", .version = 4, .qe = 3, .status = "OutOfDate",
	    .advisories = "INTEL-SA-00477",
	    .desc = "platform UpToDate, QE ISVSVN 3 at an OutOfDate QE level" },
	{ .name = "qe_revoked", .version = 4, .qe = 2, .status = "Revoked",
	    .code = "TCB_REVOKED", .desc = "QE ISVSVN 2 at a Revoked QE level" },
	{ .name = "qe_not_supported", .version = 4, .qe = 1,
	    .status = "NotSupported", .code = "TCB_NOT_SUPPORTED",
	    .desc = "QE ISVSVN 1 below every QE level" },
	{ .name = "relaunch_advised", .version = 5, .svn = { 4, 1, 4 },
	    .svn2 = { 6, 1, 5 }, .status = "TDRelaunchAdvised",
	    .advisories = "INTEL-SA-01073,INTEL-SA-01036",
	    .desc = "TD 1.5 launched on an OutOfDate module and microcode, "
	    "TEE_TCB_SVN2 at the latest" },
	{ .name = "relaunch_not_latest", .version = 5, .svn = { 4, 1, 4 },
	    .svn2 = { 4, 1, 4 }, .status = "OutOfDate",
	    .advisories = "INTEL-SA-01073,INTEL-SA-01036",
	    .desc = "as relaunch_advised, TEE_TCB_SVN2 not updated" },
	{ .name = "v5_td15_uptodate", .version = 5, .status = "UpToDate",
	    .desc = "v5 quote with a TD 1.5 body at the highest level" },
	{ .name = "v5_td10_uptodate", .version = 5, .flags = F_TD10,
	    .status = "UpToDate", .desc = "v5 quote with a TD 1.0 body" },
	{ .name = "sgx_v3_uptodate", .version = 3, .status = "UpToDate",
	    .desc = "v3 SGX quote, PCK Processor CA, SGX TCB info, QE" },
	{ .name = "sgx_v3_outofdate", .version = 3, .lead = 4,
	    .status = "OutOfDate", .advisories = "INTEL-SA-00837,INTEL-SA-00615",
	    .desc = "v3 SGX quote at an OutOfDate level" },
	{ .name = "pck_revoked", .version = 4, .flags = F_REVOKE_LEAF,
	    .code = "CERT_REVOKED",
	    .desc = "PCK certificate serial listed in the PCK CRL" },
	{ .name = "pck_ca_revoked", .version = 4, .flags = F_REVOKE_CA,
	    .code = "CERT_REVOKED",
	    .desc = "PCK Platform CA serial listed in the root CA CRL" },
	{ .name = "tcb_signer_revoked", .version = 4,
	    .flags = F_REVOKE_TCB_SIGNER, .code = "CERT_REVOKED",
	    .desc = "TCB signing certificate listed in the root CA CRL" },
	{ .name = "crl_foreign_serial", .version = 4,
	    .flags = F_FOREIGN_SERIAL, .status = "UpToDate",
	    .desc = "PCK CRL lists the TCB signer's serial, which the PCK CA "
	    "did not issue: no effect" },
	{ .name = "tcb_info_expired", .version = 4, .flags = F_TCB_EXPIRED,
	    .code = "COLLATERAL_EXPIRED",
	    .desc = "TCB info nextUpdate 10 days before at" },
	{ .name = "tcb_info_not_yet_valid", .version = 4,
	    .flags = F_TCB_FUTURE, .code = "COLLATERAL_NOT_YET_VALID",
	    .desc = "TCB info issueDate 1 day after at" },
	{ .name = "qe_identity_expired", .version = 4,
	    .flags = F_QE_ID_EXPIRED, .code = "COLLATERAL_EXPIRED",
	    .desc = "QE identity nextUpdate 10 days before at" },
	{ .name = "pck_crl_expired", .version = 4, .flags = F_PCK_CRL_EXPIRED,
	    .code = "CRL_EXPIRED", .desc = "PCK CRL nextUpdate 10 days before at" },
	{ .name = "root_crl_expired", .version = 4,
	    .flags = F_ROOT_CRL_EXPIRED, .code = "CRL_EXPIRED",
	    .desc = "root CA CRL nextUpdate 10 days before at" },
	{ .name = "pck_expired", .version = 4, .flags = F_PCK_EXPIRED,
	    .code = "CERT_EXPIRED",
	    .desc = "PCK certificate notAfter 1 day before at" },
	{ .name = "pck_not_yet_valid", .version = 4, .flags = F_PCK_FUTURE,
	    .code = "CERT_NOT_YET_VALID",
	    .desc = "PCK certificate notBefore 1 day after at" },
	{ .name = "untrusted_root", .version = 4, .flags = F_IMPOSTOR_ROOT,
	    .code = "UNTRUSTED_ROOT",
	    .desc = "PCK chain ends at a look-alike root with another key" },
	{ .name = "fmspc_mismatch", .version = 4, .flags = F_FMSPC,
	    .code = "FMSPC_MISMATCH",
	    .desc = "TCB info FMSPC 00906ED50001, PCK certificate 00906ED50000" },
	{ .name = "pceid_mismatch", .version = 4, .flags = F_PCEID,
	    .code = "PCEID_MISMATCH",
	    .desc = "TCB info pceId 0001, PCK certificate 0000" },
	{ .name = "tcb_type_unknown", .version = 4, .flags = F_TCB_TYPE,
	    .code = "TCB_INFO_MISMATCH",
	    .desc = "TCB info of tcbType 1, which no verifier can interpret" },
	{ .name = "tcb_info_tampered", .version = 4, .flags = F_TCB_TAMPER,
	    .code = "SIGNATURE", .desc = "a tcbStatus changed after signing" },
	{ .name = "tcb_info_wrong_signer", .version = 4,
	    .flags = F_TCB_WRONG_SIGNER, .code = "SIGNATURE",
	    .desc = "TCB info signed by a key other than the TCB signer's" },
	{ .name = "qe_identity_tampered", .version = 4, .flags = F_QE_ID_TAMPER,
	    .code = "SIGNATURE",
	    .desc = "QE identity isvprodid changed after signing" },
	{ .name = "qe_identity_mismatch", .version = 4, .flags = F_QE_MRSIGNER,
	    .code = "QE_IDENTITY_MISMATCH",
	    .desc = "QE identity MRSIGNER differs from the QE report's" },
	{ .name = "qe_report_data_mismatch", .version = 4, .flags = F_BINDING,
	    .code = "QE_REPORT_DATA",
	    .desc = "QE report_data is not SHA-256(attestation key || auth)" },
	{ .name = "qe_report_bad_sig", .version = 4,
	    .flags = F_QE_REPORT_WRONG_KEY, .code = "SIGNATURE",
	    .desc = "QE report signed by a key other than the PCK cert's" },
	{ .name = "quote_bad_sig", .version = 4, .flags = F_QUOTE_WRONG_KEY,
	    .code = "SIGNATURE",
	    .desc = "quote signed by a key other than the attestation key" },
	{ .name = "bad_qe_vendor", .version = 4, .flags = F_VENDOR,
	    .code = "BAD_QE_VENDOR", .desc = "QE vendor ID is not Intel's" },
	{ .name = "debug_td", .version = 4, .flags = F_DEBUG,
	    .status = "UpToDate",
	    .desc = "TDATTRIBUTES DEBUG set: DCAP-valid, policy refuses" },
	{ .name = "no_sept_ve_disable", .version = 4, .flags = F_NO_SEPT,
	    .status = "UpToDate",
	    .desc = "TDATTRIBUTES SEPT_VE_DISABLE clear: policy refuses" },
	{ .name = "servicetd", .version = 5, .flags = F_SERVICETD,
	    .status = "UpToDate",
	    .desc = "TD 1.5 with a non-zero MRSERVICETD: policy refuses" },
	{ .name = "trailing_zeros", .version = 4, .flags = F_TRAILING,
	    .status = "UpToDate",
	    .desc = "uptodate quote followed by 70 zero bytes" },
	{ .name = "chain_no_nul", .version = 4, .flags = F_NO_NUL,
	    .status = "UpToDate",
	    .desc = "PCK chain in the quote without the trailing NUL" },
};

struct build {
	struct sim_quote	q;
	struct sim_pck_info	pck;
	enum sim_pck_ca		ca_kind;
	int			sgx;
	uint32_t		flags;
	int64_t			leaf_nb, leaf_na;
	int64_t			tcb_from, tcb_to;	/* TCB Info window */
	int64_t			qe_from, qe_to;
	int64_t			pck_crl_from, pck_crl_to;
	int64_t			root_crl_from, root_crl_to;
	uint8_t			tcb_fmspc[6];
	uint8_t			tcb_pceid[2];
	uint8_t			qe_mrsigner[32];
};

/* A window that closed 10 days before the verification time. */
static void
expired(int64_t *from, int64_t *to)
{
	*from = T0 - 40 * DAY;
	*to = T0 - 10 * DAY;
}

static void
build_inputs(struct build *b, const struct case_def *c)
{
	static const uint8_t comps[16] = { 8, 8, 3, 3, 5, 1, 0, 6 };
	static const uint8_t svn[3] = { 6, 1, 5 };
	static const uint8_t zero[3];
	const uint8_t *s = memcmp(c->svn, zero, 3) != 0 ? c->svn : svn;

	memset(b, 0, sizeof(*b));
	sim_quote_defaults(&b->q, c->version);
	b->sgx = c->version == 3;
	b->flags = c->flags;
	b->ca_kind = b->sgx ? SIM_PCK_PROCESSOR : SIM_PCK_PLATFORM;
	memset(b->pck.ppid, 0xa7, sizeof(b->pck.ppid));
	memcpy(b->pck.comp_svn, comps, 16);
	if (c->lead != 0)
		b->pck.comp_svn[0] = b->pck.comp_svn[1] = c->lead;
	memcpy(b->pck.cpusvn, b->pck.comp_svn, 16);
	b->pck.pcesvn = c->pcesvn != 0 ? c->pcesvn : 13;
	memcpy(b->pck.fmspc, b->sgx ? sgx_fmspc : tdx_fmspc, 6);
	memset(b->pck.platform_instance, 0x1c, 16);

	memcpy(b->q.td.tee_tcb_svn, s, 3);
	memcpy(b->q.td.tee_tcb_svn2, memcmp(c->svn2, zero, 3) != 0 ?
	    c->svn2 : s, 3);
	memcpy(b->q.qe.cpusvn, b->pck.cpusvn, 16);
	memcpy(b->q.sgx.cpusvn, b->pck.cpusvn, 16);
	if (c->qe != 0)
		b->q.qe.isvsvn = c->qe;
	b->q.qe_svn = b->q.qe.isvsvn;
	b->q.pce_svn = b->pck.pcesvn;

	b->leaf_nb = CERT_NB;
	b->leaf_na = CERT_NA;
	b->tcb_from = b->qe_from = b->pck_crl_from = b->root_crl_from = T0;
	b->tcb_to = b->qe_to = b->pck_crl_to = b->root_crl_to =
	    T0 + VALID_DAYS * DAY;
	memcpy(b->tcb_fmspc, b->pck.fmspc, 6);
	memcpy(b->qe_mrsigner, b->q.qe.mrsigner, 32);
}

/* The one thing a flagged case changes in the collateral or PKI. */
static void
build_collateral_flags(struct build *b)
{
	uint32_t f = b->flags;

	if (f & F_TCB_EXPIRED)
		expired(&b->tcb_from, &b->tcb_to);
	if (f & F_TCB_FUTURE) {
		b->tcb_from = T0 + 2 * DAY;
		b->tcb_to = T0 + 32 * DAY;
	}
	if (f & F_QE_ID_EXPIRED)
		expired(&b->qe_from, &b->qe_to);
	if (f & F_PCK_CRL_EXPIRED)
		expired(&b->pck_crl_from, &b->pck_crl_to);
	if (f & F_ROOT_CRL_EXPIRED)
		expired(&b->root_crl_from, &b->root_crl_to);
	if (f & F_PCK_EXPIRED)
		b->leaf_na = T0;
	if (f & F_PCK_FUTURE)
		b->leaf_nb = T0 + 2 * DAY;
	if (f & F_FMSPC)
		b->tcb_fmspc[5] = 0x01;
	if (f & F_PCEID)
		b->tcb_pceid[1] = 0x01;
	if (f & F_QE_MRSIGNER)
		b->qe_mrsigner[0] ^= 0xff;
}

/* The one thing a flagged case changes in the quote. */
static void
build_quote_flags(struct build *b)
{
	uint32_t f = b->flags;
	struct sim_quote *q = &b->q;

	if (f & F_BINDING)
		q->flags |= SIM_QUOTE_BAD_BINDING;
	if (f & F_NO_NUL)
		q->flags |= SIM_QUOTE_NO_NUL;
	if (f & F_TRAILING)
		q->trailing_zeros = 70;	/* as Intel's 5006-byte buffers */
	if (f & F_DEBUG)
		q->td.td_attributes[0] |= 0x01;
	if (f & F_NO_SEPT)
		memset(q->td.td_attributes, 0, sizeof(q->td.td_attributes));
	if (f & F_SERVICETD)
		memset(q->td.mrservicetd, 0x5d, sizeof(q->td.mrservicetd));
	if (f & F_MRSIGNERSEAM)
		q->td.mrsignerseam[0] = 0x01;
	if (f & F_SEAM_ATTR)
		q->td.seam_attributes[0] = 0x01;
	if (f & F_VENDOR)
		q->qe_vendor_id[0] ^= 0xff;
	if (f & F_TD10)
		q->body_type = 2;
}

/* ---- JSON ------------------------------------------------------------- */

struct sb {
	char	*p;
	size_t	 n;
	int	 err;
};

/* Replace the first `from` in s by `to` (same length or shorter). */
static int
tamper(struct sb *s, const char *from, const char *to)
{
	char *p = strstr(s->p, from);
	size_t fl = strlen(from), tl = strlen(to);

	if (p == NULL || tl > fl)
		return CLOISTER_ERR_INTERNAL;
	memcpy(p, to, tl);
	memmove(p + tl, p + fl, strlen(p + fl) + 1);
	s->n -= fl - tl;
	return 0;
}

/* ---- files ------------------------------------------------------------- */

static int
write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[PATH_LEN];
	FILE *f;
	int ok;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "cloister-simpki: cannot write %s/%s: %s\n",
		    dir, name, strerror(errno));
		return CLOISTER_ERR_IO;
	}
	ok = fwrite(p, 1, n, f) == n;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : CLOISTER_ERR_IO;
}

static int
make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "cloister-simpki: mkdir %s: %s\n", path,
		    strerror(errno));
		return CLOISTER_ERR_IO;
	}
	return 0;
}

static int
write_chain(const char *dir, const char *name, const struct sim_cert *a,
    const struct sim_cert *b)
{
	const struct sim_cert *certs[2] = { a, b };
	char *pem = NULL;
	size_t len;
	int r;

	if ((r = sim_chain_pem(certs, 2, &pem, &len)) == 0)
		r = write_file(dir, name, pem, len);
	free(pem);
	return r;
}

/* Sign doc (possibly tampered after) and write the PCS envelope. */
static int
write_signed(const char *dir, const char *file, const char *name,
    struct sb *doc, const struct sim_key *signer, const char *from,
    const char *to)
{
	uint8_t sig[SIM_PKI_RAW_SIG_LEN];
	char *env = NULL;
	size_t len;
	int r;

	if (doc->err)
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = sim_sign(signer, doc->p, doc->n, sig)) != 0 ||
	    (from != NULL && (r = tamper(doc, from, to)) != 0) ||
	    (r = sim_json_envelope(name, doc->p, doc->n, sig, &env,
	    &len)) != 0)
		return r;
	r = write_file(dir, file, env, len);
	free(env);
	return r;
}

/* ---- writing a case ------------------------------------------------------ */

struct world {
	struct sim_cert	*root;
	struct sim_cert	*impostor;	/* same name, another key */
	const char	*outdir;
};

struct made {
	struct sim_cert	*ca, *leaf, *tcb;
	struct sim_key	*stranger;	/* signs what it should not */
	uint8_t		*quote, *pck_crl, *root_crl;
	size_t		 quote_len, pck_crl_len, root_crl_len;
};

static void
made_free(struct made *m)
{
	sim_cert_free(m->ca);
	sim_cert_free(m->leaf);
	sim_cert_free(m->tcb);
	sim_key_free(m->stranger);
	free(m->quote);
	free(m->pck_crl);
	free(m->root_crl);
}

static int
make_pki(const struct world *w, const struct build *b, struct made *m)
{
	struct sim_cert_opts ca = { .not_before = CERT_NB,
	    .not_after = CERT_NA };
	struct sim_cert_opts leaf = { .not_before = b->leaf_nb,
	    .not_after = b->leaf_na };
	struct sim_serial pck_rev[3], root_rev[2];
	size_t npck = 0, nroot = 0;
	int r;

	if ((r = sim_key_new(&m->stranger)) != 0 ||
	    (r = sim_cert_pck_ca(b->flags & F_IMPOSTOR_ROOT ? w->impostor :
	    w->root, b->ca_kind, &ca, &m->ca)) != 0 ||
	    (r = sim_cert_pck_leaf(m->ca, &b->pck, &leaf, &m->leaf)) != 0 ||
	    (r = sim_cert_tcb_signing(w->root, &ca, &m->tcb)) != 0)
		return r;
	/*
	 * The PCK CRL always lists someone else, as Intel's do.  With
	 * F_FOREIGN_SERIAL it also lists the TCB signer's serial: the PCK CA
	 * never issued that certificate, so a verifier that matches serials
	 * without matching the CRL's issuer would wrongly revoke it.
	 */
	memset(pck_rev[npck].b, 0x5e, SIM_PKI_SERIAL_MAX);
	pck_rev[npck++].len = SIM_PKI_SERIAL_MAX;
	if (((b->flags & F_FOREIGN_SERIAL) &&
	    (r = sim_cert_serial(m->tcb, &pck_rev[npck++])) != 0) ||
	    ((b->flags & F_REVOKE_LEAF) &&
	    (r = sim_cert_serial(m->leaf, &pck_rev[npck++])) != 0) ||
	    ((b->flags & F_REVOKE_CA) &&
	    (r = sim_cert_serial(m->ca, &root_rev[nroot++])) != 0) ||
	    ((b->flags & F_REVOKE_TCB_SIGNER) &&
	    (r = sim_cert_serial(m->tcb, &root_rev[nroot++])) != 0))
		return r;
	if ((r = sim_crl(m->ca, b->pck_crl_from, b->pck_crl_to, pck_rev, npck,
	    &m->pck_crl, &m->pck_crl_len)) != 0 ||
	    (r = sim_crl(w->root, b->root_crl_from, b->root_crl_to, root_rev,
	    nroot, &m->root_crl, &m->root_crl_len)) != 0)
		return r;
	return 0;
}

static void
tcb_params(const struct build *b, struct sim_tcb_params *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->sgx = b->sgx;
	tp->tcb_from = b->tcb_from;
	tp->tcb_to = b->tcb_to;
	tp->qe_from = b->qe_from;
	tp->qe_to = b->qe_to;
	memcpy(tp->fmspc, b->tcb_fmspc, 6);
	memcpy(tp->pceid, b->tcb_pceid, 2);
	memcpy(tp->qe_mrsigner, b->qe_mrsigner, 32);
	tp->tcb_type = (b->flags & F_TCB_TYPE) ? 1 : 0;
}

static int
write_doc(const char *dir, const char *file, const char *name,
    int (*make)(const struct sim_tcb_params *, char **, size_t *),
    const struct sim_tcb_params *tp, const struct sim_key *signer,
    const char *from, const char *to)
{
	struct sb doc = { .p = NULL };
	int r;

	if ((r = make(tp, &doc.p, &doc.n)) != 0)
		return r;
	r = write_signed(dir, file, name, &doc, signer, from, to);
	free(doc.p);
	return r;
}

static int
write_collateral(const struct world *w, const struct build *b,
    struct made *m, const char *dir)
{
	const struct sim_key *tcb_key = sim_cert_key(m->tcb);
	struct sim_tcb_params tp;
	int r;

	tcb_params(b, &tp);
	if ((r = write_doc(dir, "tcb_info.json", "tcbInfo",
	    sim_tcb_info_json, &tp,
	    b->flags & F_TCB_WRONG_SIGNER ? m->stranger : tcb_key,
	    b->flags & F_TCB_TAMPER ? "\"tcbStatus\":\"OutOfDate\"" : NULL,
	    "\"tcbStatus\":\"UpToDate\"")) != 0 ||
	    (r = write_doc(dir, "qe_identity.json", "enclaveIdentity",
	    sim_qe_identity_json, &tp, tcb_key,
	    b->flags & F_QE_ID_TAMPER ? "\"isvprodid\":2" : NULL,
	    "\"isvprodid\":3")) != 0)
		return r;
	if ((r = write_chain(dir, "tcb_info_issuer_chain.pem", m->tcb,
	    w->root)) != 0 ||
	    (r = write_chain(dir, "qe_identity_issuer_chain.pem", m->tcb,
	    w->root)) != 0 ||
	    (r = write_chain(dir, "pck_crl_issuer_chain.pem", m->ca,
	    b->flags & F_IMPOSTOR_ROOT ? w->impostor : w->root)) != 0 ||
	    (r = write_file(dir, "pck_crl.der", m->pck_crl,
	    m->pck_crl_len)) != 0 ||
	    (r = write_file(dir, "root_ca_crl.der", m->root_crl,
	    m->root_crl_len)) != 0)
		return r;
	return 0;
}

static int
write_case_txt(const struct case_def *c, const char *dir)
{
	int verified = c->code == NULL;
	int accept = verified && (c->flags & F_POLICY_REFUSES) == 0 &&
	    (strcmp(c->status, "UpToDate") == 0 ||
	    strcmp(c->status, "SWHardeningNeeded") == 0);
	/* Whether the verifier can tell it chains to the simulated root:
	 * not for a look-alike root, nor for a quote that does not parse. */
	int simulated = (c->flags & F_NOT_SIMULATED) == 0;
	char txt[1024];
	int n;

	n = snprintf(txt, sizeof(txt), "at=%lld\nverified=%d\nstatus=%s\n"
	    "code=%s\nstep=-\nadvisories=%s\npolicy=%s\nsimulated=%d\n"
	    "tee=%s\nversion=%u\ndesc=%s\n", (long long)(T0 + DAY), verified,
	    c->status != NULL ? c->status : "-",
	    verified ? "OK" : c->code,
	    c->advisories != NULL ? c->advisories : "-",
	    accept ? "accept" : "reject", simulated,
	    c->version == 3 ? "sgx" : "tdx",
	    (unsigned)c->version, c->desc);
	if (n < 0 || (size_t)n >= sizeof(txt))
		return CLOISTER_ERR_TOO_LARGE;
	return write_file(dir, "case.txt", txt, (size_t)n);
}

static int
make_case(const struct world *w, const struct case_def *c)
{
	struct build b;
	struct made m = { .ca = NULL };
	char dir[PATH_LEN], coll[PATH_LEN];
	int r;

	build_inputs(&b, c);
	build_collateral_flags(&b);
	build_quote_flags(&b);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", w->outdir, c->name) >=
	    sizeof(dir) || (size_t)snprintf(coll, sizeof(coll),
	    "%s/collateral", dir) >= sizeof(coll))
		return CLOISTER_ERR_TOO_LARGE;
	if ((r = make_dir(dir)) != 0 || (r = make_dir(coll)) != 0 ||
	    (r = make_pki(w, &b, &m)) != 0)
		goto out;
	b.q.pck_leaf = m.leaf;
	b.q.pck_ca = m.ca;
	b.q.root = b.flags & F_IMPOSTOR_ROOT ? w->impostor : w->root;
	if (b.flags & F_QE_REPORT_WRONG_KEY)
		b.q.qe_signer = m.stranger;
	if (b.flags & F_QUOTE_WRONG_KEY)
		b.q.quote_signer = m.stranger;
	if ((r = sim_quote_build(&b.q, &m.quote, &m.quote_len)) != 0 ||
	    (r = write_file(dir, "quote.bin", m.quote, m.quote_len)) != 0 ||
	    (r = write_collateral(w, &b, &m, coll)) != 0 ||
	    (r = write_case_txt(c, dir)) != 0)
		goto out;
 out:
	if (r != 0)
		fprintf(stderr, "cloister-simpki: case %s: %s\n", c->name,
		    cloister_strerror(r));
	made_free(&m);
	return r;
}

static int
make_roots(struct world *w)
{
	struct sim_key *rk = NULL;
	struct sim_cert_opts o = { .not_before = CERT_NB,
	    .not_after = CERT_NA };
	char *pem = NULL;
	size_t len;
	int r;

	if ((r = sim_key_root(&rk)) != 0)
		return r;
	o.key = rk;
	if ((r = sim_cert_root(&o, &w->root)) == 0) {
		o.key = NULL;
		r = sim_cert_root(&o, &w->impostor);
	}
	sim_key_free(rk);
	if (r == 0 && (r = sim_cert_pem(w->root, &pem, &len)) == 0)
		r = write_file(w->outdir, "root.pem", pem, len);
	free(pem);
	return r;
}

int
main(int argc, char **argv)
{
	struct world w = { .root = NULL };
	FILE *list = NULL;
	char path[PATH_LEN];
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: cloister-simpki OUTDIR\n");
		return 2;
	}
	w.outdir = argv[1];
	if ((r = make_dir(w.outdir)) != 0 || (r = make_roots(&w)) != 0)
		goto out;
	r = CLOISTER_ERR_IO;
	if ((size_t)snprintf(path, sizeof(path), "%s/cases.txt", w.outdir) >=
	    sizeof(path) || (list = fopen(path, "w")) == NULL)
		goto out;
	for (size_t i = 0; i < NELEM(cases); i++) {
		if ((r = make_case(&w, &cases[i])) != 0)
			goto out;
		fprintf(list, "%s\n", cases[i].name);
	}
	r = fclose(list) == 0 ? 0 : CLOISTER_ERR_IO;
	list = NULL;
	if (r == 0)
		printf("%zu cases\n", NELEM(cases));
 out:
	if (list != NULL)
		fclose(list);
	sim_cert_free(w.root);
	sim_cert_free(w.impostor);
	if (r != 0)
		fprintf(stderr, "cloister-simpki: %s\n", cloister_strerror(r));
	return r == 0 ? 0 : 1;
}
