/*
 * Trees: the canonical walk behind the image digest and the project
 * copy, and the wipe at the end (docs/internals/sandbox.md "Image
 * digest").  A record is
 *   type (1 byte: 'd', 'f', 'l') || u32be path length || path ||
 *   u32be mode (07777) || u64be size || size bytes (file content,
 *   or the link's target; none for a directory)
 * in canonical order: the names of a directory sorted bytewise, each
 * directory's record before its entries.  A stream ends with type 'E'.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "sbx_int.h"
#include "util.h"

#define TREE_IO_BUF	65536
#define TREE_HDR_MAX	(1 + 4 + SBX_PATH_MAX + 4 + 8)

struct walker {
	int		 strict;
	sbx_walk_fn	 fn;
	void		*arg;
	char		 path[SBX_PATH_MAX];
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The names in dirfd, sorted; *out malloc'd. */
static int
list_dir(int dirfd, char ***out, size_t *n, char *why, size_t whylen)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	int fd, r = CLOISTER_ERR_IO;

	*out = NULL;
	*n = 0;
	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return sbx_fail(why, whylen, "read directory", errno);
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (cnt == SBX_WALK_DIR_MAX) {
			r = util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
			    "more than %d names in a directory",
			    SBX_WALK_DIR_MAX);
			goto out;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = CLOISTER_ERR_ALLOC;
				goto out;
			}
			v = nv;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL) {
			r = CLOISTER_ERR_ALLOC;
			goto out;
		}
		cnt++;
	}
	if (errno != 0) {
		r = sbx_fail(why, whylen, "read directory", errno);
		goto out;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), by_name);
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	r = 0;
out:
	free_names(v, cnt);
	closedir(d);
	return r;
}

static int walk_dir(struct walker *w, int dirfd, size_t plen, int depth,
    char *why, size_t whylen);

static int
walk_one(struct walker *w, int dirfd, const char *name, size_t plen,
    int depth, char *why, size_t whylen)
{
	struct sbx_entry e;
	struct stat st;
	char target[SBX_PATH_MAX];
	size_t nlen = strlen(name), at = plen;
	ssize_t tl;
	int fd = -1, r;

	if (plen + 1 + nlen + 1 > sizeof(w->path))
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "path too long under %s", w->path);
	if (plen > 0)
		w->path[at++] = '/';
	memcpy(w->path + at, name, nlen + 1);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "stat %s: %s",
		    w->path, strerror(errno));
	memset(&e, 0, sizeof(e));
	e.path = w->path;
	e.mode = st.st_mode & 07777;
	e.fd = -1;
	if (S_ISDIR(st.st_mode)) {
		e.type = 'd';
		if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			return util_fail(CLOISTER_ERR_IO, why, whylen,
			    "open %s: %s", w->path, strerror(errno));
		if ((r = w->fn(w->arg, &e, why, whylen)) == 0)
			r = walk_dir(w, fd, at + nlen, depth + 1, why, whylen);
	} else if (S_ISREG(st.st_mode)) {
		e.type = 'f';
		e.size = (uint64_t)st.st_size;
		if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1)
			return util_fail(CLOISTER_ERR_IO, why, whylen,
			    "open %s: %s", w->path, strerror(errno));
		e.fd = fd;
		r = w->fn(w->arg, &e, why, whylen);
	} else if (S_ISLNK(st.st_mode)) {
		e.type = 'l';
		if ((tl = readlinkat(dirfd, name, target,
		    sizeof(target) - 1)) < 0)
			return util_fail(CLOISTER_ERR_IO, why, whylen,
			    "readlink %s: %s", w->path, strerror(errno));
		target[tl] = '\0';
		e.size = (uint64_t)tl;
		e.link = target;
		r = w->fn(w->arg, &e, why, whylen);
	} else if (w->strict)
		r = util_fail(CLOISTER_ERR_INVALID_ARG, why, whylen,
		    "%s: not a file, directory or symlink", w->path);
	else
		r = 0;
	if (fd != -1)
		close(fd);
	w->path[plen] = '\0';
	return r;
}

