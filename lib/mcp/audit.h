/*
 * The tamper-evident audit log of the MCP gateway (docs/FORMATS.md §11):
 * JSON Lines, each line carrying the SHA-256 of the line before it, with
 * checkpoints signed by the instance key and tied to its evidence.  An
 * entry records what went where and what the DLP decided -- never the
 * content.
 */
#ifndef CLOISTER_AUDIT_H
#define CLOISTER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define AUDIT_FORMAT		"cloister-audit/1"
#define AUDIT_CHECKPOINT_LABEL	"cloister-audit-checkpoint/1"
#define AUDIT_FINDINGS_MAX	32

struct audit_finding {
	const char	*rule;
	unsigned	 count;
	const char	*action;	/* "allow", "redact", "block", "alert" */
};

struct audit_entry {
	const char	*direction;	/* "to-server", "to-client" */
	const char	*era;		/* protocol version; NULL: "unknown" */
	const char	*session;
	const char	*key_id;
	const char	*server_id;
	const char	*trust;		/* "internal", "external" */
	const char	*target;	/* URL or command digest */
	const char	*method;	/* "tools/call", ... */
	const char	*tool;		/* may be NULL */
	size_t		 nfindings;
	struct audit_finding findings[AUDIT_FINDINGS_MAX];
	uint8_t		 payload_sha256[32];
	const char	*outcome;	/* "forwarded", "redacted", "blocked" */
	const char	*reason;	/* why, for a decision; NULL: none */
	const char	*workspace;	/* the key's workspace; NULL: none */
	uint64_t	 latency_us;
	/* The exact outgoing payload, sealed to the auditor's key when the
	 * log has one (audit_set_auditor); NULL: none. */
	const uint8_t	*payload;
	size_t		 payload_len;
};

/*
 * A workspace's egress decision (docs/FORMATS.md §11): one per request
 * to its egress proxy, written when the decision is final -- a refusal
 * at once, an allowed connection when it closes, with its bytes.  Names
 * and numbers only: never a path, a header or a body, and a host the
 * DLP flagged only as "sha256:" and 16 hex digits.
 */
struct audit_egress {
	const char	*workspace;
	const char	*key_id;
	const char	*request;	/* "connect", "http" */
	const char	*host;		/* "" when the request had none */
	unsigned	 port;
	const char	*decision;	/* "allowed", "refused", "failed" */
	const char	*rule;		/* the allowlist entry; NULL: none */
	const char	*reason;	/* why refused or failed; NULL: none */
	size_t		 nfindings;
	struct audit_finding findings[AUDIT_FINDINGS_MAX];
	uint64_t	 bytes_up;	/* workspace to destination */
	uint64_t	 bytes_down;
	uint64_t	 duration_us;
};

#define AUDIT_KEY_LEN	32	/* X25519 (libsodium sealed boxes) */

struct audit_log;

/* Create (or refuse to overwrite) the log at path: its first line names
 * the instance key and its evidence.  Lines are written whole with one
 * write(2) each; checkpoints are also fdatasync'ed. */
int	audit_open(const char *path, const struct identity *id,
	    const char evidence_id[65], int64_t now, struct audit_log **out,
	    char *why, size_t whylen);
/* From now on, entries with a payload carry it sealed (crypto_box_seal)
 * to this public key: only the auditor's secret key opens it. */
void	audit_set_auditor(struct audit_log *l,
	    const uint8_t pk[AUDIT_KEY_LEN]);
int	audit_append(struct audit_log *l, const struct audit_entry *e,
	    int64_t now);
/* An egress entry ("direction": "egress"). */
int	audit_append_egress(struct audit_log *l, const struct audit_egress *e,
	    int64_t now);
int	audit_checkpoint(struct audit_log *l, int64_t now);
/* The closing checkpoint (kind "close"), then close. */
int	audit_close(struct audit_log *l, int64_t now);

struct audit_verdict {
	int		 ok;
	size_t		 entries;	/* lines read */
	size_t		 checkpoints;
	size_t		 bad_line;	/* 1-based, 0 when ok */
	int		 code;
	char		 why[256];
	int		 closed;	/* ends with the closing checkpoint */
	uint8_t		 public_key[64];	/* from the start line */
	char		 evidence_id[65];
};

/* Check the chain, the order, the checkpoints' signatures (with pub, or
 * the start line's key when pub is NULL) and that the log ends with its
 * closing checkpoint -- or, for a live log (live != 0), with any
 * checkpoint: cutting a live log back to a checkpoint cannot be seen in
 * the log itself; compare with the latest checkpoint published. */
int	audit_verify(const uint8_t *buf, size_t len, const uint8_t *pub,
	    int live, struct audit_verdict *v);

/* Sealed payloads of a log: cb(line, payload, len, arg) for each one the
 * secret key opens; *nfailed counts those it cannot. */
int	audit_open_sealed(const uint8_t *buf, size_t len,
	    const uint8_t sk[AUDIT_KEY_LEN],
	    void (*cb)(size_t line, const uint8_t *p, size_t n, void *arg),
	    void *arg, size_t *nopened, size_t *nfailed);

#endif
