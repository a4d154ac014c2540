#include <stddef.h>

#include "cloister/error.h"

struct errdesc {
	int		 code;
	const char	*name;
	const char	*text;
};

static const struct errdesc errs[] = {
	{ CLOISTER_OK, "OK", "success" },
	{ CLOISTER_ERR_INTERNAL, "INTERNAL", "internal error" },
	{ CLOISTER_ERR_ALLOC, "ALLOC", "out of memory" },
	{ CLOISTER_ERR_INVALID_ARG, "INVALID_ARG", "invalid argument" },
	{ CLOISTER_ERR_IO, "IO", "cannot read input" },
	{ CLOISTER_ERR_TOO_LARGE, "TOO_LARGE", "input exceeds its size limit" },
	{ CLOISTER_ERR_TRUNCATED, "TRUNCATED", "input is truncated" },
	{ CLOISTER_ERR_TRAILING_DATA, "TRAILING_DATA",
	    "unexpected bytes after a structure" },
	{ CLOISTER_ERR_BAD_HEX, "BAD_HEX", "malformed hex" },
	{ CLOISTER_ERR_BAD_BASE64, "BAD_BASE64", "malformed base64" },
	{ CLOISTER_ERR_BAD_JSON, "BAD_JSON", "malformed JSON" },
	{ CLOISTER_ERR_BAD_YAML, "BAD_YAML", "malformed YAML" },
	{ CLOISTER_ERR_BAD_PEM, "BAD_PEM", "malformed PEM" },
	{ CLOISTER_ERR_BAD_CERT, "BAD_CERT", "malformed certificate" },
	{ CLOISTER_ERR_BAD_CRL, "BAD_CRL", "malformed CRL" },
	{ CLOISTER_ERR_BAD_FIELD, "BAD_FIELD", "missing or invalid field" },
	{ CLOISTER_ERR_BAD_TIME, "BAD_TIME", "malformed time" },
	{ CLOISTER_ERR_BAD_VERSION, "BAD_VERSION",
	    "unsupported quote version" },
	{ CLOISTER_ERR_BAD_KEY_TYPE, "BAD_KEY_TYPE",
	    "unsupported attestation key type" },
	{ CLOISTER_ERR_BAD_TEE_TYPE, "BAD_TEE_TYPE", "unsupported TEE type" },
	{ CLOISTER_ERR_BAD_QE_VENDOR, "BAD_QE_VENDOR",
	    "quoting enclave vendor is not Intel" },
	{ CLOISTER_ERR_BAD_BODY_TYPE, "BAD_BODY_TYPE",
	    "unsupported quote body type" },
	{ CLOISTER_ERR_BAD_CERT_DATA_TYPE, "BAD_CERT_DATA_TYPE",
	    "unsupported certification data type" },
	{ CLOISTER_ERR_BAD_LENGTH, "BAD_LENGTH", "inconsistent length field" },
	{ CLOISTER_ERR_UNTRUSTED_ROOT, "UNTRUSTED_ROOT",
	    "chain does not end at the trusted root" },
	{ CLOISTER_ERR_CHAIN, "CHAIN", "certificate chain is invalid" },
	{ CLOISTER_ERR_CERT_EXPIRED, "CERT_EXPIRED", "certificate expired" },
	{ CLOISTER_ERR_CERT_NOT_YET_VALID, "CERT_NOT_YET_VALID",
	    "certificate not yet valid" },
	{ CLOISTER_ERR_CERT_REVOKED, "CERT_REVOKED", "certificate revoked" },
	{ CLOISTER_ERR_CRL_EXPIRED, "CRL_EXPIRED", "CRL expired" },
	{ CLOISTER_ERR_CRL_NOT_YET_VALID, "CRL_NOT_YET_VALID",
	    "CRL not yet valid" },
	{ CLOISTER_ERR_CRL_ISSUER, "CRL_ISSUER",
	    "CRL issuer does not match the certificate issuer" },
	{ CLOISTER_ERR_CRL_SIGNATURE, "CRL_SIGNATURE",
	    "CRL signature is invalid" },
	{ CLOISTER_ERR_SIGNATURE, "SIGNATURE", "signature is invalid" },
	{ CLOISTER_ERR_BAD_KEY, "BAD_KEY", "invalid public key" },
	{ CLOISTER_ERR_BAD_PCK_EXT, "BAD_PCK_EXT",
	    "PCK certificate SGX extension is missing or malformed" },
	{ CLOISTER_ERR_OCSP, "OCSP",
	    "OCSP response is invalid or does not vouch for the certificate" },
	{ CLOISTER_ERR_COLLATERAL_MISSING, "COLLATERAL_MISSING",
	    "required collateral is missing" },
	{ CLOISTER_ERR_COLLATERAL_EXPIRED, "COLLATERAL_EXPIRED",
	    "collateral expired" },
	{ CLOISTER_ERR_COLLATERAL_NOT_YET_VALID, "COLLATERAL_NOT_YET_VALID",
	    "collateral not yet valid" },
	{ CLOISTER_ERR_TCB_INFO_MISMATCH, "TCB_INFO_MISMATCH",
	    "TCB info does not apply to this quote" },
	{ CLOISTER_ERR_QE_IDENTITY_MISMATCH_ID, "QE_IDENTITY_WRONG_ID",
	    "QE identity does not apply to this quote" },
	{ CLOISTER_ERR_FMSPC_MISMATCH, "FMSPC_MISMATCH",
	    "FMSPC of the PCK certificate and the TCB info differ" },
	{ CLOISTER_ERR_PCEID_MISMATCH, "PCEID_MISMATCH",
	    "PCE ID of the PCK certificate and the TCB info differ" },
	{ CLOISTER_ERR_TDX_MODULE_MISMATCH, "TDX_MODULE_MISMATCH",
	    "TDX module does not match the TCB info" },
	{ CLOISTER_ERR_QE_IDENTITY_MISMATCH, "QE_IDENTITY_MISMATCH",
	    "quoting enclave does not match its identity" },
	{ CLOISTER_ERR_QE_REPORT_DATA, "QE_REPORT_DATA",
	    "QE report does not bind the attestation key" },
	{ CLOISTER_ERR_TCB_NOT_SUPPORTED, "TCB_NOT_SUPPORTED",
	    "platform TCB is below every level Intel lists" },
	{ CLOISTER_ERR_TCB_REVOKED, "TCB_REVOKED", "platform TCB is revoked" },
	{ CLOISTER_ERR_SIMULATED, "SIMULATED",
	    "evidence is SIMULATED and simulation is not allowed" },
	{ CLOISTER_ERR_POLICY, "POLICY", "appraisal policy not satisfied" },
	{ CLOISTER_ERR_BAD_XML, "BAD_XML", "malformed or unsafe XML" },
	{ CLOISTER_ERR_NONCE_MISMATCH, "NONCE_MISMATCH",
	    "evidence does not carry the expected nonce" },
	{ CLOISTER_ERR_FWID_MISMATCH, "FWID_MISMATCH",
	    "firmware ID differs between certificate and report" },
	{ CLOISTER_ERR_RIM_MISMATCH, "RIM_MISMATCH",
	    "reference manifest is not for this evidence" },
	{ CLOISTER_ERR_MEASUREMENT_MISMATCH, "MEASUREMENT_MISMATCH",
	    "measurements differ from the reference values" },
	{ CLOISTER_ERR_MEASUREMENT_CONFLICT, "MEASUREMENT_CONFLICT",
	    "reference manifests claim the same measurement" },
	{ CLOISTER_ERR_BINDING, "BINDING",
	    "evidence does not commit to what it claims" },
	{ CLOISTER_ERR_NOT_AVAILABLE, "NOT_AVAILABLE",
	    "the hardware or service is not available" },
	{ CLOISTER_ERR_NOT_FOUND, "NOT_FOUND", "no such key, request or receipt" },
	{ CLOISTER_ERR_AUTH, "AUTH", "the API key is unknown or revoked" },
	{ CLOISTER_ERR_CREDITS, "CREDITS",
	    "the balance cannot cover the request" },
	{ CLOISTER_ERR_DB, "DB", "the ledger database failed" },
	{ CLOISTER_ERR_CONFIG, "CONFIG", "the configuration is invalid" },
	{ CLOISTER_ERR_UPSTREAM, "UPSTREAM", "the upstream failed" },
};

static const struct errdesc *
lookup(int code)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].code == code)
			return &errs[i];
	return NULL;
}

const char *
cloister_strerror(int code)
{
	const struct errdesc *e = lookup(code);

	return e != NULL ? e->text : "unknown error";
}

const char *
cloister_errname(int code)
{
	const struct errdesc *e = lookup(code);

	return e != NULL ? e->name : "UNKNOWN";
}
