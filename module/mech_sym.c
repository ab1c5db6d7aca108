/* mech_sym.c - the symmetric family's rows (kt_mech_family_sym), the helpers
 * its files share, and the import check of secret keys.
 *
 * CK_MECHANISM_INFO key sizes in the units the current-mechanisms
 * specification gives: AES (ciphers, CMAC, key wraps, ENCRYPT_DATA) in
 * bytes, CKM_GENERIC_SECRET_KEY_GEN in bits, HMAC and the KDFs' base keys
 * in bytes, digests 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mech_sym.h"

#define ED (CKF_ENCRYPT | CKF_DECRYPT)
#define WU (CKF_WRAP | CKF_UNWRAP)
#define SV (CKF_SIGN | CKF_VERIFY)
#define MAC_MAX 4096u                    /* bytes of HMAC / KDF base keys */

#define AES(t, f, ops, arg) { (t), 16, 32, (f), CKK_AES, &(ops), (arg), 0 }
#define DIG(t, h) { (t), 0, 0, CKF_DIGEST, KT_KEY_NONE, &kt_sym_digest_ops, (h), 0 }
#define HMAC(t, tg, h) \
	{ (t), 1, MAC_MAX, SV, CKK_GENERIC_SECRET, &kt_sym_mac_ops, (h), 0 }, \
	{ (tg), 1, MAC_MAX, SV, CKK_GENERIC_SECRET, &kt_sym_mac_ops, (h) | SYM_GENERAL, 0 }

static const kt_mech rows[] = {
	AES(CKM_AES_KEY_GEN, CKF_GENERATE, kt_sym_keygen_ops, 0),
	{ CKM_GENERIC_SECRET_KEY_GEN, 8, MAC_MAX * 8, CKF_GENERATE, CKK_GENERIC_SECRET,
	  &kt_sym_keygen_ops, 0, 0 },
	AES(CKM_AES_ECB, ED | WU, kt_sym_aes_ops, KC_AES_ECB),
	AES(CKM_AES_CBC, ED | WU, kt_sym_aes_ops, KC_AES_CBC),
	AES(CKM_AES_CBC_PAD, ED | WU, kt_sym_aes_ops, KC_AES_CBC | SYM_PAD),
	AES(CKM_AES_CTR, ED, kt_sym_aes_ops, KC_AES_CTR),
	AES(CKM_AES_GCM, ED, kt_sym_aes_ops, KC_AES_GCM),
	AES(CKM_AES_CMAC, SV, kt_sym_mac_ops, SYM_CMAC),
	AES(CKM_AES_CMAC_GENERAL, SV, kt_sym_mac_ops, SYM_CMAC | SYM_GENERAL),
	AES(CKM_AES_KEY_WRAP, ED | WU, kt_sym_kw_ops, SYM_KW),
	AES(CKM_AES_KEY_WRAP_PAD, ED | WU, kt_sym_kw_ops, SYM_KW_PKCS7),
	AES(CKM_AES_KEY_WRAP_KWP, ED | WU, kt_sym_kw_ops, SYM_KWP),
	AES(CKM_AES_ECB_ENCRYPT_DATA, CKF_DERIVE, kt_sym_encdata_ops, KC_AES_ECB),
	AES(CKM_AES_CBC_ENCRYPT_DATA, CKF_DERIVE, kt_sym_encdata_ops, KC_AES_CBC),
	DIG(CKM_SHA_1, KC_SHA1),
	DIG(CKM_SHA224, KC_SHA224),
	DIG(CKM_SHA256, KC_SHA256),
	DIG(CKM_SHA384, KC_SHA384),
	DIG(CKM_SHA512, KC_SHA512),
	DIG(CKM_SHA3_224, KC_SHA3_224),
	DIG(CKM_SHA3_256, KC_SHA3_256),
	DIG(CKM_SHA3_384, KC_SHA3_384),
	DIG(CKM_SHA3_512, KC_SHA3_512),
	HMAC(CKM_SHA_1_HMAC, CKM_SHA_1_HMAC_GENERAL, KC_SHA1),
	HMAC(CKM_SHA224_HMAC, CKM_SHA224_HMAC_GENERAL, KC_SHA224),
	HMAC(CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, KC_SHA256),
	HMAC(CKM_SHA384_HMAC, CKM_SHA384_HMAC_GENERAL, KC_SHA384),
	HMAC(CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL, KC_SHA512),
	HMAC(CKM_SHA3_224_HMAC, CKM_SHA3_224_HMAC_GENERAL, KC_SHA3_224),
	HMAC(CKM_SHA3_256_HMAC, CKM_SHA3_256_HMAC_GENERAL, KC_SHA3_256),
	HMAC(CKM_SHA3_384_HMAC, CKM_SHA3_384_HMAC_GENERAL, KC_SHA3_384),
	HMAC(CKM_SHA3_512_HMAC, CKM_SHA3_512_HMAC_GENERAL, KC_SHA3_512),
	{ CKM_HKDF_DERIVE, 1, MAC_MAX, CKF_DERIVE, CKK_GENERIC_SECRET, &kt_sym_hkdf_ops, 0, 0 },
	{ CKM_HKDF_DATA, 1, MAC_MAX, CKF_DERIVE, CKK_GENERIC_SECRET, &kt_sym_hkdf_ops, 0,
	  KT_MX_DERIVE_DATA },
	{ CKM_SP800_108_COUNTER_KDF, 1, MAC_MAX, CKF_DERIVE, KT_KEY_ANY_SECRET,
	  &kt_sym_sp108_ops, 0, 0 },
};

