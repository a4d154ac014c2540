/*
 * What a started workspace leaves for `exec` and `stop`: one file per
 * workspace in a directory only its user can enter
 * ($XDG_RUNTIME_DIR/cloister-workspaces, else
 * /tmp/cloister-workspaces-UID), mode 0600, one "name value" per line:
 * the supervisor's and ws-init's pids, ws-init's user namespace (so a
 * reused pid is never joined), the cgroup, the Landlock ABI, the limits
 * and the workspace key (which the agent's environment holds anyway).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "util.h"
#include "workspace.h"

#define STATE_MAX	4096

int
ws_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= WS_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-' ||
		    id[i] == '_'))
			return 0;
	return 1;
}

/* The directory, made if missing, refused unless it is ours alone. */
static int
state_dir(char *out, size_t outlen, char *why, size_t whylen)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (x != NULL && x[0] == '/' && stat(x, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		snprintf(out, outlen, "%s/cloister-workspaces", x);
	else
		snprintf(out, outlen, "/tmp/cloister-workspaces-%u",
		    (unsigned)geteuid());
	if (mkdir(out, 0700) == -1 && errno != EEXIST)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "mkdir %s: %s",
		    out, strerror(errno));
	if (lstat(out, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s is not a "
		    "directory of this user's alone (mode 0700)", out);
	return 0;
}

static int
state_path(const char *id, char *out, size_t outlen, char *why,
    size_t whylen)
{
	char dir[SBX_PATH_MAX];
	int r;

	if (!ws_id_ok(id))
		return util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "'%s' is not a workspace id", id);
	if ((r = state_dir(dir, sizeof(dir), why, whylen)) != 0)
		return r;
	snprintf(out, outlen, "%s/%s", dir, id);
	return 0;
}

int
ws_state_write(const struct ws_state *s, char *why, size_t whylen)
{
	char path[SBX_PATH_MAX + WS_ID_MAX + 2], buf[STATE_MAX];
	const struct sbx_limits *l = &s->limits;
	int fd, n, r;

	if ((r = state_path(s->id, path, sizeof(path), why, whylen)) != 0)
		return r;
	n = snprintf(buf, sizeof(buf), "supervisor %d\ninit %d\n"
	    "userns %" PRIu64 "\ncgroup %s\nlandlock %d\nmemory %" PRIu64
	    "\nfsize %" PRIu64 "\npids %u\nnofile %u\ncpu %u\nkey %s\n",
	    s->supervisor, s->init, s->userns, s->cgroup[0] ? s->cgroup : "-",
	    s->landlock_abi, l->memory, l->fsize, l->pids, l->nofile,
	    l->cpu_pct, s->key[0] ? s->key : "-");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return util_fail(CLOISTER_ERR_INTERNAL, why, whylen,
		    "workspace state too long");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "create %s: %s",
		    path, strerror(errno));
	r = write(fd, buf, (size_t)n) == n ? 0 : -1;
	util_wipe(buf, sizeof(buf));
	if (close(fd) != 0 || r != 0) {
		unlink(path);
		return util_fail(CLOISTER_ERR_IO, why, whylen, "write %s",
		    path);
	}
	return 0;
}

/* A decimal number in [0, max], or -1. */
static long long
num(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	return v;
}

int
ws_state_read(const char *id, struct ws_state *s, char *why, size_t whylen)
{
	char path[SBX_PATH_MAX + WS_ID_MAX + 2], buf[STATE_MAX], *line, *sp;
	char *save = NULL;
	ssize_t n;
	int fd, r, seen = 0;

	memset(s, 0, sizeof(*s));
	if ((r = state_path(id, path, sizeof(path), why, whylen)) != 0)
		return r;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return util_fail(CLOISTER_ERR_NOT_FOUND, why, whylen,
		    "no workspace %s was started here by this user", id);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "read %s", path);
	buf[n] = '\0';
	snprintf(s->id, sizeof(s->id), "%s", id);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(line, "supervisor") == 0)
			s->supervisor = (int)num(sp, INT_MAX), seen |= 1;
		else if (strcmp(line, "init") == 0)
			s->init = (int)num(sp, INT_MAX), seen |= 2;
		else if (strcmp(line, "userns") == 0)
			s->userns = strtoull(sp, NULL, 10), seen |= 4;
		else if (strcmp(line, "cgroup") == 0 && strcmp(sp, "-") != 0)
			snprintf(s->cgroup, sizeof(s->cgroup), "%s", sp);
		else if (strcmp(line, "landlock") == 0)
			s->landlock_abi = (int)num(sp, 64);
		else if (strcmp(line, "memory") == 0)
			s->limits.memory = strtoull(sp, NULL, 10);
		else if (strcmp(line, "fsize") == 0)
			s->limits.fsize = strtoull(sp, NULL, 10);
		else if (strcmp(line, "pids") == 0)
			s->limits.pids = (unsigned)strtoul(sp, NULL, 10);
		else if (strcmp(line, "nofile") == 0)
			s->limits.nofile = (unsigned)strtoul(sp, NULL, 10);
		else if (strcmp(line, "cpu") == 0)
			s->limits.cpu_pct = (unsigned)strtoul(sp, NULL, 10);
		else if (strcmp(line, "key") == 0 && strcmp(sp, "-") != 0)
			snprintf(s->key, sizeof(s->key), "%s", sp);
	}
	util_wipe(buf, sizeof(buf));
	if (seen != 7 || s->supervisor <= 0 || s->init <= 0 ||
	    s->landlock_abi < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "%s is not a "
		    "workspace state file", path);
	return 0;
}

void
ws_state_remove(const char *id)
{
	char path[SBX_PATH_MAX + WS_ID_MAX + 2], why[SBX_WHY_MAX];

	if (state_path(id, path, sizeof(path), why, sizeof(why)) == 0)
		unlink(path);
}
