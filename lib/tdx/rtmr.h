/*
 * Extending and reading a TD's run-time measurement registers from
 * inside it (rtmr.c).  Cloister extends RTMR3 only, with the digests of
 * its run-time events (lib/evidence/ws_manifest.h); RTMR0-2 belong to
 * the firmware and the boot chain.  Runbook: docs/workspaces-tdx.md.
 *
 *  - sysfs, Linux >= 6.16 (tsm-mr): <dir>/rtmr<N>:sha384, 48 bytes.  A
 *    read gives the value; a 48-byte write at offset 0 extends it.  The
 *    extend reads the old value, writes, reads the new one and checks
 *    new == SHA-384(old || e).
 *  - The out-of-tree TDX_CMD_EXTEND_RTMR ioctl on /dev/tdx_guest (never in
 *    mainline; early distro and Intel drivers, two encodings of one
 *    number).  Used only when the operator asks (tee.rtmr: ioctl), never
 *    by default: the value is read back through a TDREPORT
 *    (TDX_CMD_GET_REPORT0) and checked the same way.
 *
 * dir and dev NULL mean the system's; tests point them at fakes, and the
 * daemon does so only in builds with CLOISTER_TEST_HOOKS.
 */
#ifndef CLOISTER_RTMR_H
#define CLOISTER_RTMR_H

#include <stddef.h>
#include <stdint.h>

#define RTMR_SYSFS_DIR	"/sys/devices/virtual/misc/tdx_guest/measurements"
#define RTMR_LEN	48
#define RTMR_INDEX_MAX	3
/* Where RTMR0 sits in a TDREPORT: REPORTMACSTRUCT (256), TEE_TCB_INFO
 * (239), reserved (17), then TDINFO's attributes, XFAM, MRTD,
 * MRCONFIGID, MROWNER, MROWNERCONFIG (8 + 8 + 4 * 48). */
#define RTMR_TDREPORT_OFFSET	720

/* Whether dir has rtmr<index>:sha384. */
int	rtmr_sysfs_present(const char *dir, unsigned index);
/* The register's value. */
int	rtmr_sysfs_read(const char *dir, unsigned index, uint8_t out[RTMR_LEN],
	    char *why, size_t whylen);
/*
 * Extend RTMR[index] (2 or 3) with e; old and now (either may be NULL)
 * get the values before and after.  CLOISTER_ERR_MEASUREMENT_MISMATCH
 * when the value read back is not SHA-384(old || e): another writer, or a
 * file that does not extend.
 */
int	rtmr_sysfs_extend(const char *dir, unsigned index,
	    const uint8_t e[RTMR_LEN], uint8_t old[RTMR_LEN],
	    uint8_t now[RTMR_LEN], char *why, size_t whylen);

/* The register's value from a TDREPORT of dev. */
int	rtmr_report_read(const char *dev, unsigned index, uint8_t out[RTMR_LEN],
	    char *why, size_t whylen);
/* The out-of-tree ioctl, _IOR('T', 3) then _IOW('T', 3) when the first
 * is unknown (ENOTTY), checked like rtmr_sysfs_extend through TDREPORTs.
 * CLOISTER_ERR_NOT_AVAILABLE when the driver knows neither. */
int	rtmr_ioctl_extend(const char *dev, unsigned index,
	    const uint8_t e[RTMR_LEN], uint8_t old[RTMR_LEN],
	    uint8_t now[RTMR_LEN], char *why, size_t whylen);

#endif