const kt_mech_family kt_mech_family_sym = { rows, sizeof rows / sizeof rows[0] };

/* ---- helpers ---- */

CK_RV kt_sym_value(const kt_attrs *key, size_t min, size_t max, const uint8_t **v, size_t *n)
{
	const kt_attr *a = kt_attrs_find(key, CKA_VALUE);

	*v = NULL;
	*n = 0;
	if (a == NULL || a->len == 0)
		return CKR_GENERAL_ERROR;        /* a secret key always has its value */
	if ((min != 0 && a->len < min) || (max != 0 && a->len > max))
		return CKR_KEY_SIZE_RANGE;
	*v = a->val;
	*n = a->len;
	return CKR_OK;
}

CK_RV kt_sym_rv(int err)
{
	switch (err) {
	case 0:
		return CKR_OK;
	case -ENOMEM:
		return CKR_HOST_MEMORY;
	default:
		kt_debug("kc: %s", strerror(-err));
		return CKR_FUNCTION_FAILED;
	}
}

const void *kt_sym_param(const CK_MECHANISM *p, size_t size)
{
	return p->pParameter != NULL && p->ulParameterLen == size ? p->pParameter : NULL;
}

/* ---- per-object spares ---- */

static void cache_free(void *p)
{
	kt_sym_cache *c = p;
	size_t i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 2; j++)
			kc_cipher_free(atomic_load(&c->aes[i][j]));
	for (i = 0; i < 9; i++)
		kc_md_free(atomic_load(&c->hmac[i]));
	kc_mac_free(atomic_load(&c->cmac));
	free(c);
}

kt_sym_cache *kt_sym_cache_of(kt_keycache *kc)
{
	kt_sym_cache *c;

	if (kc == NULL)
		return NULL;
	c = atomic_load(&kc->p);
	if (c != NULL)
		return kc->free == cache_free ? c : NULL;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;                     /* works without, only slower */
	c = kt_keycache_set(kc, c, cache_free);
	return kc->free == cache_free ? c : NULL;
}

void kt_sym_give_cipher(_Atomic(kc_cipher *) *slot, kc_cipher *c)
{
	kc_cipher *expect = NULL;

	if (c == NULL)
		return;
	if (slot == NULL || !atomic_compare_exchange_strong(slot, &expect, c))
		kc_cipher_free(c);
}

void kt_sym_give_md(_Atomic(kc_md *) *slot, kc_md *md)
{
	kc_md *expect = NULL;

	if (md == NULL)
		return;
	if (slot == NULL || !atomic_compare_exchange_strong(slot, &expect, md))
		kc_md_free(md);
}

int kt_sym_hmac_hash(CK_MECHANISM_TYPE t)
{
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (rows[i].type == t && rows[i].ops == &kt_sym_mac_ops &&
		    (rows[i].arg & 0xff) != SYM_CMAC && !(rows[i].arg & SYM_GENERAL))
			return (int)rows[i].arg;
	return -1;
}

int kt_sym_digest_hash(CK_MECHANISM_TYPE t)
{
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (rows[i].type == t && rows[i].ops == &kt_sym_digest_ops)
			return (int)rows[i].arg;
	return -1;
}

/* ---- import: CKA_VALUE_LEN and CKA_CHECK_VALUE (curr 3.0: AES "the first
 * three bytes of the ECB encryption of a single block of null (0x00) bytes";
 * generic secret and the HMAC / HKDF types "the first three bytes of the
 * SHA-1 hash of the key object's CKA_VALUE") ---- */

static CK_RV check_value(CK_KEY_TYPE t, const uint8_t *v, size_t n, uint8_t out[3])
{
	static const uint8_t zero[16];
	uint8_t buf[KC_HASH_MAX];
	size_t len = sizeof buf;
	int r;

	if (t == CKK_AES)
		r = kc_aes_oneshot(KC_AES_ECB, 1, v, n, NULL, 0, NULL, 0, 0, zero, 16, buf, &len);
	else
		r = kc_digest(KC_SHA1, v, n, buf, &len);
	if (r == 0)
		memcpy(out, buf, 3);
	kt_wipe(buf, sizeof buf);
	return kt_sym_rv(r);
}

CK_RV kt_key_import_sym(kt_attrs *all)
{
	CK_KEY_TYPE t = kt_attrs_ulong(all, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	const kt_attr *v = kt_attrs_find(all, CKA_VALUE), *cv;
	uint8_t kcv[3];
	CK_RV rv;

	if (v == NULL || v->len == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	if (t == CKK_AES && v->len != 16 && v->len != 24 && v->len != 32)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	rv = kt_attrs_put_ulong(all, CKA_VALUE_LEN, v->len);
	if (rv != CKR_OK)
		return rv;
	v = kt_attrs_find(all, CKA_VALUE);   /* put may have moved it */
	rv = check_value(t, v->val, v->len, kcv);
	if (rv != CKR_OK)
		return rv;
	cv = kt_attrs_find(all, CKA_CHECK_VALUE);
	if (cv == NULL)
		return kt_attrs_put(all, CKA_CHECK_VALUE, kcv, sizeof kcv);
	/* given: empty means "none", otherwise it must be the key's */
	if (cv->len != 0 && (cv->len != sizeof kcv || memcmp(cv->val, kcv, sizeof kcv) != 0))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}
