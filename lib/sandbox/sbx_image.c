/*
 * The image digest: SHA-256 over "cloister-image/1\0" and the canonical
 * record stream of the tree (sbx_tree.c).  Owners and times are left
 * out, so the same tree unpacked anywhere hashes the same; devices,
 * fifos and sockets make the image invalid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cloister/error.h"
#include "crypto.h"
#include "sbx_int.h"
#include "util.h"

#define IMAGE_DOMAIN	"cloister-image/1"

int	sbx_tree_emit(const struct sbx_entry *e,
	    int (*put)(void *, const void *, size_t), void *arg, char *why,
	    size_t whylen);

static int
put_hash(void *arg, const void *p, size_t n)
{
	return crypto_sha256_add(arg, p, n) == 0 ? 0 : -1;
}

static int
hash_one(void *arg, const struct sbx_entry *e, char *why, size_t whylen)
{
	return sbx_tree_emit(e, put_hash, arg, why, whylen);
}

int
sbx_image_digest(const char *path, char out[SBX_DIGEST_STR], char *why,
    size_t whylen)
{
	struct sha256_ctx *c = NULL;
	uint8_t d[CRYPTO_SHA256_LEN];
	int fd = -1, r = CLOISTER_ERR_INTERNAL;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		r = util_fail(CLOISTER_ERR_IO, why, whylen, "image %s: %s",
		    path, strerror(errno));
		goto out;
	}
	if ((r = crypto_sha256_begin(&c)) != 0 ||
	    (r = crypto_sha256_add(c, IMAGE_DOMAIN, sizeof(IMAGE_DOMAIN))) != 0)
		goto out;
	if ((r = sbx_walk(fd, 1, hash_one, c, why, whylen)) != 0)
		goto out;
	r = crypto_sha256_end(c, d);
	c = NULL;
	if (r != 0)
		goto out;
	memcpy(out, "sha256:", 7);
	util_hex_encode(d, sizeof(d), out + 7);
	r = 0;
out:
	crypto_sha256_abort(c);
	if (fd != -1)
		close(fd);
	return r;
}

int
sbx_fail(char *why, size_t whylen, const char *step, int err)
{
	return util_fail(CLOISTER_ERR_IO, why, whylen, "%s: %s", step,
	    strerror(err));
}

int
sbx_write_file(const char *path, const char *text)
{
	size_t n = strlen(text);
	ssize_t w;
	int fd, e;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	w = write(fd, text, n);
	e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)n ? 0 : -1;
}
