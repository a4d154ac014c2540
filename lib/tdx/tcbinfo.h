/*
 * Intel TCB Info (v2, v3; "SGX" and "TDX") and Enclave Identity (QE,
 * TD_QE, QVE; v2) parsed from the exact signed JSON bytes.
 *
 * The parsers take the value of "tcbInfo" / "enclaveIdentity" (the bytes
 * the signature covers) and produce owned structs; free with the matching
 * *_free (NULL does nothing).  Unknown keys are ignored, missing required
 * keys and wrong types are CLOISTER_ERR_BAD_JSON or _BAD_FIELD with a
 * reason naming the key.
 */
#ifndef CLOISTER_TCBINFO_H
#define CLOISTER_TCBINFO_H

#include <stddef.h>
#include <stdint.h>

#include "cloister/verify.h"

#define TCB_LEVELS_MAX		256
#define TCB_MODULES_MAX		32
#define TCB_MODULE_ID_MAX	16	/* "TDX_03" */
#define TCB_ADVISORY_MAX	64	/* per level */
#define TCB_ID_MAX		16

struct advisory_list {
	size_t	n;
	char	(*ids)[CLOISTER_ADVISORY_LEN];	/* n entries */
};

struct tcb_level {
	uint8_t		sgx_comp[16];
	uint16_t	pcesvn;
	uint8_t		tdx_comp[16];	/* TDX TCB Info only */
	enum cloister_tcb_status status;
	int64_t		tcb_date;
	struct advisory_list advisories;
};

/* A level of a TDX module identity or of an enclave identity. */
struct isvsvn_level {
	uint16_t	isvsvn;
	enum cloister_tcb_status status;
	int64_t		tcb_date;
	struct advisory_list advisories;
};

struct tdx_module_identity {
	char		id[TCB_MODULE_ID_MAX];		/* "TDX_01" */
	uint8_t		mrsigner[48];
	uint8_t		attributes[8];
	uint8_t		attributes_mask[8];
	size_t		nlevels;
	struct isvsvn_level *levels;
};

struct tcb_info {
	int		is_tdx;		/* id "TDX" (else "SGX") */
	int		version;	/* 2 or 3 */
	int64_t		issue_date;
	int64_t		next_update;
	uint8_t		fmspc[6];
	uint8_t		pceid[2];
	int		tcb_type;
	int		tcb_eval_num;
	int		has_tdx_module;		/* "tdxModule" present */
	uint8_t		module_mrsigner[48];
	uint8_t		module_attributes[8];
	uint8_t		module_attributes_mask[8];
	size_t		nmodules;		/* "tdxModuleIdentities" */
	struct tdx_module_identity *modules;
	size_t		nlevels;		/* in document order */
	struct tcb_level *levels;
};

struct qe_identity {
	char		id[TCB_ID_MAX];		/* "QE", "TD_QE", "QVE" */
	int		version;
	int64_t		issue_date;
	int64_t		next_update;
	int		tcb_eval_num;
	uint32_t	miscselect;
	uint32_t	miscselect_mask;
	uint8_t		attributes[16];
	uint8_t		attributes_mask[16];
	uint8_t		mrsigner[32];
	uint16_t	isvprodid;
	size_t		nlevels;
	struct isvsvn_level *levels;
};

int	tcb_info_parse(const char *json, size_t len, struct tcb_info **out,
	    char *why, size_t whylen);
void	tcb_info_free(struct tcb_info *ti);
int	qe_identity_parse(const char *json, size_t len,
	    struct qe_identity **out, char *why, size_t whylen);
void	qe_identity_free(struct qe_identity *qe);

#endif
