/*
 * cloister audit verify LOG [--evidence BUNDLE] [--open] [--allow-simulated]
 *     [--json]
 * cloister audit keygen SECRET_FILE
 * cloister audit open LOG --key SECRET_FILE
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "cloister/error.h"
#include "cloister/evidence.h"
#include "crypto.h"
#include "output.h"
#include "util.h"

#define LOG_MAX		(1024u * 1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister audit verify LOG [--evidence BUNDLE] [--open]\n"
	    "           [--allow-simulated] [--json]\n"
	    "Check an MCP audit log: every line chains to the one before, the\n"
	    "checkpoints are signed by the instance key, and the log ends with\n"
	    "its closing checkpoint (--open: a live log may end at any\n"
	    "checkpoint).  With --evidence the key must be the one that\n"
	    "evidence binds, and the log must name that evidence.\n"
	    "Exit status: 0 intact, 1 not, 2 bad usage or unreadable input.\n"
	    "\n"
	    "usage: cloister audit keygen SECRET_FILE\n"
	    "       cloister audit open LOG --key SECRET_FILE\n"
	    "keygen makes an auditor's key pair (X25519): the secret goes to\n"
	    "SECRET_FILE (0600, never overwritten), the public key is printed\n"
	    "for the gateway's configuration.  open prints the payloads sealed\n"
	    "to that key, one per line, prefixed with their log line.\n");
}

static int
keygen(int argc, char **argv)
{
	uint8_t pk[AUDIT_KEY_LEN], sk[AUDIT_KEY_LEN];
	char hex[2 * AUDIT_KEY_LEN + 2];
	int fd, ok;

	if (argc != 3) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return CLI_EXIT_REJECTED;
	crypto_box_keypair(pk, sk);
	util_hex_encode(sk, sizeof(sk), hex);
	util_wipe(sk, sizeof(sk));
	hex[2 * AUDIT_KEY_LEN] = '\n';
	if ((fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		fprintf(stderr, "cloister: %s: cannot create (it must not "
		    "exist)\n", argv[2]);
		util_wipe(hex, sizeof(hex));
		return CLI_EXIT_USAGE;
	}
	ok = write(fd, hex, 2 * AUDIT_KEY_LEN + 1) == 2 * AUDIT_KEY_LEN + 1;
	ok = close(fd) == 0 && ok;
	util_wipe(hex, sizeof(hex));
	util_hex_encode(pk, sizeof(pk), hex);
	printf("%s\n", hex);
	return ok ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

static void
print_payload(size_t line, const uint8_t *p, size_t n, void *arg)
{
	printf("%zu: %.*s\n", line, (int)n, (const char *)p);
}

static int
open_log(int argc, char **argv)
{
	uint8_t sk[AUDIT_KEY_LEN], *key = NULL, *log = NULL;
	size_t klen, len, opened, failed;
	int r;

	if (argc != 5 || strcmp(argv[3], "--key") != 0) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (util_read_file(argv[4], 4096, &key, &klen) != 0 ||
	    util_hex_decode_exact((char *)key, klen > 0 && key[klen - 1] ==
	    '\n' ? klen - 1 : klen, sk, sizeof(sk)) != 0 ||
	    util_read_file(argv[2], LOG_MAX, &log, &len) != 0) {
		fprintf(stderr, "cloister: cannot read the log or the key "
		    "(64 hex digits)\n");
		if (key != NULL)
			util_wipe(key, klen);
		free(key);
		free(log);
		return CLI_EXIT_USAGE;
	}
	util_wipe(key, klen);
	free(key);
	r = audit_open_sealed(log, len, sk, print_payload, NULL, &opened,
	    &failed);
	util_wipe(sk, sizeof(sk));
	free(log);
	fprintf(stderr, "cloister: %zu payloads opened, %zu not\n", opened,
	    failed);
	return r == 0 && failed == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

/* The bundle's instance key, after checking the whole bundle. */
static int
evidence_key(const char *path, unsigned flags, uint8_t pub[64],
    char id[65])
{
	struct cloister_evidence_opts o = { .at = (int64_t)time(NULL),
	    .flags = flags };
	struct cloister_evidence_result *res;
	uint8_t *b, h[32];
	size_t len;
	int r;

	if (util_read_file(path, UTIL_FILE_MAX, &b, &len) != 0) {
		fprintf(stderr, "cloister: %s: cannot read\n", path);
		return -1;
	}
	if ((res = malloc(sizeof(*res))) == NULL) {
		free(b);
		return -1;
	}
	r = cloister_verify_evidence(b, len, &o, res);
	if (r != 0)
		fprintf(stderr, "cloister: %s: the evidence is not accepted: "
		    "%s\n", path, res->message);
	else
		memcpy(pub, res->public_key, 64);
	crypto_sha256(b, len, h);
	util_hex_encode(h, sizeof(h), id);
	free(res);
	free(b);
	return r == 0 ? 0 : 1;
}

