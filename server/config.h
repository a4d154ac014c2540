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

enum gw_backend_type {
	GW_BACKEND_MOCK = 1,
	GW_BACKEND_OPENAI,	/* openai-compatible */
};

struct gw_backend {
	char		 name[GW_NAME_MAX];
	enum gw_backend_type type;
	char		 base_url[GW_PATH_MAX];
	char		 api_key_env[GW_NAME_MAX];
	char		 api_key_file[GW_PATH_MAX];
	int		 confidential;	/* inside the same TD; checked */
	unsigned	 chunk_delay_ms;	/* mock: pause between chunks */
};

/* Prices in credits (micro-units) per million tokens. */
struct gw_model {
	char		 name[GW_MODEL_MAX];
	size_t		 backend;	/* index into backends */
	int64_t		 input;
	int64_t		 output;
	int64_t		 cached;
	int64_t		 max_tokens;	/* when the client gives none */
};

struct gw_config {
	char		 host[GW_NAME_MAX];
	unsigned	 port;
	char		 state_dir[GW_PATH_MAX];
	char		 tls_cert[GW_PATH_MAX];
	char		 tls_key[GW_PATH_MAX];
	char		 tee[8];		/* "auto", "sim", "tdx" */
	size_t		 max_body;
	size_t		 max_headers;
	unsigned	 timeout_s;
	size_t		 nbackends;
	struct gw_backend backends[GW_BACKENDS_MAX];
	size_t		 nmodels;
	struct gw_model	 models[GW_MODELS_MAX];
	uint8_t		 sha256[32];	/* of the file's bytes, for evidence */
};

int	gw_config_load(const char *path, struct gw_config *c, char *why,
	    size_t whylen);
int	gw_config_parse(const uint8_t *buf, size_t len, struct gw_config *c,
	    char *why, size_t whylen);
const struct gw_model *gw_config_model(const struct gw_config *c,
	    const char *name);

#endif
