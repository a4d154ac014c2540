/*
 * cloister dlp scan FILE|- [--json] [--policy FILE] [--server NAME]
 *     [--tool NAME] [--redact] [--internal-suffix S]... [--dictionary F]
 * cloister dlp learn DIR [--output FILE]
 *
 * Findings, never the secret: where it is (line, byte offsets in the
 * line), which rule, how sure, and what the policy toward the named
 * server does with it.  --redact prints the input with what the policy
 * redacts replaced by typed placeholders.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cloister/error.h"
#include "dlp.h"
#include "mcp_policy.h"
#include "util.h"

#define FINDINGS_MAX	65536
#define SCAN_FILE_MAX	(256u * 1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f, "usage: cloister dlp scan FILE|- [--json] [--policy FILE]\n"
	    "           [--server NAME] [--tool NAME] [--redact]\n"
	    "           [--internal-suffix SUFFIX]... [--dictionary FILE]\n"
	    "       cloister dlp learn DIR [--output FILE]\n"
	    "Scan a file (or standard input) for credentials, private keys,\n"
	    "tokens and personal data; print one finding per line, never the\n"
	    "secret itself, with the action the policy (the built-in one\n"
	    "without --policy) takes toward the server (default: an external\n"
	    "one).  --redact prints the redacted input instead.\n"
	    "Exit status: 0 allowed, 1 findings to act on (or blocked), 2 bad\n"
	    "usage or unreadable input.\n"
	    "learn: the internal identifiers of a codebase (service names and\n"
	    "hosts from compose files, Kubernetes manifests, env files and\n"
	    "configs), one per line, for --dictionary and mcp.internal.\n");
}

#define SUFFIXES_MAX	64

struct dlp_args {
	const char	*file, *policy, *server, *tool, *dictionary;
	const char	*suffixes[SUFFIXES_MAX];
	size_t		 nsuffixes;
	int		 json, redact;
};

static int
parse(int argc, char **argv, struct dlp_args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'p' },
		{ "server", required_argument, NULL, 's' },
		{ "tool", required_argument, NULL, 't' },
		{ "redact", no_argument, NULL, 'r' },
		{ "internal-suffix", required_argument, NULL, 'i' },
		{ "dictionary", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (argc < 2 || strcmp(argv[1], "scan") != 0) {
		usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout :
		    stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? -1 :
		    CLI_EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "jp:s:t:ri:d:h", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'i':
			if (a->nsuffixes == SUFFIXES_MAX) {
				fprintf(stderr, "cloister: dlp: more than %d "
				    "suffixes\n", SUFFIXES_MAX);
				return CLI_EXIT_USAGE;
			}
			a->suffixes[a->nsuffixes++] = optarg;
			break;
		case 'd':
			a->dictionary = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'p':
			a->policy = optarg;
			break;
		case 's':
			a->server = optarg;
			break;
		case 't':
			a->tool = optarg;
			break;
		case 'r':
			a->redact = 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	a->file = argv[optind + 1];
	if (a->server == NULL)
		a->server = "(external)";
	return 0;
}

static int	dlp_scan_cmd(int, char **);

static int
dlp_learn_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	char **v, why[256];
	size_t n;
	FILE *f = stdout;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
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
	if (dlp_learn(argv[optind], &v, &n, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: dlp: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	if (output != NULL && (f = fopen(output, "w")) == NULL) {
		fprintf(stderr, "cloister: dlp: %s: cannot write\n", output);
		dlp_learn_free(v, n);
		return CLI_EXIT_USAGE;
	}
	fprintf(f, "# internal identifiers of %s (cloister dlp learn); "
	    "review, then\n# use with --dictionary or mcp.internal."
	    "dictionary\n", argv[optind]);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", v[i]);
	if (output != NULL && fclose(f) != 0) {
		fprintf(stderr, "cloister: dlp: %s: cannot write\n", output);
		dlp_learn_free(v, n);
		return CLI_EXIT_USAGE;
	}
	fprintf(stderr, "cloister: dlp: %zu internal identifier%s learned\n",
	    n, n == 1 ? "" : "s");
	dlp_learn_free(v, n);
	return CLI_EXIT_OK;
}

static void
print(const struct dlp_finding *f, enum mcp_action act, int json)
{
	if (json)
		printf("{\"rule\":\"%s\",\"category\":\"%s\",\"line\":%zu,"
		    "\"end_line\":%zu,\"start\":%zu,\"end\":%zu,"
		    "\"confidence\":\"%s\",\"action\":\"%s\",\"layer\":"
		    "\"%s\"}\n", f->rule, f->category, f->line,
		    f->end_line > f->line ? f->end_line : f->line, f->col,
		    f->col + f->len,
		    dlp_confidence_name(f->confidence), mcp_action_name(act),
		    dlp_layer_name(f->layer));
	else
		printf("%zu:%zu-%zu %s (%s, %s%s%s) %s\n", f->line, f->col,
		    f->col + f->len, f->rule, f->category,
		    dlp_confidence_name(f->confidence),
		    f->layer != DLP_RAW ? ", in " : "",
		    f->layer != DLP_RAW ? dlp_layer_name(f->layer) : "",
		    mcp_action_name(act));
}

int
cmd_dlp(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "learn") == 0)
		return dlp_learn_cmd(argc - 1, argv + 1);
	return dlp_scan_cmd(argc, argv);
}

/* The scanner, with the internal names the options give, and room for
 * its findings; -1 after saying why. */
