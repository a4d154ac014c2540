/*
 * Extending RTMR3 (rtmr3_extend.h): check that the register holds what
 * the log replays to, extend, check it holds the extension.
 */
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "rtmr.h"
#include "rtmr3_extend.h"
#include "sim_rtmr.h"
#include "util.h"
#include "ws_manifest.h"

#define RTMR3	3

int
rtmr3_choose(int simulated, int allow_ioctl, struct rtmr3_target *t,
    char *why, size_t whylen)
{
	if (simulated)
		t->via = RTMR3_VIA_SIM;
	else if (rtmr_sysfs_present(t->dir, RTMR3))
		t->via = RTMR3_VIA_SYSFS;
	else if (allow_ioctl)
		t->via = RTMR3_VIA_IOCTL;
	else
		return util_fail(CLOISTER_ERR_NOT_AVAILABLE, why, whylen,
		    "no way to extend RTMR3: this kernel has no %s/rtmr3:"
		    "sha384 (Linux >= 6.16); tee.rtmr: ioctl tries an "
		    "out-of-tree driver's ioctl (docs/workspaces-tdx.md)",
		    t->dir != NULL ? t->dir : RTMR_SYSFS_DIR);
	return 0;
}

const char *
rtmr3_via_name(enum rtmr3_via via)
{
	return via == RTMR3_VIA_SIM ? "simulated" : via == RTMR3_VIA_SYSFS ?
	    "sysfs" : "ioctl";
}

static int
read_rtmr3(const struct rtmr3_target *t, uint8_t out[48], char *why,
    size_t whylen)
{
	switch (t->via) {
	case RTMR3_VIA_SIM:
		sim_rtmr3_read(out);
		return 0;
	case RTMR3_VIA_SYSFS:
		return rtmr_sysfs_read(t->dir, RTMR3, out, why, whylen);
	case RTMR3_VIA_IOCTL:
		return rtmr_report_read(t->dev, RTMR3, out, why, whylen);
	}
	return CLOISTER_ERR_INTERNAL;
}

static int
extend_rtmr3(const struct rtmr3_target *t, const uint8_t e[48],
    uint8_t now[48], char *why, size_t whylen)
{
	switch (t->via) {
	case RTMR3_VIA_SIM:
		return sim_rtmr3_extend(e, now);
	case RTMR3_VIA_SYSFS:
		return rtmr_sysfs_extend(t->dir, RTMR3, e, NULL, now, why,
		    whylen);
	case RTMR3_VIA_IOCTL:
		return rtmr_ioctl_extend(t->dev, RTMR3, e, NULL, now, why,
		    whylen);
	}
	return CLOISTER_ERR_INTERNAL;
}

int
rtmr3_extend(const struct rtmr3_target *t, const uint8_t expected[48],
    const uint8_t e[48], uint8_t now[48], char *why, size_t whylen)
{
	uint8_t cur[48], want[48];
	char a[17], b[17];
	int r;

	memset(now, 0, 48);
	if ((r = read_rtmr3(t, cur, why, whylen)) != 0)
		return r;
	if (memcmp(cur, expected, 48) != 0) {
		util_hex_encode(cur, 8, a);
		util_hex_encode(expected, 8, b);
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "RTMR3 holds %s..., the event log replays to %s...: "
		    "something outside this log extended it (an earlier serve "
		    "in this TD?); nothing more can be measured until the TD "
		    "restarts", a, b);
	}
	memcpy(want, expected, 48);
	if ((r = ws_rtmr_extend(want, e)) != 0 ||
	    (r = extend_rtmr3(t, e, now, why, whylen)) != 0)
		return r;
	if (memcmp(now, want, 48) != 0)
		return util_fail(CLOISTER_ERR_MEASUREMENT_MISMATCH, why, whylen,
		    "RTMR3 read back after the extend is not SHA-384(old || "
		    "digest)");
	return 0;
}
