/*
 * The simulated RTMR3 (sim_rtmr.h).  One register per process, as there
 * is one per TD: the daemon's loop extends it while the evidence thread
 * reads it for a quote, hence the lock.
 */
#include <pthread.h>
#include <string.h>

#include "crypto.h"
#include "sim_rtmr.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t rtmr3[SIM_RTMR_LEN];

int
sim_rtmr3_extend(const uint8_t e[SIM_RTMR_LEN], uint8_t out[SIM_RTMR_LEN])
{
	uint8_t buf[2 * SIM_RTMR_LEN], next[SIM_RTMR_LEN];
	int r;

	pthread_mutex_lock(&lock);
	memcpy(buf, rtmr3, SIM_RTMR_LEN);
	memcpy(buf + SIM_RTMR_LEN, e, SIM_RTMR_LEN);
	if ((r = crypto_sha384(buf, sizeof(buf), next)) == 0)
		memcpy(rtmr3, next, SIM_RTMR_LEN);
	if (r == 0 && out != NULL)
		memcpy(out, rtmr3, SIM_RTMR_LEN);
	pthread_mutex_unlock(&lock);
	return r;
}

void
sim_rtmr3_read(uint8_t out[SIM_RTMR_LEN])
{
	pthread_mutex_lock(&lock);
	memcpy(out, rtmr3, SIM_RTMR_LEN);
	pthread_mutex_unlock(&lock);
}

void
sim_rtmr3_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(rtmr3, 0, SIM_RTMR_LEN);
	pthread_mutex_unlock(&lock);
}
