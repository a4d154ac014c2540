/*
 * SPDM 1.1 GET_MEASUREMENTS transcript parser (see spdm.h).  Layout: DMTF
 * DSP0274 1.1 §10.11 and NVIDIA's opaque data TLVs.
 */
#include <stdio.h>
#include <string.h>

#include "cloister/error.h"
#include "reader.h"
#include "spdm.h"
#include "util.h"

#define DMTF_HEADER_LEN	3	/* value type u8 + value size u16 */

static int
parse_request(struct reader *r, struct spdm_measurements *m, char *why,
    size_t whylen)
{
	uint8_t ver, code, p1, p2;

	if (reader_u8(r, &ver) != 0 || reader_u8(r, &code) != 0 ||
	    reader_u8(r, &p1) != 0 || reader_u8(r, &p2) != 0 ||
	    reader_bytes(r, SPDM_NONCE_LEN, &m->nonce) != 0 ||
	    reader_u8(r, &m->slot) != 0)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "request: shorter than %d bytes", SPDM_REQUEST_LEN);
	if (ver != SPDM_VERSION_11)
		return util_fail(CLOISTER_ERR_BAD_VERSION, why, whylen,
		    "request: SPDM version 0x%02x (supported: 0x11)", ver);
	if (code != SPDM_GET_MEASUREMENTS)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "request: code 0x%02x is not GET_MEASUREMENTS", code);
	/* Param1 bit 0: signature requested; Param2 0xff: every block. */
	if (!(p1 & 0x01) || p2 != 0xff)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "request: does not ask for a signature over all blocks "
		    "(param1 0x%02x, param2 0x%02x)", p1, p2);
	return 0;
}

static int
parse_blocks(struct reader *rec, size_t count, struct spdm_measurements *m,
    char *why, size_t whylen)
{
	struct reader blk;
	uint8_t spec;
	uint16_t size, vsize;
	int last = 0;

	while (reader_left(rec) > 0) {
		struct spdm_block *b;

		if (m->nblocks == SPDM_BLOCKS_MAX)
			return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
			    "measurements: more than %d blocks",
			    SPDM_BLOCKS_MAX);
		b = &m->blocks[m->nblocks];
		if (reader_u8(rec, &b->index) != 0 ||
		    reader_u8(rec, &spec) != 0 ||
		    reader_u16le(rec, &size) != 0 ||
		    reader_sub(rec, size, &blk) != 0)
			return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
			    "measurement block %zu: truncated", m->nblocks + 1);
		if (b->index == 0 || b->index <= last)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "measurement block index %u out of order",
			    b->index);
		if (spec != SPDM_SPEC_DMTF)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "measurement block %u: specification 0x%02x is not "
			    "DMTF", b->index, spec);
		if (reader_u8(&blk, &b->value_type) != 0 ||
		    reader_u16le(&blk, &vsize) != 0 ||
		    (size_t)vsize + DMTF_HEADER_LEN != size ||
		    reader_bytes(&blk, vsize, &b->value) != 0)
			return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
			    "measurement block %u: value size does not match "
			    "block size %u", b->index, size);
		b->len = vsize;
		last = b->index;
		m->nblocks++;
	}
	if (m->nblocks != count)
		return util_fail(CLOISTER_ERR_BAD_LENGTH, why, whylen,
		    "measurements: %zu blocks present, %zu announced",
		    m->nblocks, count);
	return 0;
}

static int
parse_opaque(struct reader *op, struct spdm_measurements *m, char *why,
    size_t whylen)
{
	while (reader_left(op) > 0) {
		struct spdm_field *f;

		if (m->nfields == SPDM_OPAQUE_FIELDS_MAX)
			return util_fail(CLOISTER_ERR_TOO_LARGE, why, whylen,
			    "opaque data: more than %d fields",
			    SPDM_OPAQUE_FIELDS_MAX);
		f = &m->fields[m->nfields];
		if (reader_u16le(op, &f->type) != 0 ||
		    reader_u16le(op, &f->len) != 0 ||
		    reader_bytes(op, f->len, &f->value) != 0)
			return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
			    "opaque data: field %zu truncated", m->nfields + 1);
		if (spdm_field(m, f->type) != NULL)
			return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
			    "opaque data: type %u appears twice", f->type);
		m->nfields++;
	}
	return 0;
}