static int
scanner(const struct dlp_args *a, struct dlp **d, struct dlp_finding **fs,
    enum mcp_action **acts)
{
	char why[256] = "";

	if ((*fs = calloc(FINDINGS_MAX, sizeof(**fs))) == NULL ||
	    (*acts = calloc(FINDINGS_MAX, sizeof(**acts))) == NULL ||
	    dlp_new(d, why, sizeof(why)) != 0 ||
	    dlp_internal_load(*d, a->suffixes, a->nsuffixes, a->dictionary,
	    why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: dlp: %s\n", why[0] != '\0' ? why :
		    "out of memory");
		return -1;
	}
	return 0;
}

/* The findings, or (--redact) the input with them redacted; the exit
 * status. */
static int
report(const struct dlp_args *a, const uint8_t *buf, size_t len,
    const struct dlp_finding *fs, const enum mcp_action *acts, size_t n,
    const struct mcp_decision *dec)
{
	uint8_t *red = NULL;
	size_t rlen;
	int ret = CLI_EXIT_USAGE;

	if (a->redact) {
		if (dec->action == MCP_BLOCK) {
			fprintf(stderr, "cloister: blocked: %s\n", dec->reason);
			return CLI_EXIT_REJECTED;
		}
		if (mcp_redact(buf, len, fs, acts, n, &red, &rlen) != 0 ||
		    fwrite(red, 1, rlen, stdout) != rlen)
			goto out;
	} else
		for (size_t i = 0; i < n; i++)
			print(&fs[i], acts[i], a->json);
	if (!a->json && !a->redact && n > 0)
		fprintf(stderr, "cloister: %s: %s\n",
		    mcp_action_name(dec->action), dec->reason);
	ret = dec->action == MCP_ALLOW ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
	if (a->redact && dec->action == MCP_REDACT)
		ret = CLI_EXIT_OK;
 out:
	if (red != NULL)
		util_wipe(red, rlen);
	free(red);
	return ret;
}

static int
dlp_scan_cmd(int argc, char **argv)
{
	struct dlp_args a = { .file = NULL };
	struct dlp *d = NULL;
	struct mcp_policy *pol = NULL;
	struct mcp_decision dec;
	struct dlp_finding *fs = NULL;
	enum mcp_action *acts = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	char why[256];
	int r, ret = CLI_EXIT_USAGE;

	if ((r = parse(argc, argv, &a)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (mcp_policy_load(a.policy, &pol, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: policy: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	r = strcmp(a.file, "-") == 0 ? util_read_fd(0, SCAN_FILE_MAX, &buf,
	    &len) : util_read_file(a.file, SCAN_FILE_MAX, &buf, &len);
	if (r != 0) {
		fprintf(stderr, "cloister: %s: %s\n", a.file,
		    cloister_strerror(r));
		goto out;
	}
	if (scanner(&a, &d, &fs, &acts) != 0)
		goto out;
	if ((r = dlp_scan(d, buf, len, fs, FINDINGS_MAX, &n)) != 0) {
		fprintf(stderr, "cloister: dlp: %s\n", r == CLOISTER_ERR_TOO_LARGE
		    ? "too many findings; the input is refused whole" :
		    cloister_strerror(r));
		ret = CLI_EXIT_REJECTED;
		goto out;
	}
	mcp_decide(pol, a.server, a.tool, fs, n, acts, &dec);
	ret = report(&a, buf, len, fs, acts, n, &dec);
 out:
	util_wipe(buf, len);
	free(buf);
	free(fs);
	free(acts);
	dlp_free(d);
	mcp_policy_free(pol);
	return ret;
}
