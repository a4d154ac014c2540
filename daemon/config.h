/*
 * The gateway's configuration (YAML; docs/gateway.md has the reference and
 * config/demo.yaml an example).  Parsed strictly: unknown keys, wrong
 * types and out-of-range numbers are errors naming the key.
 */
#ifndef CLOISTER_GW_CONFIG_H
#define CLOISTER_GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define GW_NAME_MAX		64
#define GW_MODEL_MAX		128
#define GW_PATH_MAX		512
#define GW_BACKENDS_MAX		16
#define GW_MODELS_MAX		64
#define GW_MCP_SERVERS_MAX	32
#define GW_MCP_SESSIONS_MAX	256	/* Streamable HTTP sessions at once */
#define GW_MCP_ARGS_MAX		32
#define GW_MCP_ENV_MAX		16

enum gw_gpu {
	GW_GPU_OPTIONAL = 0,	/* the default */
	GW_GPU_REQUIRED,	/* no start without CC-on GPU evidence */
	GW_GPU_NONE,		/* never collected (a CPU-only TD) */
};

enum gw_backend_type {
	GW_BACKEND_MOCK = 1,
	GW_BACKEND_OPENAI,	/* openai-compatible: Chat Completions */
	GW_BACKEND_ANTHROPIC,	/* anthropic: Messages */
	GW_BACKEND_RESPONSES,	/* openai-responses: Responses */
};

struct gw_backend {
	char		 name[GW_NAME_MAX];
	enum gw_backend_type type;
	char		 base_url[GW_PATH_MAX];
	char		 api_key_env[GW_NAME_MAX];
	char		 api_key_file[GW_PATH_MAX];
	int		 confidential;	/* inside the same TD; checked */
	int		 gpu;		/* computes on the TD's GPU: confidential
					 * only with CC-on GPU evidence */
	unsigned	 chunk_delay_ms;	/* mock: pause between chunks */
	int		 refuse_hosted;	/* hosted tools: refused, not dropped */
};

#define GW_ALIASES_MAX	8

/* Prices in credits (micro-units) per million tokens. */
struct gw_model {
	char		 name[GW_MODEL_MAX];
	char		 upstream[GW_MODEL_MAX];	/* what the backend calls
						 * it; "" = name */
	size_t		 naliases;	/* other names clients may use */
	char		 aliases[GW_ALIASES_MAX][GW_MODEL_MAX];
	size_t		 backend;	/* index into backends */
	int64_t		 input;
	int64_t		 output;
	int64_t		 cached;	/* cache reads */
	int64_t		 cache_write;	/* cache writes; -1 = input */
	int64_t		 max_tokens;	/* when the client gives none */
	int64_t		 max_output;	/* what any request may ask for:
					 * larger asks are clamped */
};

enum gw_mcp_transport {
	GW_MCP_STDIO = 1,	/* a child process, newline-delimited JSON */
	GW_MCP_HTTP,		/* Streamable HTTP */
	GW_MCP_SSE,		/* the 2024-11-05 HTTP+SSE transport */
};

/* An MCP server the gateway reaches; its trust and rules are in the
 * policy (mcp.policy), under the same name. */
struct gw_mcp_server {
	char		 name[GW_NAME_MAX];
	enum gw_mcp_transport transport;
	char		 url[GW_PATH_MAX];	/* http, sse */
	char		 cwd[GW_PATH_MAX];	/* stdio; "" = ours */
	size_t		 nargs;			/* stdio: the command */
	uint16_t	 arg[GW_MCP_ARGS_MAX];	/* offsets into strings */
	size_t		 nenv;			/* stdio: NAME=VALUE added */
	uint16_t	 env[GW_MCP_ENV_MAX];	/* offsets into strings */
	char		 strings[4096];
	size_t		 used;
};

#define GW_MCP_SUFFIXES_MAX	16

