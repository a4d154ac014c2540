/*
 * TCB evaluation against hand-built TCB Infos: Intel's level order, the
 * TDX module identities, QE convergence and the TD 1.5 relaunch advice.
 */
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "quote.h"
#include "tcb.h"
#include "testutil.h"

#define S(x) CLOISTER_TCB_##x

struct fixture {
	struct tcb_info ti;
	struct tcb_level levels[4];
	struct tdx_module_identity mod;
	struct isvsvn_level mod_levels[2];
	char adv[2][CLOISTER_ADVISORY_LEN];
	struct pck_ext pck;
	struct quote q;
	uint8_t body[QUOTE_TD15_BODY_LEN];
	struct isvsvn_level qe;
};

static void
level(struct tcb_level *l, uint8_t sgx, uint16_t pce, uint8_t tdx,
    enum cloister_tcb_status s, int64_t date)
{
	memset(l, 0, sizeof(*l));
	memset(l->sgx_comp, sgx, 16);
	l->pcesvn = pce;
	memset(l->tdx_comp, 0, 16);
	l->tdx_comp[0] = tdx;	/* only used when tee_tcb_svn[1] == 0 */
	l->tdx_comp[2] = tdx;
	l->status = s;
	l->tcb_date = date;
}

/*
 * Levels in document order deliberately scrambled: Intel sorts them.
 * sgx 5/pce 13/tdx 5 UpToDate, sgx 4/tdx 4 SWHardeningNeeded,
 * sgx 3/tdx 3 OutOfDate, sgx 2/tdx 2 Revoked.
 */
static void
setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	level(&f->levels[0], 3, 13, 3, S(OUT_OF_DATE), 300);
	level(&f->levels[1], 5, 13, 5, S(UP_TO_DATE), 500);
	level(&f->levels[2], 2, 13, 2, S(REVOKED), 200);
	level(&f->levels[3], 4, 13, 4, S(SW_HARDENING_NEEDED), 400);
	snprintf(f->adv[0], CLOISTER_ADVISORY_LEN, "INTEL-SA-00001");
	snprintf(f->adv[1], CLOISTER_ADVISORY_LEN, "INTEL-SA-00002");
	f->levels[3].advisories.n = 1;
	f->levels[3].advisories.ids = &f->adv[0];
	f->ti.is_tdx = 1;
	f->ti.version = 3;
	f->ti.nlevels = 4;
	f->ti.levels = f->levels;
	f->ti.has_tdx_module = 1;
	memset(f->ti.module_attributes_mask, 0xff, 8);
	snprintf(f->mod.id, sizeof(f->mod.id), "TDX_03");
	memset(f->mod.attributes_mask, 0xff, 8);
	f->mod_levels[0].isvsvn = 2;
	f->mod_levels[0].status = S(OUT_OF_DATE);
	f->mod_levels[0].tcb_date = 100;
	f->mod_levels[1].isvsvn = 6;
	f->mod_levels[1].status = S(UP_TO_DATE);
	f->mod_levels[1].tcb_date = 600;
	f->mod_levels[1].advisories.n = 1;
	f->mod_levels[1].advisories.ids = &f->adv[1];
	f->mod.nlevels = 2;
	f->mod.levels = f->mod_levels;
	f->ti.nmodules = 1;
	f->ti.modules = &f->mod;

	memset(f->pck.comp_svn, 5, 16);
	f->pck.pcesvn = 13;
	f->q.tee_type = QUOTE_TEE_TDX;
	f->q.body_type = QUOTE_BODY_TD10;
	f->q.td.tee_tcb_svn = f->body;
	f->q.td.mrsignerseam = f->body + 64;
	f->q.td.seam_attributes = f->body + 112;
	f->body[0] = 6;		/* module ISVSVN */
	f->body[1] = 3;		/* module TDX_03 */
	f->body[2] = 5;
	f->qe.isvsvn = 8;
	f->qe.status = S(UP_TO_DATE);
	f->qe.tcb_date = 700;
}

