/*
 * Simulated DCAP collateral (sim_collateral.c): the exact signed bytes of
 * a TCB Info and a QE identity in Intel's formats, for the simulated PKI
 * of sim_pki.h to sign and wrap.
 */
#ifndef CLOISTER_SIM_COLLATERAL_H
#define CLOISTER_SIM_COLLATERAL_H

#include <stddef.h>
#include <stdint.h>

/* What the simulated TCB Info and QE identity say (sim_collateral.c). */
struct sim_tcb_params {
	int		 sgx;		/* SGX TCB Info + QE, else TDX + TD_QE */
	int64_t		 tcb_from, tcb_to;	/* issueDate, nextUpdate */
	int64_t		 qe_from, qe_to;
	uint8_t		 fmspc[6];
	uint8_t		 pceid[2];
	uint8_t		 qe_mrsigner[32];
	int		 tcb_type;	/* 0; others are refused by verifiers */
};

/*
 * The documents' exact bytes (the signed "tcbInfo" / "enclaveIdentity"
 * values), malloc'd and NUL terminated; sign them with sim_sign() and
 * wrap them with sim_json_envelope().  Their TCB levels are fixed: the
 * highest wants PCK SGX components {8, 8, 3, 3, 5, 1, 0, 6}, PCESVN 13,
 * TEE_TCB_SVN 06 01 05 and QE ISVSVN 4 (8 for SGX).
 */
int	sim_tcb_info_json(const struct sim_tcb_params *p, char **out,
	    size_t *len);
int	sim_qe_identity_json(const struct sim_tcb_params *p, char **out,
	    size_t *len);

#endif
