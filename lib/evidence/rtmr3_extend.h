/*
 * Extending RTMR3 for the event log (rtmr3_log.h): the TD's register
 * through lib/tdx/rtmr.h on real TDX, the process's simulated one
 * (lib/sim/sim_rtmr.h) when the TEE is simulated.  Here so that the
 * daemon needs neither lib/tdx nor lib/sim to measure.
 */
#ifndef CLOISTER_RTMR3_EXTEND_H
#define CLOISTER_RTMR3_EXTEND_H

#include <stddef.h>
#include <stdint.h>

enum rtmr3_via {
	RTMR3_VIA_SIM,		/* the simulated TEE's, in this process */
	RTMR3_VIA_SYSFS,	/* Linux >= 6.16: .../rtmr3:sha384 */
	RTMR3_VIA_IOCTL,	/* the out-of-tree TDX_CMD_EXTEND_RTMR */
};

/* Where the interfaces are; NULL members mean the system's. */
struct rtmr3_target {
	enum rtmr3_via	 via;
	const char	*dir;	/* the sysfs measurements directory */
	const char	*dev;	/* /dev/tdx_guest */
};

/*
 * Choose how: the simulated register when the TEE is simulated; on TDX
 * sysfs when t->dir has rtmr3:sha384, else the ioctl when allow_ioctl,
 * else CLOISTER_ERR_NOT_AVAILABLE with the reason -- never the simulated
 * register, whose value no real quote would carry.
 */
int	rtmr3_choose(int simulated, int allow_ioctl, struct rtmr3_target *t,
	    char *why, size_t whylen);
/* "simulated", "sysfs", "ioctl". */
const char *rtmr3_via_name(enum rtmr3_via via);

/*
 * Extend RTMR3 with e, but only if it holds expected (the replay of the
 * log so far): a register that holds something else was extended by
 * someone the log does not know, and every bundle would fail to replay.
 * now gets SHA-384(expected || e), read back from the register.
 */
int	rtmr3_extend(const struct rtmr3_target *t, const uint8_t expected[48],
	    const uint8_t e[48], uint8_t now[48], char *why, size_t whylen);

#endif
