/*
 * Cloister error codes.
 *
 * Every fallible function in libcloister returns 0 on success or one of
 * these negative codes.  Parse and verification failures have specific
 * codes so that a failed verification names its cause; cloister_strerror()
 * turns a code into a short, stable English phrase.
 */
#ifndef CLOISTER_ERROR_H
#define CLOISTER_ERROR_H

enum cloister_err {
	CLOISTER_OK = 0,
	CLOISTER_ERR_INTERNAL = -1,
	CLOISTER_ERR_ALLOC = -2,
	CLOISTER_ERR_INVALID_ARG = -3,
	CLOISTER_ERR_IO = -4,
	CLOISTER_ERR_TOO_LARGE = -5,

	/* Bounded-reader and encoding errors. */
	CLOISTER_ERR_TRUNCATED = -10,
	CLOISTER_ERR_TRAILING_DATA = -11,
	CLOISTER_ERR_BAD_HEX = -12,
	CLOISTER_ERR_BAD_BASE64 = -13,
	CLOISTER_ERR_BAD_JSON = -14,
	CLOISTER_ERR_BAD_YAML = -15,
	CLOISTER_ERR_BAD_PEM = -16,
	CLOISTER_ERR_BAD_CERT = -17,
	CLOISTER_ERR_BAD_CRL = -18,
	CLOISTER_ERR_BAD_FIELD = -19,
	CLOISTER_ERR_BAD_TIME = -20,

	/* Quote structure. */
	CLOISTER_ERR_BAD_VERSION = -30,
	CLOISTER_ERR_BAD_KEY_TYPE = -31,
	CLOISTER_ERR_BAD_TEE_TYPE = -32,
	CLOISTER_ERR_BAD_QE_VENDOR = -33,
	CLOISTER_ERR_BAD_BODY_TYPE = -34,
	CLOISTER_ERR_BAD_CERT_DATA_TYPE = -35,
	CLOISTER_ERR_BAD_LENGTH = -36,

	/* Certificates, CRLs and signatures. */
	CLOISTER_ERR_UNTRUSTED_ROOT = -50,
	CLOISTER_ERR_CHAIN = -51,
	CLOISTER_ERR_CERT_EXPIRED = -52,
	CLOISTER_ERR_CERT_NOT_YET_VALID = -53,
	CLOISTER_ERR_CERT_REVOKED = -54,
	CLOISTER_ERR_CRL_EXPIRED = -55,
	CLOISTER_ERR_CRL_NOT_YET_VALID = -56,
	CLOISTER_ERR_CRL_ISSUER = -57,
	CLOISTER_ERR_CRL_SIGNATURE = -58,
	CLOISTER_ERR_SIGNATURE = -59,
	CLOISTER_ERR_BAD_KEY = -60,
	CLOISTER_ERR_BAD_PCK_EXT = -61,
	CLOISTER_ERR_OCSP = -62,

	/* Collateral. */
	CLOISTER_ERR_COLLATERAL_MISSING = -70,
	CLOISTER_ERR_COLLATERAL_EXPIRED = -71,
	CLOISTER_ERR_COLLATERAL_NOT_YET_VALID = -72,
	CLOISTER_ERR_TCB_INFO_MISMATCH = -73,
	CLOISTER_ERR_QE_IDENTITY_MISMATCH_ID = -74,
	CLOISTER_ERR_FMSPC_MISMATCH = -75,
	CLOISTER_ERR_PCEID_MISMATCH = -76,

	/* DCAP verification outcomes. */
	CLOISTER_ERR_TDX_MODULE_MISMATCH = -90,
	CLOISTER_ERR_QE_IDENTITY_MISMATCH = -91,
	CLOISTER_ERR_QE_REPORT_DATA = -92,
	CLOISTER_ERR_TCB_NOT_SUPPORTED = -93,
	CLOISTER_ERR_TCB_REVOKED = -94,
	CLOISTER_ERR_SIMULATED = -95,

	/* Appraisal policy. */
	CLOISTER_ERR_POLICY = -110,
};

/* A short English description of code; never NULL. */
const char *cloister_strerror(int code);

/* The enum name without prefix, e.g. "TRUNCATED", for machine output. */
const char *cloister_errname(int code);

#endif
