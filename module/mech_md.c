/* mech_md.c - digests (SHA-1, SHA-2, SHA-3), HMAC and AES-CMAC with their
 * _GENERAL variants, on kc_md / kc_mac.
 *
 * Prepared objects are reused: an HMAC / CMAC object stays keyed on its key
 * object (kt_sym_cache), a digest object waits in a per-algorithm spare slot
 * (process-wide, lock-free; dropped in a forked child, whose kernel sockets
 * would be shared with the parent). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "mech_sym.h"

/* ---- digests ---- */

typedef struct {
	kt_crypt c;
	kc_md *md;
	kc_hash_alg alg;
	bool busy;                       /* a message is under way in md */
} dig_op;

static struct {
	_Atomic(kc_md *) md[9];
	_Atomic pid_t pid;               /* the process the spares belong to */
} spare;

static _Atomic(kc_md *) *spare_slot(kc_hash_alg alg)
{
	pid_t now = kt_gl.pid, was = atomic_load(&spare.pid);
	size_t i;

	if (was != now) {                /* a forked child: the parent's are not ours */
		for (i = 0; i < 9; i++)
			kc_md_free(atomic_exchange(&spare.md[i], NULL));
		atomic_compare_exchange_strong(&spare.pid, &was, now);
	}
	return &spare.md[alg];
}

/* Leave md at the start of a new message (kc_md_final restarts it). */
static void md_reset(kc_md *md)
{
	uint8_t buf[KC_HASH_MAX];
	size_t n = sizeof buf;

	(void)kc_md_final(md, buf, &n);
	kt_wipe(buf, sizeof buf);
}

static void dig_free(kt_op *op)
{
	dig_op *d = (dig_op *)op;

	if (d->md != NULL && d->busy)
		md_reset(d->md);
	kt_sym_give_md(spare_slot(d->alg), d->md);
	free(d);
}