static enum cloister_tcb_status
eval(struct fixture *f, int *rc, struct tcb_eval *ev)
{
	char why[256];

	*rc = tcb_evaluate(&f->ti, &f->pck, &f->q, &f->qe, ev, why,
	    sizeof(why));
	return ev->status;
}

static void
test_levels_sorted_not_document_order(void **state)
{
	struct fixture f;
	struct tcb_eval ev;
	int rc;

	setup(&f);
	assert_int_equal(eval(&f, &rc, &ev), S(UP_TO_DATE));
	assert_int_equal(rc, 0);
	/* The earliest date of what matched: platform 500, module 600. */
	assert_true(ev.tcb_date == 500);
	assert_int_equal(ev.nadvisories, 1);
	assert_string_equal(ev.advisories[0], "INTEL-SA-00002");

	memset(f.pck.comp_svn, 4, 16);
	assert_int_equal(eval(&f, &rc, &ev), S(SW_HARDENING_NEEDED));
	assert_int_equal(ev.nadvisories, 2);
	assert_string_equal(ev.advisories[0], "INTEL-SA-00001");

	/* One component below level 4 drops to level 3. */
	f.pck.comp_svn[15] = 3;
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	assert_int_equal(rc, 0);
	/* PCESVN counts too. */
	memset(f.pck.comp_svn, 5, 16);
	f.pck.pcesvn = 12;
	assert_int_equal(eval(&f, &rc, &ev), S(NOT_SUPPORTED));
	assert_int_equal(rc, CLOISTER_ERR_TCB_NOT_SUPPORTED);
}

static void
test_revoked_and_below_every_level(void **state)
{
	struct fixture f;
	struct tcb_eval ev;
	int rc;

	setup(&f);
	memset(f.pck.comp_svn, 2, 16);
	f.body[2] = 2;
	assert_int_equal(eval(&f, &rc, &ev), S(REVOKED));
	assert_int_equal(rc, CLOISTER_ERR_TCB_REVOKED);
	memset(f.pck.comp_svn, 1, 16);
	assert_int_equal(eval(&f, &rc, &ev), S(NOT_SUPPORTED));
	assert_int_equal(rc, CLOISTER_ERR_TCB_NOT_SUPPORTED);
}

static void
test_tdx_components(void **state)
{
	struct fixture f;
	struct tcb_eval ev;
	int rc;

	setup(&f);
	/* SGX at the top, TDX component 2 only reaches level 3. */
	f.body[2] = 3;
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	assert_int_equal(ev.sgx, S(UP_TO_DATE));
	assert_int_equal(ev.platform, S(OUT_OF_DATE));
	/* With a module version, components 0 and 1 are not compared. */
	setup(&f);
	f.levels[1].tdx_comp[0] = 99;
	assert_int_equal(eval(&f, &rc, &ev), S(UP_TO_DATE));
	/* Without one (tee_tcb_svn[1] == 0), component 0 is compared. */
	f.body[1] = 0;
	f.body[0] = 5;
	assert_int_equal(eval(&f, &rc, &ev), S(SW_HARDENING_NEEDED));
	assert_int_equal(ev.module, S(UNKNOWN));
}

