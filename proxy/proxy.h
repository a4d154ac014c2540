/*
 * cloister proxy (docs/proxy.md): runs on the developer's machine, where
 * IDEs and agents point their OpenAI base URL.  Before it forwards a byte
 * it fetches the gateway's evidence with a fresh nonce and verifies it
 * (quote, collateral, GPU report, policy), checks that the TLS key it is
 * talking to is the one the evidence binds, and pins that key; then every
 * answer's receipt is verified against the exact bytes sent and received
 * (and the nonce the proxy gave the request) before the client sees it.
 * Any failure fails closed with a readable reason.
 */
#ifndef CLOISTER_PROXY_H
#define CLOISTER_PROXY_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_URL_MAX		1024
#define PROXY_DEFAULT_LISTEN	"127.0.0.1:8788"
#define PROXY_REVERIFY_S	600
#define PROXY_PCCS_TTL_S	3600	/* fetched collateral is kept this long */
#define PROXY_KEY_ENV		"CLOISTER_API_KEY"

struct proxy_opts {
	const char	*upstream;	/* https://host[:port] (http: loopback) */
	const char	*listen;	/* host:port, loopback */
	const char	*policy;	/* appraisal policy file, or NULL */
	const char	*const *collateral;	/* files or directories */
	size_t		 ncollateral;
	const char	*pccs;		/* fetch collateral here, or NULL */
	int		 allow_simulated;
	int		 any_td;	/* no expected measurements: any TD */
	int		 hold_streams;	/* a stream reaches the tool only whole
					 * and verified */
	/* The environment variable with the API key for the proxy's own
	 * requests for fresh evidence (default CLOISTER_API_KEY). */
	const char	*key_env;
	unsigned	 reverify_s;	/* re-verify this often */
};

/* Runs until SIGINT/SIGTERM; 0 on a clean stop, 2 when the options do
 * not allow a start (no expected measurements without --any-td, a bad
 * policy or address), 1 on other failures. */
int	proxy_run(const struct proxy_opts *o);

#endif