static int
parse_response(struct reader *r, struct spdm_measurements *m, char *why,
    size_t whylen)
{
	struct reader rec, op;
	uint8_t ver, code, p1, p2, count, l[3];
	uint32_t rec_len;
	int rc;

	if (reader_u8(r, &ver) != 0 || reader_u8(r, &code) != 0 ||
	    reader_u8(r, &p1) != 0 || reader_u8(r, &p2) != 0 ||
	    reader_u8(r, &count) != 0 || reader_copy(r, l, 3) != 0)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "response: header truncated");
	if (ver != SPDM_VERSION_11 || code != SPDM_MEASUREMENTS)
		return util_fail(CLOISTER_ERR_BAD_FIELD, why, whylen,
		    "response: version 0x%02x code 0x%02x is not an SPDM 1.1 "
		    "MEASUREMENTS response", ver, code);
	rec_len = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16;
	if (reader_sub(r, rec_len, &rec) != 0)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "response: measurement record of %u bytes truncated",
		    rec_len);
	if ((rc = parse_blocks(&rec, count, m, why, whylen)) != 0)
		return rc;
	if (reader_bytes(r, SPDM_NONCE_LEN, &m->responder_nonce) != 0 ||
	    reader_u16le(r, &m->opaque_len) != 0 ||
	    reader_sub(r, m->opaque_len, &op) != 0)
		return util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "response: nonce or opaque data truncated");
	return parse_opaque(&op, m, why, whylen);
}

int
spdm_parse(const uint8_t *buf, size_t len, struct spdm_measurements *m,
    char *why, size_t whylen)
{
	struct reader r;
	int rc;

	memset(m, 0, sizeof(*m));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	reader_init(&r, buf, len);
	if ((rc = parse_request(&r, m, why, whylen)) != 0 ||
	    (rc = parse_response(&r, m, why, whylen)) != 0)
		goto bad;
	m->signed_len = reader_offset(&r);
	if (reader_bytes(&r, SPDM_SIG_P384_LEN, &m->signature) != 0) {
		rc = util_fail(CLOISTER_ERR_TRUNCATED, why, whylen,
		    "signature: %d bytes expected after the opaque data",
		    SPDM_SIG_P384_LEN);
		goto bad;
	}
	if (reader_left(&r) != 0) {
		rc = util_fail(CLOISTER_ERR_TRAILING_DATA, why, whylen,
		    "%zu bytes after the signature", reader_left(&r));
		goto bad;
	}
	m->raw = buf;
	m->len = len;
	return 0;
 bad:
	memset(m, 0, sizeof(*m));
	return rc;
}

const struct spdm_field *
spdm_field(const struct spdm_measurements *m, uint16_t type)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (m->fields[i].type == type)
			return &m->fields[i];
	return NULL;
}

const struct spdm_block *
spdm_block(const struct spdm_measurements *m, uint8_t index)
{
	for (size_t i = 0; i < m->nblocks; i++)
		if (m->blocks[i].index == index)
			return &m->blocks[i];
	return NULL;
}

/* A NUL-padded ASCII field up to its first NUL, all of it in `allowed`. */
static int
ascii_field(const struct spdm_measurements *m, uint16_t type,
    const char *allowed, char *out, size_t cap)
{
	const struct spdm_field *f = spdm_field(m, type);
	size_t n = 0;

	out[0] = '\0';
	if (f == NULL)
		return CLOISTER_ERR_BAD_FIELD;
	while (n < f->len && f->value[n] != '\0')
		n++;
	if (n == 0 || n >= cap)
		return CLOISTER_ERR_BAD_FIELD;
	for (size_t i = 0; i < n; i++)
		if (strchr(allowed, f->value[i]) == NULL)
			return CLOISTER_ERR_BAD_FIELD;
	/* Only NULs may follow. */
	for (size_t i = n; i < f->len; i++)
		if (f->value[i] != '\0')
			return CLOISTER_ERR_BAD_FIELD;
	memcpy(out, f->value, n);
	out[n] = '\0';
	return 0;
}

