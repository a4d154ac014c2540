/*
 * Stand-ins for the RTMR3 measure (ws_measure.h): weak, so that the real
 * ones in daemon/attestation.c replace them when linked.  They fail
 * closed: a workspace is never started, nor reported stopped, unmeasured.
 */
#include "cloister/error.h"
#include "util.h"
#include "ws_measure.h"

__attribute__((weak)) int
gw_workspace_measure(struct gw *gw, const char *manifest, size_t len,
    uint8_t digest[48], char *why, size_t whylen)
{
	(void)gw;
	(void)manifest;
	(void)len;
	(void)digest;
	return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen, "this "
	    "build cannot measure a workspace into RTMR3");
}

__attribute__((weak)) int
gw_workspace_measure_stop(struct gw *gw, const char *id, uint8_t digest[48],
    char *why, size_t whylen)
{
	(void)gw;
	(void)id;
	(void)digest;
	return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen, "this "
	    "build cannot measure a workspace's end into RTMR3");
}
