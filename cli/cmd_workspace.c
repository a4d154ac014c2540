/*
 * cloister workspace run [--config FILE] [--policy FILE] [--dir SRC]
 *     [--bind] [--no-gateway] [--admin-key-file FILE] [-v] -- COMMAND...
 * cloister workspace start [the same options]
 * cloister workspace doctor | exec | list | stop
 *
 * The supervisor (docs/internals/workspace.md): reads the policy,
 * decides the sandbox's facts, asks serve for a workspace (which
 * measures the manifest), runs COMMAND in the sandbox (lib/sandbox),
 * ends the workspace and returns COMMAND's exit status.  125 means the
 * workspace could not be made: the command never ran.  start does the
 * same with no command, as a supervisor in the background that holds the
 * workspace until `workspace stop`; it prints the id once the sandbox
 * runs and leaves its state for exec (cmd_workspace_state.c).
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cloister/error.h"
#include "crypto.h"
#include "util.h"
#include "workspace.h"

#define DEFAULT_CONFIG	"config/demo.yaml"
#define LOCAL_ID_BYTES	12

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cloister workspace run [--config FILE] [--policy FILE] "
	    "[--dir SRC] [--bind]\n"
	    "                              [--no-gateway] [--admin-key-file "
	    "FILE] [-v] -- COMMAND...\n"
	    "       cloister workspace start [same options, no COMMAND]\n"
	    "       cloister workspace exec ID -- COMMAND...\n"
	    "       cloister workspace list | stop ID  [--config FILE]\n"
	    "       cloister workspace doctor\n");
}

struct run_opts {
	const char	*config;
	const char	*policy;
	const char	*src;
	const char	*keyfile;
	const char	*sock_dir;	/* test builds: sockets without serve */
	int		 bind;
	int		 no_gateway;
	int		 verbose;
	int		 start;		/* workspace start: no command */
	char *const	*argv;
};

static int
parse(int argc, char **argv, struct run_opts *o, int start)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "bind", no_argument, NULL, 'b' },
		{ "no-gateway", no_argument, NULL, 'n' },
		{ "admin-key-file", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "test-socket-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	o->start = start;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+v", longs, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'd': o->src = optarg; break;
		case 'b': o->bind = 1; break;
		case 'n': o->no_gateway = 1; break;
		case 'k': o->keyfile = optarg; break;
		case 'v': o->verbose = 1; break;
		case 's':
			if (!util_test_hooks())
				return -1;
			o->sock_dir = optarg;
			o->no_gateway = 1;
			break;
		case 'h': usage(stdout); exit(CLI_EXIT_OK);
		default: return -1;
		}
	}
	if ((start ? optind != argc : optind >= argc) ||
	    (o->bind && o->src == NULL))
		return -1;
	if (argc - optind > SBX_ARGV_MAX)
		return -1;
	o->argv = start ? NULL : argv + optind;
	return 0;
}

static void
local_id(char out[WS_ID_MAX])
{
	uint8_t r[LOCAL_ID_BYTES];

	memcpy(out, "local-", 6);
	if (crypto_random(r, sizeof(r)) != 0)
		memset(r, 0, sizeof(r));
	util_hex_encode(r, sizeof(r), out + 6);
}

/* workspace start: what exec and stop need, written once ws-init runs. */
struct start_ctx {
	struct ws_state	 st;
	int		 written;
};

static void
on_start(void *arg, int init_pid, const char *cgroup)
{
	struct start_ctx *c = arg;
	char why[SBX_WHY_MAX];

	c->st.supervisor = (int)getpid();
	c->st.init = init_pid;
	c->st.userns = sbx_userns_of(init_pid);
	snprintf(c->st.cgroup, sizeof(c->st.cgroup), "%s", cgroup);
	c->written = ws_state_write(&c->st, why, sizeof(why)) == 0;
	util_wipe(c->st.key, sizeof(c->st.key));
}

/*
 * workspace start: the caller waits on a pipe for "R" (then prints the id)
 * or "E" and the reason; the supervisor goes on in the background, its
 * own session, with /dev/null for stdio.  0 in the supervisor, which
 * then runs the workspace; never returns in the caller.
 */
static int
background(const char *id, int *report)
{
	char m[SBX_WHY_MAX + 2];
	int p[2], fd;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		setsid();
		if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		*report = p[1];
		return 0;
	}
	close(p[1]);
	while ((n = read(p[0], m, sizeof(m) - 1)) < 0 && errno == EINTR)
		;
	if (n == 1 && m[0] == 'R') {
		printf("%s\n", id);
		exit(CLI_EXIT_OK);
	}
	m[n > 0 ? n : 0] = '\0';
	fprintf(stderr, "cloister workspace start: %s\n", n > 1 ?
	    m + 1 : "the workspace ended before it ran");
	exit(SBX_EXIT_SETUP);
}

