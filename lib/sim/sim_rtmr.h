/*
 * The simulated TD's RTMR3: a register kept in this process, extended as
 * the kernel's rtmr3:sha384 file extends the real one, and read by the
 * simulated quotes (lib/evidence/evidence.c), so that fresh evidence
 * after a workspace starts shows the new value.  It starts at zero, like
 * a TD's at boot, and lives as long as the process: like the rest of the
 * simulated TEE it proves nothing (docs/FORMATS.md §8).  Thread-safe.
 */
#ifndef CLOISTER_SIM_RTMR_H
#define CLOISTER_SIM_RTMR_H

#include <stdint.h>

#define SIM_RTMR_LEN	48

/* RTMR3 = SHA-384(RTMR3 || e); the new value into out (may be NULL). */
int	sim_rtmr3_extend(const uint8_t e[SIM_RTMR_LEN],
	    uint8_t out[SIM_RTMR_LEN]);
void	sim_rtmr3_read(uint8_t out[SIM_RTMR_LEN]);
/* Back to zero: for tests, which run many "boots" in one process. */
void	sim_rtmr3_reset(void);

#endif
