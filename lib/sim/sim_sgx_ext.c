/*
 * The Intel SGX extension of simulated PCK certificates, encoded as DER
 * by hand in Intel's layout (sim_pki_int.h): PPID, the 18 TCB entries,
 * PCE-ID, FMSPC, SGX type, and the platform instance and configuration
 * of Platform CA leaves.  The mirror of lib/tdx/pck_ext.c, which decodes
 * it; apart from sim_pki.c because it is plain byte writing, no OpenSSL.
 */
#include <string.h>

#include "cloister/error.h"
#include "sim_pki_int.h"

/* ---- DER for the SGX extension ------------------------------------- */

static void
der_put(struct sim_der *d, const void *p, size_t n)
{
	if (d->err || n > sizeof(d->b) - d->n) {
		d->err = 1;
		return;
	}
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static void
der_tlv(struct sim_der *d, uint8_t tag, const uint8_t *v, size_t n)
{
	uint8_t h[4] = { tag };
	size_t hl = 2;

	if (n < 0x80) {
		h[1] = (uint8_t)n;
	} else if (n <= 0xff) {
		h[1] = 0x81;
		h[2] = (uint8_t)n;
		hl = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	}
	der_put(d, h, hl);
	der_put(d, v, n);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.arc[.sub], <tag> value }. */
static void
der_entry(struct sim_der *d, uint8_t arc, uint8_t sub, uint8_t tag,
    const uint8_t *v, size_t n)
{
	static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d,
	    0x01, 0x0d, 0x01 };
	uint8_t oid[sizeof(base) + 2];
	size_t on = sizeof(base);
	struct sim_der e = { .n = 0 };

	memcpy(oid, base, sizeof(base));
	oid[on++] = arc;
	if (sub != 0)
		oid[on++] = sub;
	der_tlv(&e, 0x06, oid, on);
	der_tlv(&e, tag, v, n);
	if (e.err)
		d->err = 1;
	der_tlv(d, 0x30, e.b, e.n);
}

/* An unsigned INTEGER entry, minimal two's complement. */
static void
der_uint_entry(struct sim_der *d, uint8_t arc, uint8_t sub, unsigned v)
{
	uint8_t b[3];
	size_t n = 0;

	if (v > 0xff)
		b[n++] = (uint8_t)(v >> 8);
	b[n++] = (uint8_t)v;
	if (b[0] & 0x80) {
		memmove(b + 1, b, n);
		b[0] = 0;
		n++;
	}
	der_entry(d, arc, sub, 0x02, b, n);
}

#define SGX_ARC_PPID		1
#define SGX_ARC_TCB		2
#define SGX_ARC_PCEID		3
#define SGX_ARC_FMSPC		4
#define SGX_ARC_TYPE		5
#define SGX_ARC_INSTANCE	6
#define SGX_ARC_CONFIG		7
#define SGX_TCB_PCESVN		17
#define SGX_TCB_CPUSVN		18

int
sim_sgx_ext_der(const struct sim_pck_info *in, enum sim_pck_ca kind,
    struct sim_der *out)
{
	static const uint8_t yes = 0xff;
	struct sim_der tcb = { .n = 0 }, cfg = { .n = 0 }, all = { .n = 0 };
	uint8_t type = in->sgx_type;

	for (uint8_t i = 0; i < 16; i++)
		der_uint_entry(&tcb, SGX_ARC_TCB, i + 1, in->comp_svn[i]);
	der_uint_entry(&tcb, SGX_ARC_TCB, SGX_TCB_PCESVN, in->pcesvn);
	der_entry(&tcb, SGX_ARC_TCB, SGX_TCB_CPUSVN, 0x04, in->cpusvn, 16);

	der_entry(&all, SGX_ARC_PPID, 0, 0x04, in->ppid, 16);
	der_entry(&all, SGX_ARC_TCB, 0, 0x30, tcb.b, tcb.n);
	der_entry(&all, SGX_ARC_PCEID, 0, 0x04, in->pceid, 2);
	der_entry(&all, SGX_ARC_FMSPC, 0, 0x04, in->fmspc, 6);
	der_entry(&all, SGX_ARC_TYPE, 0, 0x0a, &type, 1);
	if (kind == SIM_PCK_PLATFORM) {
		/* Platform CA leaves also carry the platform instance and
		 * its configuration (dynamic platform, cached keys, SMT). */
		for (uint8_t i = 1; i <= 3; i++)
			der_entry(&cfg, SGX_ARC_CONFIG, i, 0x01, &yes, 1);
		der_entry(&all, SGX_ARC_INSTANCE, 0, 0x04,
		    in->platform_instance, 16);
		der_entry(&all, SGX_ARC_CONFIG, 0, 0x30, cfg.b, cfg.n);
	}
	der_tlv(out, 0x30, all.b, all.n);
	return tcb.err || cfg.err || all.err || out->err ?
	    CLOISTER_ERR_TOO_LARGE : 0;
}