/* The workspace from policy to exit status; see the file's comment. */
static int
run(const struct run_opts *o, int started_fd)
{
	struct sbx_policy *pol = NULL;
	struct sbx_facts f;
	struct sbx_spec s;
	struct ws_admin a;
	struct ws_grant g;
	char why[SBX_WHY_MAX + 256], dwhy[SBX_WHY_MAX], *body = NULL;
	int status = SBX_EXIT_SETUP, created = 0, r, report = -1;
	struct start_ctx sc;

	memset(&a, 0, sizeof(a));
	memset(&g, 0, sizeof(g));
	if ((pol = malloc(sizeof(*pol))) == NULL)
		goto out;
	r = o->policy != NULL ? sbx_policy_load(o->policy, pol, why,
	    sizeof(why)) : sbx_policy_parse((const uint8_t *)"", 0, pol, why,
	    sizeof(why));
	if (r != 0) {
		fprintf(stderr, "cloister workspace: policy: %s\n", why);
		goto out;
	}
	if (sbx_prepare(pol, &f, why, sizeof(why)) != 0) {
		fprintf(stderr, "cloister workspace: %s\n", why);
		goto out;
	}
	if (o->no_gateway)
		local_id(g.id);
	else {
		if (ws_admin_setup(&a, o->config, o->keyfile, why,
		    sizeof(why)) != 0 || (body = ws_create_body(pol, &f,
		    o->argv)) == NULL || ws_admin_create(&a, body, &g, why,
		    sizeof(why)) != 0) {
			fprintf(stderr, "cloister workspace: %s\n", body ? why :
			    why[0] ? why : "cannot build the manifest");
			goto out;
		}
		created = 1;
	}
	if (o->verbose)
		fprintf(stderr, "cloister workspace: %s: image %s, landlock "
		    "ABI %d, seccomp %s, limits %s, ids %s\n", g.id,
		    f.image_digest, f.landlock_abi, f.seccomp, f.cgroup,
		    f.ranged ? "ranged" : "single");
	memset(&s, 0, sizeof(s));
	s.pol = pol;
	s.facts = &f;
	s.src = o->src;
	s.bind = o->bind;
	s.sock_dir = created ? g.dir : o->sock_dir;
	s.id = g.id;
	s.key = created ? g.key : NULL;
	s.argv = o->argv;
	s.started_fd = started_fd;
	if (o->start) {
		memset(&sc, 0, sizeof(sc));
		snprintf(sc.st.id, sizeof(sc.st.id), "%s", g.id);
		snprintf(sc.st.key, sizeof(sc.st.key), "%s", created ?
		    g.key : "");
		sc.st.landlock_abi = f.landlock_abi;
		sc.st.limits = pol->limits;
		s.on_start = on_start;
		s.on_start_arg = &sc;
		if (background(g.id, &report) != 0) {
			fprintf(stderr, "cloister workspace: start: %s\n",
			    strerror(errno));
			goto out;
		}
		s.started_fd = report;
	}
	if (sbx_run(&s, &status, why, sizeof(why)) != 0) {
		if (report != -1) {
			dprintf(report, "E%s", why);
		} else
			fprintf(stderr, "cloister workspace: %s\n", why);
		status = SBX_EXIT_SETUP;
	}
	if (o->start) {
		if (sc.written)
			ws_state_remove(g.id);
		util_wipe(&sc, sizeof(sc));
		close(report);
	}
out:
	if (created && ws_admin_delete(&a, g.id, dwhy, sizeof(dwhy)) != 0)
		fprintf(stderr, "cloister workspace: %s\n", dwhy);
	ws_admin_wipe(&a, &g);
	free(body);
	free(pol);
	return status;
}

int
cmd_workspace_run(int argc, char **argv, int started_fd);
int
cmd_workspace_run(int argc, char **argv, int started_fd)
{
	struct run_opts o;

	if (parse(argc, argv, &o, 0) != 0) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return run(&o, started_fd);
}

static int
cmd_workspace_start(int argc, char **argv)
{
	struct run_opts o;

	if (parse(argc, argv, &o, 1) != 0) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return run(&o, -1);
}

int
cmd_workspace(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_workspace_run(argc - 1, argv + 1, -1);
	if (strcmp(argv[1], "doctor") == 0)
		return cmd_workspace_doctor(argc - 1, argv + 1);
	if (strcmp(argv[1], "start") == 0)
		return cmd_workspace_start(argc - 1, argv + 1);
	if (strcmp(argv[1], "exec") == 0)
		return cmd_workspace_exec(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "stop") == 0)
		return cmd_workspace_ctl(argv[1], argc - 1, argv + 1);
	fprintf(stderr, "cloister workspace: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

int
cmd_workspace_doctor(int argc, char **argv)
{
	struct sbx_check c[SBX_CHECKS_MAX];
	static const char *mark[] = { "MISSING ", "ok      ", "DEGRADED" };
	size_t n;
	int fatal;

	n = sbx_doctor(c, &fatal);
	for (size_t i = 0; i < n; i++)
		printf("%s %-18s %s\n", mark[c[i].ok], c[i].what, c[i].detail);
	printf("%s\n", fatal ? "workspaces cannot start here (see MISSING)" :
	    "workspaces can start here");
	return fatal ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
}