static CK_RV dig_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                      kt_keycache *cache, int kind, kt_crypt **out)
{
	dig_op *d;
	CK_RV rv = CKR_OK;

	(void)key; (void)cache; (void)kind;
	if (p->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	d = calloc(1, sizeof *d);
	if (d == NULL)
		return CKR_HOST_MEMORY;
	d->c.op.free = dig_free;
	d->alg = (kc_hash_alg)m->arg;
	d->md = KT_SYM_TAKE(spare_slot(d->alg));
	if (d->md == NULL)
		rv = kt_sym_rv(kc_md_new(&d->md, d->alg, NULL, 0));
	if (rv != CKR_OK) {
		dig_free(&d->c.op);
		return rv;
	}
	*out = &d->c;
	return CKR_OK;
}

static CK_ULONG dig_out_len(const kt_crypt *c, CK_ULONG n, bool final)
{
	(void)n;
	return final ? kc_hash_len(((const dig_op *)c)->alg) : 0;
}

static CK_RV dig_update(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	dig_op *d = (dig_op *)c;

	(void)out; (void)outlen;
	d->busy = true;
	return kt_sym_rv(kc_md_update(d->md, in, n));
}

static CK_RV dig_final(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen)
{
	dig_op *d = (dig_op *)c;
	size_t n = *outlen;
	int r = kc_md_final(d->md, out, &n);

	d->busy = false;
	*outlen = r == 0 ? n : 0;
	return kt_sym_rv(r);
}

static CK_RV dig_oneshot(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	CK_RV rv = dig_update(c, in, n, NULL, NULL);

	return rv == CKR_OK ? dig_final(c, out, outlen) : rv;
}

static CK_RV dig_key(kt_crypt *c, const kt_attrs *key)
{
	const uint8_t *v;
	size_t n;
	CK_RV rv = kt_sym_value(key, 0, 0, &v, &n);

	if (rv != CKR_OK)
		return CKR_KEY_INDIGESTIBLE;
	return dig_update(c, v, n, NULL, NULL);
}

const kt_mech_ops kt_sym_digest_ops = {
	.init = dig_init,
	.out_len = dig_out_len,
	.oneshot = dig_oneshot,
	.update = dig_update,
	.final = dig_final,
	.digest_key = dig_key,
};

/* ---- HMAC and CMAC ---- */

typedef struct {
	kt_crypt c;
	kc_md *md;                       /* a kc_mac for CMAC: the same type */
	_Atomic(kc_md *) *home;
	size_t full, len;                /* the MAC, and what PKCS #11 returns of it */
	bool busy;
} mac_op;

static const CK_KEY_TYPE hmac_key_type[9] = {
	CKK_SHA_1_HMAC, CKK_SHA224_HMAC, CKK_SHA256_HMAC, CKK_SHA384_HMAC, CKK_SHA512_HMAC,
	CKK_SHA3_224_HMAC, CKK_SHA3_256_HMAC, CKK_SHA3_384_HMAC, CKK_SHA3_512_HMAC,
};

static void mac_free(kt_op *op)
{
	mac_op *a = (mac_op *)op;

	if (a->md != NULL && a->busy)
		md_reset(a->md);
	kt_sym_give_md(a->home, a->md);
	free(a);
}

static CK_RV mac_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                      kt_keycache *cache, int kind, kt_crypt **out)
{
	unsigned hash = m->arg & 0xff;
	bool cmac = hash == SYM_CMAC;
	CK_KEY_TYPE kt = kt_attrs_ulong(key, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	const CK_MAC_GENERAL_PARAMS *gp = NULL;
	kt_sym_cache *sc;
	const uint8_t *v;
	size_t n, full;
	mac_op *a;
	CK_RV rv;

	(void)kind;
	/* HMAC: a generic secret or this hash's own HMAC key type (curr 3.0) */
	if (!cmac && kt != CKK_GENERIC_SECRET && kt != hmac_key_type[hash])
		return CKR_KEY_TYPE_INCONSISTENT;
	full = cmac ? 16 : kc_hash_len((kc_hash_alg)hash);
	if (m->arg & SYM_GENERAL) {
		gp = kt_sym_param(p, sizeof *gp);
		if (gp == NULL || *gp == 0 || *gp > full)
			return CKR_MECHANISM_PARAM_INVALID;
	} else if (p->ulParameterLen != 0) {
		return CKR_MECHANISM_PARAM_INVALID;
	}
	rv = kt_sym_value(key, m->min_key, m->max_key, &v, &n);
	if (rv != CKR_OK)
		return rv;
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return CKR_HOST_MEMORY;
	a->c.op.free = mac_free;
	a->c.key_len = n;
	a->full = full;
	a->len = gp != NULL ? *gp : full;
	sc = kt_sym_cache_of(cache);
	a->home = sc == NULL ? NULL : cmac ? &sc->cmac : &sc->hmac[hash];
	a->md = KT_SYM_TAKE(a->home);
	if (a->md == NULL)
		rv = kt_sym_rv(cmac ? kc_mac_new(&a->md, v, n) : kc_md_new(&a->md, (kc_hash_alg)hash, v, n));
	if (rv != CKR_OK) {
		mac_free(&a->c.op);
		return rv;
	}
	*out = &a->c;
	return CKR_OK;
}

static CK_ULONG mac_out_len(const kt_crypt *c, CK_ULONG n, bool final)
{
	(void)n;
	return final ? ((const mac_op *)c)->len : 0;
}

static CK_RV mac_update(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	mac_op *a = (mac_op *)c;

	(void)out; (void)outlen;
	a->busy = true;
	return kt_sym_rv(kc_md_update(a->md, in, n));
}

/* The whole MAC into mac[] (KC_HASH_MAX bytes). */
static CK_RV mac_compute(mac_op *a, uint8_t *mac)
{
	size_t n = KC_HASH_MAX;
	int r = kc_md_final(a->md, mac, &n);

	a->busy = false;
	return kt_sym_rv(r);
}

static CK_RV mac_final(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen)
{
	mac_op *a = (mac_op *)c;
	uint8_t mac[KC_HASH_MAX];
	CK_RV rv = mac_compute(a, mac);

	if (rv == CKR_OK) {
		memcpy(out, mac, a->len);
		*outlen = a->len;
	}
	kt_wipe(mac, sizeof mac);
	return rv;
}

static CK_RV mac_oneshot(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	CK_RV rv = mac_update(c, in, n, NULL, NULL);

	return rv == CKR_OK ? mac_final(c, out, outlen) : rv;
}

static CK_RV mac_verify_final(kt_crypt *c, const CK_BYTE *sig, CK_ULONG siglen)
{
	mac_op *a = (mac_op *)c;
	uint8_t mac[KC_HASH_MAX];
	CK_RV rv;

	if (siglen != a->len)
		return CKR_SIGNATURE_LEN_RANGE;
	rv = mac_compute(a, mac);
	if (rv == CKR_OK && CRYPTO_memcmp(mac, sig, a->len) != 0)
		rv = CKR_SIGNATURE_INVALID;
	kt_wipe(mac, sizeof mac);
	return rv;
}

static CK_RV mac_verify(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, const CK_BYTE *sig, CK_ULONG siglen)
{
	mac_op *a = (mac_op *)c;
	CK_RV rv;

	if (siglen != a->len)
		return CKR_SIGNATURE_LEN_RANGE;
	rv = mac_update(c, in, n, NULL, NULL);
	return rv == CKR_OK ? mac_verify_final(c, sig, siglen) : rv;
}

const kt_mech_ops kt_sym_mac_ops = {
	.init = mac_init,
	.out_len = mac_out_len,
	.oneshot = mac_oneshot,
	.update = mac_update,
	.final = mac_final,
	.verify = mac_verify,
	.verify_final = mac_verify_final,
};