static void
test_module_identity(void **state)
{
	struct fixture f;
	struct tcb_eval ev;
	char why[256];
	int rc;

	setup(&f);
	f.body[0] = 3;		/* module ISVSVN 3: OutOfDate level */
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	assert_int_equal(ev.module, S(OUT_OF_DATE));
	assert_int_equal(ev.platform, S(UP_TO_DATE));
	f.body[0] = 1;		/* below every module level */
	assert_int_equal(eval(&f, &rc, &ev), S(NOT_SUPPORTED));
	assert_int_equal(rc, CLOISTER_ERR_TCB_NOT_SUPPORTED);
	f.body[0] = 6;
	f.body[1] = 4;		/* TDX_04 is not listed */
	eval(&f, &rc, &ev);
	assert_int_equal(rc, CLOISTER_ERR_TDX_MODULE_MISMATCH);

	/* MRSIGNERSEAM and SEAMATTRIBUTES against the identity. */
	f.body[1] = 3;
	assert_int_equal(tcb_check_tdx_module(&f.ti, &f.q, why, sizeof(why)),
	    0);
	f.body[64] = 1;
	assert_int_equal(tcb_check_tdx_module(&f.ti, &f.q, why, sizeof(why)),
	    CLOISTER_ERR_TDX_MODULE_MISMATCH);
	f.body[64] = 0;
	f.body[112] = 1;
	assert_int_equal(tcb_check_tdx_module(&f.ti, &f.q, why, sizeof(why)),
	    CLOISTER_ERR_TDX_MODULE_MISMATCH);
	f.mod.attributes_mask[0] = 0xfe;
	assert_int_equal(tcb_check_tdx_module(&f.ti, &f.q, why, sizeof(why)),
	    0);
}

static void
test_qe_convergence(void **state)
{
	struct fixture f;
	struct tcb_eval ev;
	int rc;

	setup(&f);
	f.qe.status = S(OUT_OF_DATE);
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	f.levels[1].status = S(CONFIGURATION_NEEDED);
	assert_int_equal(eval(&f, &rc, &ev),
	    S(OUT_OF_DATE_CONFIGURATION_NEEDED));
	f.qe.status = S(REVOKED);
	assert_int_equal(eval(&f, &rc, &ev), S(REVOKED));
	assert_int_equal(rc, CLOISTER_ERR_TCB_REVOKED);
	f.qe.status = S(UP_TO_DATE);
	assert_int_equal(eval(&f, &rc, &ev), S(CONFIGURATION_NEEDED));
	/* No QE level at all: not supported. */
	rc = tcb_evaluate(&f.ti, &f.pck, &f.q, NULL, &ev, NULL, 0);
	assert_int_equal(rc, CLOISTER_ERR_TCB_NOT_SUPPORTED);
}

static void
test_relaunch_advised(void **state)
{
	struct fixture f;
	struct tcb_eval ev;
	uint8_t *svn2;
	int rc;

	setup(&f);
	f.q.body_type = QUOTE_BODY_TD15;
	svn2 = f.body + QUOTE_TD10_BODY_LEN;
	f.q.td.tee_tcb_svn2 = svn2;
	/* Launched on module ISVSVN 3 (OutOfDate), now on 6 and late
	 * microcode 5: relaunching would make it UpToDate. */
	f.body[0] = 3;
	svn2[0] = 6;
	svn2[1] = 3;
	svn2[2] = 5;
	assert_int_equal(eval(&f, &rc, &ev), S(TD_RELAUNCH_ADVISED));
	assert_int_equal(rc, 0);
	/* Not at the latest module: stays OutOfDate. */
	svn2[0] = 5;
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	svn2[0] = 6;
	svn2[2] = 4;
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	svn2[2] = 5;
	/* A QE out of date forbids the advice. */
	f.qe.status = S(OUT_OF_DATE);
	assert_int_equal(eval(&f, &rc, &ev), S(OUT_OF_DATE));
	f.qe.status = S(UP_TO_DATE);
	/* Configuration needed carries over. */
	f.levels[1].status = S(CONFIGURATION_NEEDED);
	assert_int_equal(eval(&f, &rc, &ev),
	    S(TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_sorted_not_document_order),
		cmocka_unit_test(test_revoked_and_below_every_level),
		cmocka_unit_test(test_tdx_components),
		cmocka_unit_test(test_module_identity),
		cmocka_unit_test(test_qe_convergence),
		cmocka_unit_test(test_relaunch_advised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
