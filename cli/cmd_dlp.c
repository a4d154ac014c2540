/*
 * cloister dlp scan FILE|- [--json]
 *
 * Findings, never the secret: where it is (line, byte offsets in the
 * line), which rule, how sure, and what the default policy toward an
 * external server would do with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cloister/error.h"
#include "dlp.h"
#include "util.h"

#define FINDINGS_MAX	65536
#define SCAN_FILE_MAX	(256u * 1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f, "usage: cloister dlp scan FILE|- [--json]\n"
	    "Scan a file (or standard input) for credentials, private keys,\n"
	    "tokens and personal data; print one finding per line, never the\n"
	    "secret itself.  Exit status: 0 nothing found, 1 findings, 2 bad\n"
	    "usage or unreadable input.\n");
}

static void
print(const struct dlp_finding *f, int json)
{
	if (json)
		printf("{\"rule\":\"%s\",\"category\":\"%s\",\"line\":%zu,"
		    "\"start\":%zu,\"end\":%zu,\"confidence\":\"%s\","
		    "\"action\":\"%s\",\"layer\":\"%s\"}\n", f->rule,
		    f->category, f->line, f->col, f->col + f->len,
		    dlp_confidence_name(f->confidence), dlp_default_action(f),
		    dlp_layer_name(f->layer));
	else
		printf("%zu:%zu-%zu %s (%s, %s%s%s) %s\n", f->line, f->col,
		    f->col + f->len, f->rule, f->category,
		    dlp_confidence_name(f->confidence),
		    f->layer != DLP_RAW ? ", in " : "",
		    f->layer != DLP_RAW ? dlp_layer_name(f->layer) : "",
		    dlp_default_action(f));
}

int
cmd_dlp(int argc, char **argv)
{
	struct dlp *d = NULL;
	struct dlp_finding *fs = NULL;
	uint8_t *buf = NULL;
	size_t len, n = 0;
	char why[256];
	int json = 0, r, ret = CLI_EXIT_USAGE;

	if (argc < 3 || strcmp(argv[1], "scan") != 0 ||
	    (argc == 4 && strcmp(argv[3], "--json") != 0) || argc > 4) {
		usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout :
		    stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ?
		    CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	json = argc == 4;
	r = strcmp(argv[2], "-") == 0 ? util_read_fd(0, SCAN_FILE_MAX, &buf,
	    &len) : util_read_file(argv[2], SCAN_FILE_MAX, &buf, &len);
	if (r != 0) {
		fprintf(stderr, "cloister: %s: %s\n", argv[2],
		    cloister_strerror(r));
		return CLI_EXIT_USAGE;
	}
	if ((fs = calloc(FINDINGS_MAX, sizeof(*fs))) == NULL ||
	    dlp_new(&d, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister: dlp: cannot start\n");
		goto out;
	}
	if ((r = dlp_scan(d, buf, len, fs, FINDINGS_MAX, &n)) != 0) {
		fprintf(stderr, "cloister: dlp: %s\n", r == CLOISTER_ERR_TOO_LARGE
		    ? "too many findings; the input is refused whole" :
		    cloister_strerror(r));
		ret = CLI_EXIT_REJECTED;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		print(&fs[i], json);
	ret = n == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
 out:
	util_wipe(buf, len);
	free(buf);
	free(fs);
	dlp_free(d);
	return ret;
}
