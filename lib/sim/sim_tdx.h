/*
 * The simulated TDX platform Cloister runs on when there is no TDX: real
 * v4 quotes signed through the simulated DCAP PKI (sim_pki.h), and the
 * collateral to verify them, valid from an hour before `now` to 30 days
 * after.  Verifiers accept it only when told --allow-simulated: its root
 * key is derived from a published seed.
 */
#ifndef CLOISTER_SIM_TDX_H
#define CLOISTER_SIM_TDX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SIM_TDX_COLLATERAL_FORMAT	"cloister-collateral/1"

struct sim_tdx;

/* What the simulated TD reports as its measurements. */
struct sim_tdx_measure {
	uint8_t		mrtd[48];
	uint8_t		mrconfigid[48];
	uint8_t		rtmr[4][48];
};

int	sim_tdx_new(int64_t now, struct sim_tdx **out);
void	sim_tdx_free(struct sim_tdx *p);
/* A v4 quote (malloc'd) at the simulated TCB Info's highest level. */
int	sim_tdx_quote(const struct sim_tdx *p, const struct sim_tdx_measure *m,
	    const uint8_t report_data[64], uint8_t **quote, size_t *len);
/* The collateral as a cloister-collateral/1 object (borrowed). */
json_t	*sim_tdx_collateral(const struct sim_tdx *p);

#endif