static int
walk_dir(struct walker *w, int dirfd, size_t plen, int depth, char *why,
    size_t whylen)
{
	char **names;
	size_t n;
	int r;

	if (depth > SBX_WALK_DEPTH)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "directories nested deeper than %d", SBX_WALK_DEPTH);
	if ((r = list_dir(dirfd, &names, &n, why, whylen)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = walk_one(w, dirfd, names[i], plen, depth, why, whylen);
	free_names(names, n);
	return r;
}

int
sbx_walk(int dirfd, int strict, sbx_walk_fn fn, void *arg, char *why,
    size_t whylen)
{
	struct walker w;

	memset(&w, 0, sizeof(w));
	w.strict = strict;
	w.fn = fn;
	w.arg = arg;
	return walk_dir(&w, dirfd, 0, 0, why, whylen);
}

/* ---- records -------------------------------------------------------- */

static size_t
put_header(uint8_t *h, const struct sbx_entry *e)
{
	size_t pl = strlen(e->path), at = 0;

	h[at++] = (uint8_t)e->type;
	for (int i = 3; i >= 0; i--)
		h[at++] = (uint8_t)(pl >> (8 * i));
	memcpy(h + at, e->path, pl);
	at += pl;
	for (int i = 3; i >= 0; i--)
		h[at++] = (uint8_t)(e->mode >> (8 * i));
	for (int i = 7; i >= 0; i--)
		h[at++] = (uint8_t)(e->size >> (8 * i));
	return at;
}

/* Hand a record to put(): header, then the content.  A file that
 * changes size while it is read is an error. */
static int
emit(const struct sbx_entry *e, int (*put)(void *, const void *, size_t),
    void *arg, char *why, size_t whylen)
{
	uint8_t h[TREE_HDR_MAX], buf[TREE_IO_BUF];
	uint64_t left = e->size;
	ssize_t n;

	if (put(arg, h, put_header(h, e)) != 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "write %s: %s",
		    e->path, strerror(errno));
	if (e->type == 'l')
		return put(arg, e->link, e->size) != 0 ? util_fail(
		    CLOISTER_ERR_IO, why, whylen, "write %s", e->path) : 0;
	while (e->type == 'f' && left > 0) {
		n = read(e->fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return util_fail(CLOISTER_ERR_IO, why, whylen,
			    "read %s: %s", e->path, n == 0 ? "changed size" :
			    strerror(errno));
		if (put(arg, buf, (size_t)n) != 0)
			return util_fail(CLOISTER_ERR_IO, why, whylen,
			    "write %s: %s", e->path, strerror(errno));
		left -= (uint64_t)n;
	}
	return 0;
}

static int
put_fd(void *arg, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(*(int *)arg, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_one(void *arg, const struct sbx_entry *e, char *why, size_t whylen)
{
	return emit(e, put_fd, arg, why, whylen);
}

int
sbx_tree_send(const char *src, int fd, char *why, size_t whylen)
{
	int dfd, r;

	if ((dfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen, "open %s: %s",
		    src, strerror(errno));
	r = sbx_walk(dfd, 0, send_one, &fd, why, whylen);
	close(dfd);
	if (r == 0 && put_fd(&fd, "E", 1) != 0)
		r = sbx_fail(why, whylen, "copy project", errno);
	return r;
}

/* Exposed for the image digest (sbx_image.c). */
int	sbx_tree_emit(const struct sbx_entry *e,
	    int (*put)(void *, const void *, size_t), void *arg, char *why,
	    size_t whylen);
int
sbx_tree_emit(const struct sbx_entry *e,
    int (*put)(void *, const void *, size_t), void *arg, char *why,
    size_t whylen)
{
	return emit(e, put, arg, why, whylen);
}

/* ---- receiving ------------------------------------------------------- */

static int
get_fd(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t g;

	while (n > 0) {
		if ((g = read(fd, b, n)) < 0 && errno == EINTR)
			continue;
		if (g <= 0)
			return -1;
		b += g;
		n -= (size_t)g;
	}
	return 0;
}

static uint64_t
be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A relative path of plain names: no "", ".", ".." component. */
static int
path_ok(const char *p)
{
	const char *c = p, *s;
	size_t l;

	if (*p == '\0' || *p == '/')
		return 0;
	while (*c != '\0') {
		s = strchr(c, '/');
		l = s != NULL ? (size_t)(s - c) : strlen(c);
		if (l == 0 || (l == 1 && c[0] == '.') ||
		    (l == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += l + (s != NULL);
		if (s != NULL && *c == '\0')
			return 0;
	}
	return 1;
}

/* The parent directory of path under root, resolved without symlinks
 * and without leaving root; *base points at the last name. */
static int
open_parent(int root, char *path, const char **base)
{
	struct open_how how;
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*base = path;
		return dup(root);
	}
	*slash = '\0';
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	*slash = '/';
	*base = slash + 1;
	return fd;
}

static int
recv_content(int in, int out, uint64_t size)
{
	uint8_t buf[TREE_IO_BUF];
	size_t n;

	while (size > 0) {
		n = size < sizeof(buf) ? (size_t)size : sizeof(buf);
		if (get_fd(in, buf, n) != 0 || put_fd(&out, buf, n) != 0)
			return -1;
		size -= n;
	}
	return 0;
}

static int
recv_one(int in, int root, unsigned uid, unsigned gid, uint8_t type,
    uint64_t *total, uint64_t cap, char *why, size_t whylen)
{
	uint8_t h[12];
	char path[SBX_PATH_MAX], target[SBX_PATH_MAX];
	const char *base;
	uint64_t pl, size;
	unsigned mode;
	int dfd = -1, fd = -1, r = CLOISTER_ERR_IO;

	if (get_fd(in, h, 4) != 0 || (pl = be(h, 4)) == 0 ||
	    pl >= sizeof(path) || get_fd(in, path, (size_t)pl) != 0 ||
	    get_fd(in, h, 12) != 0)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "copy project: a short or bad record");
	path[pl] = '\0';
	mode = (unsigned)be(h, 4) & 0777;
	size = be(h + 4, 8);
	if (!path_ok(path) || memchr(path, '\0', (size_t)pl) != NULL)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "copy project: bad path");
	if ((*total += size) > cap)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "copy project: larger than the workspace's tmpfs "
		    "(%llu bytes)", (unsigned long long)cap);
	if ((dfd = open_parent(root, path, &base)) == -1)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "copy project: %s: %s", path, strerror(errno));
	if (type == 'd') {
		if (mkdirat(dfd, base, 0700) == -1 ||
		    fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fchmodat(dfd, base, mode | 0700, 0) == -1)
			goto sys;
	} else if (type == 'l') {
		if (size >= sizeof(target) ||
		    get_fd(in, target, (size_t)size) != 0)
			goto sys;
		target[size] = '\0';
		if (symlinkat(target, dfd, base) == -1 ||
		    fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) == -1)
			goto sys;
	} else if (type == 'f') {
		if ((fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
		    recv_content(in, fd, size) != 0 ||
		    fchown(fd, uid, gid) == -1 || fchmod(fd, mode) == -1)
			goto sys;
	} else {
		r = util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "copy project: bad record type");
		goto out;
	}
	r = 0;
	goto out;
sys:
	r = util_fail(CLOISTER_ERR_IO, why, whylen, "copy project: %s: %s",
	    path, strerror(errno));
out:
	if (fd != -1)
		close(fd);
	close(dfd);
	return r;
}

int
sbx_tree_recv(int in, int root, unsigned uid, unsigned gid, uint64_t cap,
    char *why, size_t whylen)
{
	uint64_t total = 0;
	uint8_t type;
	int r;

	for (;;) {
		if (get_fd(in, &type, 1) != 0)
			return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
			    "copy project: the stream ended early");
		if (type == 'E')
			return 0;
		if ((r = recv_one(in, root, uid, gid, type, &total, cap, why,
		    whylen)) != 0)
			return r;
	}
}

/* ---- wiping ----------------------------------------------------------- */

static void
zero_file(int fd)
{
	static const uint8_t zeros[TREE_IO_BUF];
	struct stat st;
	off_t left;
	ssize_t w;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return;
	for (left = st.st_size; left > 0; left -= w)
		if ((w = write(fd, zeros, left < (off_t)sizeof(zeros) ?
		    (size_t)left : sizeof(zeros))) <= 0)
			return;
}

static void
wipe_dir(int dirfd, int depth)
{
	char **names;
	struct stat st;
	size_t n;
	int fd;

	if (depth > SBX_WALK_DEPTH || list_dir(dirfd, &names, &n, NULL,
	    0) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if ((fd = openat(dirfd, names[i], O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
				wipe_dir(fd, depth + 1);
				close(fd);
			}
			unlinkat(dirfd, names[i], AT_REMOVEDIR);
			continue;
		}
		if (S_ISREG(st.st_mode) && (fd = openat(dirfd, names[i],
		    O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) != -1) {
			zero_file(fd);
			close(fd);
		}
		unlinkat(dirfd, names[i], 0);
	}
	free_names(names, n);
}

void
sbx_tree_wipe(int dirfd)
{
	wipe_dir(dirfd, 0);
}