/* The log at path, checked (against the evidence's key when pub is
 * given, and that the log names the evidence id); CLI_EXIT_USAGE when it
 * cannot be read. */
static int
check_log(const char *path, const char *evidence, const uint8_t pub[64],
    const char *id, int live, struct audit_verdict *v)
{
	uint8_t *log;
	size_t len;
	int r;

	if ((r = util_read_file(path, LOG_MAX, &log, &len)) != 0) {
		fprintf(stderr, "cloister: %s: %s\n", path,
		    cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	r = audit_verify(log, len, evidence != NULL ? pub : NULL, live, v);
	free(log);
	if (r == 0 && evidence != NULL && strcmp(id, v->evidence_id) != 0) {
		v->ok = 0;
		v->bad_line = 1;
		v->code = r = CLOISTER_ERR_BINDING;
		snprintf(v->why, sizeof(v->why), "line 1: the log names other "
		    "evidence than %s", evidence);
	}
	return 0;
}

/* The verdict, for people or as one JSON object. */
static void
print_verdict(const struct audit_verdict *v, int json, const char *evidence)
{
	if (json) {
		json_t *j = json_pack("{s:b,s:I,s:I,s:b,s:b}", "intact", v->ok,
		    "lines", (json_int_t)v->entries, "checkpoints",
		    (json_int_t)v->checkpoints, "closed", v->closed,
		    "key_checked", evidence != NULL);

		if (j != NULL && !v->ok)
			json_object_set_new(j, "error", json_pack("{s:s,s:s,"
			    "s:I}", "code", cloister_errname(v->code), "message",
			    v->why, "line", (json_int_t)v->bad_line));
		output_json_print(j);
	}
	else if (v->ok)
		printf("INTACT: %zu lines, %zu checkpoints%s; %s\n", v->entries,
		    v->checkpoints, v->closed ? ", closed" : ", open",
		    evidence != NULL ? "signed by the key the evidence binds" :
		    "signed by the key in its first line (not checked against "
		    "evidence: --evidence)");
	else
		printf("NOT INTACT: %s [%s]\n", v->why, cloister_errname(v->code));
}

/* cloister audit verify LOG [--evidence BUNDLE] [--open] ... */
static int
verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "evidence", required_argument, NULL, 'e' },
		{ "open", no_argument, NULL, 'o' },
		{ "allow-simulated", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *evidence = NULL;
	struct audit_verdict v;
	uint8_t pub[64];
	char id[65] = "";
	unsigned flags = 0;
	int c, live = 0, json = 0, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "e:osjh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			evidence = optarg;
			break;
		case 'o':
			live = 1;
			break;
		case 's':
			flags |= CLOISTER_VERIFY_ALLOW_SIMULATED;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (evidence != NULL && (r = evidence_key(evidence, flags, pub,
	    id)) != 0)
		return r < 0 ? CLI_EXIT_USAGE : CLI_EXIT_REJECTED;
	if (check_log(argv[optind], evidence, pub, id, live, &v) != 0)
		return CLI_EXIT_USAGE;
	print_verdict(&v, json, evidence);
	return v.ok ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

int
cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "open") == 0)
		return open_log(argc, argv);
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return verify(argc - 1, argv + 1);
}