struct gw_mcp {
	char		 policy[GW_PATH_MAX];	/* "" = built-in defaults */
	char		 dictionary[GW_PATH_MAX];	/* internal names */
	size_t		 nsuffixes;		/* internal host suffixes */
	char		 suffixes[GW_MCP_SUFFIXES_MAX][GW_NAME_MAX * 2];
	uint8_t		 auditor[32];		/* X25519, sealed payloads */
	int		 has_auditor;
	size_t		 max_message;
	size_t		 sessions_per_key;	/* Streamable HTTP sessions */
	size_t		 nservers;
	struct gw_mcp_server servers[GW_MCP_SERVERS_MAX];
};

struct gw_config {
	char		 host[GW_NAME_MAX];
	unsigned	 port;
	char		 state_dir[GW_PATH_MAX];
	char		 tls_cert[GW_PATH_MAX];
	char		 tls_key[GW_PATH_MAX];
	int		 tls_attested;	/* a key made here, bound in evidence */
	char		 tee[8];		/* "auto", "sim", "tdx" */
	enum gw_gpu	 tee_gpu;	/* GPU evidence: collected when there is
					 * a GPU in CC mode, required, or not */
	int		 tee_rtmr_ioctl;	/* tee.rtmr: ioctl -- the out-of-tree
					 * TDX_CMD_EXTEND_RTMR when there is
					 * no sysfs (docs/workspaces-tdx.md) */
	size_t		 max_body;
	size_t		 max_headers;
	unsigned	 timeout_s;
	unsigned	 whole_timeout_s;	/* a non-streamed answer */
	unsigned	 max_inflight;	/* inference requests at once */
	size_t		 nbackends;
	struct gw_backend backends[GW_BACKENDS_MAX];
	size_t		 nmodels;
	struct gw_model	 models[GW_MODELS_MAX];
	struct gw_mcp	 mcp;
	/* workspaces: { dir, max, budget, egress_connections, egress_bytes }
	 * (docs/internals/workspace.md) */
	char		 ws_dir[GW_PATH_MAX];	/* "": <state_dir>/ws */
	unsigned	 ws_max;		/* running at once */
	int64_t		 ws_budget;	/* credits when a request names none */
	unsigned	 ws_egress_conns;	/* open at once, per workspace */
	int64_t		 ws_egress_bytes;	/* both ways, per workspace */
	char		 console_dir[GW_PATH_MAX];	/* the console's files */
	unsigned	 console_idle_s;	/* a sign-in lasts this idle */
	int		 console_off;
	/* ledger: { backend, dsn, replica_id, lease } (docs/gateway.md
	 * "PostgreSQL") */
	int		 ledger_pg;	/* 0: SQLite in state_dir */
	char		 ledger_dsn[GW_PATH_MAX];
	char		 ledger_replica[64];	/* "": CLOISTER_REPLICA_ID or
						 * the host name */
	unsigned	 ledger_lease_s;
	uint8_t		 sha256[32];	/* config_sha256: gw_config_digest */
};

/* Parse the file at path and compute its config_sha256. */
int	gw_config_load(const char *path, struct gw_config *c, char *why,
	    size_t whylen);
/* Parse only (no file is read; c->sha256 stays zero). */
int	gw_config_parse(const uint8_t *buf, size_t len, struct gw_config *c,
	    char *why, size_t whylen);
/* config_sha256 of c parsed from buf (config_digest.c, FORMATS §7): the
 * bytes, and the files they name -- contents where not secret, paths
 * where secret.  CLOISTER_ERR_CONFIG when a named file cannot be read. */
int	gw_config_digest(const struct gw_config *c, const uint8_t *buf,
	    size_t len, uint8_t out[32], char *why, size_t whylen);
const struct gw_model *gw_config_model(const struct gw_config *c,
	    const char *name);
const struct gw_mcp_server *gw_config_mcp_server(const struct gw_config *c,
	    const char *name);

#endif