#define ALNUM "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

int
spdm_nv_driver_version(const struct spdm_measurements *m,
    char out[SPDM_NV_VERSION_MAX])
{
	return ascii_field(m, SPDM_NV_DRIVER_VERSION, "0123456789.", out,
	    SPDM_NV_VERSION_MAX);
}

int
spdm_nv_vbios_version(const struct spdm_measurements *m,
    char out[SPDM_NV_VERSION_MAX])
{
	const struct spdm_field *f = spdm_field(m, SPDM_NV_VBIOS_VERSION);
	uint8_t v[8];

	out[0] = '\0';
	if (f == NULL || f->len != sizeof(v))
		return CLOISTER_ERR_BAD_FIELD;
	/* Little-endian u64 0x0000000196009f00 (raw 00 9f 00 96 01 00 00 00)
	 * reads 96.00.9F.00.01: bytes 3, 2, 1, 0 of the low word, then
	 * byte 4. */
	for (size_t i = 0; i < 8; i++)
		v[i] = f->value[7 - i];
	snprintf(out, SPDM_NV_VERSION_MAX, "%02X.%02X.%02X.%02X.%02X", v[4],
	    v[5], v[6], v[7], v[3]);
	return 0;
}

int
spdm_nv_rim_ids(const struct spdm_measurements *m, enum spdm_nv_arch arch,
    char driver[SPDM_NV_RIM_ID_MAX], char vbios[SPDM_NV_RIM_ID_MAX])
{
	char ver[SPDM_NV_VERSION_MAX], bios[SPDM_NV_VERSION_MAX], nodots[16];
	char chip[32] = "GB100", project[16], psku[16], csku[16];
	size_t k = 0;
	int rc;

	driver[0] = vbios[0] = '\0';
	if ((rc = spdm_nv_driver_version(m, ver)) != 0 ||
	    (rc = spdm_nv_vbios_version(m, bios)) != 0 ||
	    (rc = ascii_field(m, SPDM_NV_PROJECT, ALNUM, project,
	    sizeof(project))) != 0 ||
	    (rc = ascii_field(m, SPDM_NV_PROJECT_SKU, ALNUM, psku,
	    sizeof(psku))) != 0 ||
	    (rc = ascii_field(m, SPDM_NV_CHIP_SKU, ALNUM, csku,
	    sizeof(csku))) != 0)
		return rc;
	for (const char *p = bios; *p != '\0' && k + 1 < sizeof(nodots); p++)
		if (*p != '.')
			nodots[k++] = *p;
	nodots[k] = '\0';
	if (arch == SPDM_NV_HOPPER) {
		snprintf(driver, SPDM_NV_RIM_ID_MAX, "NV_GPU_DRIVER_GH100_%s",
		    ver);
	} else if (arch == SPDM_NV_BLACKWELL) {
		if (spdm_field(m, SPDM_NV_CHIP_INFO) != NULL &&
		    (rc = ascii_field(m, SPDM_NV_CHIP_INFO, ALNUM, chip,
		    sizeof(chip))) != 0)
			return rc;
		snprintf(driver, SPDM_NV_RIM_ID_MAX, "NV_GPU_CC_DRIVER_%s_%s",
		    chip, ver);
	} else {
		return CLOISTER_ERR_INVALID_ARG;
	}
	snprintf(vbios, SPDM_NV_RIM_ID_MAX, "NV_GPU_VBIOS_%s_%s_%s_%s",
	    project, psku, csku, nodots);
	return 0;
}
