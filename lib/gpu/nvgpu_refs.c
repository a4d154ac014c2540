/*
 * Reference material for GPU verification: RIM documents (parsed and
 * their XML signatures checked once, when added) and saved OCSP
 * responses.  Both are signed by NVIDIA, so where they come from does not
 * matter; only what they say, checked at verification time.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloister/error.h"
#include "nvgpu_int.h"
#include "util.h"

#define PATH_MAX_LEN	4096

/* Generations are unique across every refs object of the process, so a
 * verdict remembered for one can never be taken for another's, even one
 * allocated later at the same address (as DCAP's collateral serials). */
static atomic_uint_fast64_t generations;

static uint64_t
next_generation(void)
{
	return (uint64_t)atomic_fetch_add(&generations, 1) + 1;
}

int
cloister_gpu_refs_new(struct cloister_gpu_refs **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return CLOISTER_ERR_ALLOC;
	(*out)->generation = next_generation();
	return 0;
}

void
cloister_gpu_refs_free(struct cloister_gpu_refs *refs)
{
	if (refs == NULL)
		return;
	for (size_t i = 0; i < refs->nrims; i++)
		rim_free(refs->rims[i].rim);
	for (size_t i = 0; i < refs->nocsp; i++)
		free((void *)refs->ocsp[i].der);
	free(refs);
}

static void
invalidate(struct cloister_gpu_refs *refs)
{
	refs->generation = next_generation();
	for (size_t i = 0; i < refs->nrims; i++)
		refs->rims[i].checked = 0;
}

static int
add_rim(struct cloister_gpu_refs *refs, const uint8_t *xml, size_t len,
    const char *name, char *why, size_t whylen)
{
	struct refs_rim *e;
	struct rim *rim;
	int r;

	if (refs->nrims == REFS_RIMS_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "more than %d RIMs", REFS_RIMS_MAX);
	if ((r = rim_parse(xml, len, &rim, why, whylen)) != 0)
		return r;
	for (size_t i = 0; i < refs->nrims; i++)
		if (memcmp(refs->rims[i].rim->sha256, rim->sha256, 32) == 0) {
			rim_free(rim);	/* the same document twice */
			return 0;
		}
	e = &refs->rims[refs->nrims++];
	memset(e, 0, sizeof(*e));
	e->rim = rim;
	snprintf(e->name, sizeof(e->name), "%s", name != NULL ? name : "");
	invalidate(refs);
	return 0;
}

int
cloister_gpu_refs_add_rim(struct cloister_gpu_refs *refs, const uint8_t *xml,
    size_t len, char *why, size_t whylen)
{
	return add_rim(refs, xml, len, NULL, why, whylen);
}

int
cloister_gpu_refs_add_ocsp(struct cloister_gpu_refs *refs, const uint8_t *der,
    size_t len, char *why, size_t whylen)
{
	uint8_t *copy;

	if (refs->nocsp == REFS_OCSP_MAX)
		return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
		    "more than %d OCSP responses", REFS_OCSP_MAX);
	if (len == 0 || len > REFS_OCSP_LEN_MAX)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "an OCSP response of %zu bytes", len);
	for (size_t i = 0; i < refs->nocsp; i++)
		if (refs->ocsp[i].len == len &&
		    memcmp(refs->ocsp[i].der, der, len) == 0)
			return 0;
	if ((copy = malloc(len)) == NULL)
		return CLOISTER_ERR_ALLOC;
	memcpy(copy, der, len);
	refs->ocsp[refs->nocsp].der = copy;
	refs->ocsp[refs->nocsp++].len = len;
	invalidate(refs);
	return 0;
}

/* "NV_GPU_DRIVER_GH100_550.90.07.xml" names the RIM ..._550.90.07. */
static void
file_stem(const char *file, char *out, size_t outlen)
{
	const char *dot = strrchr(file, '.');
	size_t n = dot != NULL ? (size_t)(dot - file) : strlen(file);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, file, n);
	out[n] = '\0';
}

static int
load_file(struct cloister_gpu_refs *refs, const char *dir, const char *file,
    char *why, size_t whylen)
{
	char path[PATH_MAX_LEN], stem[RIM_ID_MAX];
	uint8_t *buf = NULL;
	size_t len, i = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((r = util_read_file(path, RIM_XML_MAX, &buf, &len)) != 0)
		return util_fail(r, why, whylen, "%s: cannot read", path);
	while (i < len && (buf[i] == ' ' || buf[i] == '\n' ||
	    buf[i] == '\r' || buf[i] == '\t'))
		i++;
	file_stem(file, stem, sizeof(stem));
	if (i < len && buf[i] == '<')
		r = add_rim(refs, buf, len, stem, why, whylen);
	else
		r = cloister_gpu_refs_add_ocsp(refs, buf, len, why, whylen);
	free(buf);
	if (r != 0 && why != NULL) {
		char inner[X509_WHY_MAX];

		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, whylen, "%s: %s", path, inner);
	}
	return r;
}

int
cloister_gpu_refs_load_dir(struct cloister_gpu_refs *refs, const char *dir,
    char *why, size_t whylen)
{
	struct dirent **names = NULL;
	int n, r = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
		return util_fail(CLOISTER_ERR_IO, why, whylen,
		    "%s: cannot list the directory", dir);
	for (int i = 0; i < n; i++) {
		if (r == 0 && names[i]->d_name[0] != '.' &&
		    (names[i]->d_type == DT_REG ||
		    names[i]->d_type == DT_UNKNOWN))
			r = load_file(refs, dir, names[i]->d_name, why, whylen);
		free(names[i]);
	}
	free(names);
	return r;
}
