/*
 * The gateway's YAML configuration: every key checked, every number in
 * range; a parsed configuration keeps its own invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_config c;
	char why[256];

	if (gw_config_parse(data, size, &c, why, sizeof(why)) != 0)
		return 0;
	if ((c.nmodels == 0 && c.mcp.nservers == 0) ||
	    c.nmodels > GW_MODELS_MAX || c.nbackends > GW_BACKENDS_MAX ||
	    c.mcp.nservers > GW_MCP_SERVERS_MAX)
		abort();
	for (size_t i = 0; i < c.mcp.nservers; i++) {
		const struct gw_mcp_server *m = &c.mcp.servers[i];

		if (m->used > sizeof(m->strings) || (m->transport ==
		    GW_MCP_STDIO) != (m->nargs > 0))
			abort();
		for (size_t k = 0; k < m->nargs; k++)
			if (m->arg[k] >= m->used ||
			    m->strings[m->arg[k]] == '\0')
				abort();
	}
	for (size_t i = 0; i < c.nmodels; i++)
		if (c.models[i].backend >= c.nbackends ||
		    c.models[i].name[0] == '\0' || c.models[i].input < 0)
			abort();
	for (size_t i = 0; i < c.nbackends; i++)
		if (c.backends[i].type == GW_BACKEND_MOCK &&
		    c.backends[i].confidential)
			abort();
	return 0;
}
