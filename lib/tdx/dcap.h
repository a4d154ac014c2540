/*
 * Internals of the DCAP verifier shared with tests: step names.
 */
#ifndef CLOISTER_DCAP_H
#define CLOISTER_DCAP_H

#define STEP_QUOTE_PARSE	"quote.parse"
#define STEP_PCK_PARSE		"pck.parse"
#define STEP_ROOT		"root"
#define STEP_PCK_CHAIN		"pck.chain"
#define STEP_COLLATERAL		"collateral"
#define STEP_TCB_INFO_SIG	"tcb_info.signature"
#define STEP_TCB_INFO_TIME	"tcb_info.validity"
#define STEP_TCB_INFO_MATCH	"tcb_info.match"
#define STEP_QE_ID_SIG		"qe_identity.signature"
#define STEP_QE_ID_TIME		"qe_identity.validity"
#define STEP_TDX_MODULE		"tdx_module"
#define STEP_QE_REPORT_SIG	"qe_report.signature"
#define STEP_QE_REPORT_BIND	"qe_report.binding"
#define STEP_QE_ID_MATCH	"qe_identity.match"
#define STEP_QUOTE_SIG		"quote.signature"
#define STEP_TCB_STATUS		"tcb.status"

#define DCAP_PCK_CACHE_MAX	32
#define DCAP_ATT_KEY_CACHE_MAX	16

#endif
