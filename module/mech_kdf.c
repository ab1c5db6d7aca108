/* mech_kdf.c - key derivation: CKM_AES_ECB_ENCRYPT_DATA /
 * CKM_AES_CBC_ENCRYPT_DATA, HKDF (RFC 5869: CKM_HKDF_DERIVE, CKM_HKDF_DATA)
 * and the SP 800-108 counter-mode KDF (CKM_SP800_108_COUNTER_KDF) with an
 * HMAC or AES-CMAC PRF, on kc's HMAC / CMAC.
 *
 * Length of a derived key: the template's CKA_VALUE_LEN (for CKM_HKDF_DATA
 * the plumbing passes it the same way); without one, what the mechanism
 * yields by itself (ENCRYPT_DATA: the data; HKDF extract only: the hash).
 * The plumbing then sets CKA_VALUE_LEN / CKA_CHECK_VALUE and checks the
 * length against the key type. */
#include <stdlib.h>
#include <string.h>
#include "mech_sym.h"

/* The length asked of keys[i]: CKA_VALUE_LEN, else dflt (0: required). */
static CK_RV want_len(const kt_attrs *key, size_t dflt, size_t *n)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);

	if (cls != CKO_SECRET_KEY && cls != CKO_DATA)
		return CKR_TEMPLATE_INCONSISTENT;    /* these make secrets only */
	*n = kt_attrs_ulong(key, CKA_VALUE_LEN, dflt);
	if (*n == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	return CKR_OK;
}

/* ---- CKM_AES_ECB_ENCRYPT_DATA / CKM_AES_CBC_ENCRYPT_DATA (curr 2.16) ---- */

static CK_RV encdata_derive(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *base,
                            kt_attrs *key)
{
	kc_mode mode = (kc_mode)m->arg;
	const CK_KEY_DERIVATION_STRING_DATA *e = NULL;
	const CK_AES_CBC_ENCRYPT_DATA_PARAMS *c = NULL;
	const uint8_t *data, *v, *iv = NULL;
	size_t dn, kn, w, want;
	uint8_t *buf;
	CK_RV rv;

	if (mode == KC_AES_ECB) {
		e = kt_sym_param(p, sizeof *e);
		if (e == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
		data = e->pData;
		dn = e->ulLen;
	} else {
		c = kt_sym_param(p, sizeof *c);
		if (c == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
		data = c->pData;
		dn = c->length;
		iv = c->iv;
	}
	if (data == NULL || dn == 0 || dn % 16 != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	rv = kt_sym_value(base, m->min_key, m->max_key, &v, &kn);
	if (rv == CKR_OK)
		rv = want_len(key, dn, &want);
	if (rv == CKR_OK && want > dn)
		rv = CKR_KEY_SIZE_RANGE;
	if (rv != CKR_OK)
		return rv;
	buf = kt_secret_alloc(dn);
	if (buf == NULL)
		return CKR_HOST_MEMORY;
	w = dn;
	rv = kt_sym_rv(kc_aes_oneshot(mode, 1, v, kn, iv, iv ? 16 : 0, NULL, 0, 0, data, dn, buf, &w));
	if (rv == CKR_OK)
		rv = kt_attrs_put(key, CKA_VALUE, buf, want);
	kt_secret_free(buf, dn);
	return rv;
}

const kt_mech_ops kt_sym_encdata_ops = {
	.derive = encdata_derive,
};

/* ---- HKDF (curr 3.0 2.42; RFC 5869) ---- */

static CK_RV hkdf_hash(CK_MECHANISM_TYPE t, kc_hash_alg *h)
{
	int a = kt_sym_digest_hash(t);

	if (a < 0)
		a = kt_sym_hmac_hash(t);     /* tolerated: the HMAC of the hash */
	if (a < 0)
		return CKR_MECHANISM_PARAM_INVALID;
	*h = (kc_hash_alg)a;
	return CKR_OK;
}

/* The salt of the extract step: NULL (hashlen zero bytes), data, or the
 * CKA_VALUE of another secret key.  *owned holds what must be wiped. */
static CK_RV hkdf_salt(const CK_HKDF_PARAMS *hp, size_t hlen, const kt_keyopen *ko,
                       uint8_t **owned, size_t *n)
{
	kt_attrs sk;
	const uint8_t *v;
	size_t vn;
	CK_RV rv;

	*owned = NULL;
	*n = 0;
	switch (hp->ulSaltType) {
	case CKF_HKDF_SALT_NULL:
		if (hp->pSalt != NULL || hp->ulSaltLen != 0)
			return CKR_MECHANISM_PARAM_INVALID;
		*owned = kt_secret_alloc(hlen);  /* zeroed */
		*n = hlen;
		break;
	case CKF_HKDF_SALT_DATA:
		if (hp->pSalt == NULL || hp->ulSaltLen == 0)
			return CKR_MECHANISM_PARAM_INVALID;
		*owned = kt_secret_alloc(hp->ulSaltLen);
		if (*owned != NULL)
			memcpy(*owned, hp->pSalt, hp->ulSaltLen);
		*n = hp->ulSaltLen;
		break;
	case CKF_HKDF_SALT_KEY:
		rv = ko->open(ko, hp->hSaltKey, &sk);
		if (rv != CKR_OK)
			return rv;
		if (kt_attrs_ulong(&sk, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_SECRET_KEY)
			rv = CKR_KEY_TYPE_INCONSISTENT;
		else
			rv = kt_sym_value(&sk, 0, 0, &v, &vn);
		if (rv == CKR_OK) {
			*owned = kt_secret_alloc(vn);
			if (*owned != NULL)
				memcpy(*owned, v, vn);
			*n = vn;
		}
		kt_attrs_free(&sk);
		if (rv != CKR_OK)
			return rv;
		break;
	default:
		return CKR_MECHANISM_PARAM_INVALID;
	}
	return *owned != NULL ? CKR_OK : CKR_HOST_MEMORY;
}

/* RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i), i = 1..ceil(L/hlen). */
static CK_RV hkdf_expand(kc_hash_alg h, const uint8_t *prk, size_t pn, const uint8_t *info,
                         size_t in, uint8_t *out, size_t L)
{
	uint8_t t[KC_HASH_MAX], ctr;
	size_t hlen = kc_hash_len(h), tn = 0, done = 0, w;
	kc_md *md = NULL;
	int r = kc_md_new(&md, h, prk, pn);

	for (ctr = 1; r == 0 && done < L; ctr++) {
		r = kc_md_update(md, t, tn);
		if (r == 0)
			r = kc_md_update(md, info, in);
		if (r == 0)
			r = kc_md_update(md, &ctr, 1);
		w = sizeof t;
		if (r == 0)
			r = kc_md_final(md, t, &w);
		tn = hlen;
		if (r == 0) {
			memcpy(out + done, t, L - done < hlen ? L - done : hlen);
			done += L - done < hlen ? L - done : hlen;
		}
	}
	kc_md_free(md);
	kt_wipe(t, sizeof t);
	return kt_sym_rv(r);
}

static CK_RV hkdf_derive(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *base,
                         const kt_keyopen *ko, kt_attrs *keys, CK_ULONG nkeys)
{
	const CK_HKDF_PARAMS *hp = kt_sym_param(p, sizeof *hp);
	uint8_t prk[KC_HASH_MAX], *salt = NULL, *okm = NULL;
	const uint8_t *ikm, *k;
	size_t hlen, in, sn = 0, L = 0, kn, w = sizeof prk;
	kc_hash_alg h;
	CK_RV rv;

	(void)nkeys;
	if (hp == NULL || (!hp->bExtract && !hp->bExpand) || (hp->pInfo == NULL && hp->ulInfoLen != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	rv = hkdf_hash(hp->prfHashMechanism, &h);
	if (rv != CKR_OK)
		return rv;
	hlen = kc_hash_len(h);
	rv = kt_sym_value(base, m->min_key, m->max_key, &ikm, &in);
	if (rv == CKR_OK)
		rv = want_len(&keys[0], hp->bExpand ? 0 : hlen, &L);
	if (rv == CKR_OK && !hp->bExpand && L != hlen)
		rv = CKR_TEMPLATE_INCONSISTENT;  /* extract only: the PRK, hlen bytes */
	if (rv == CKR_OK && L > 255 * hlen)
		rv = CKR_KEY_SIZE_RANGE;
	if (rv == CKR_OK && hp->bExtract)
		rv = hkdf_salt(hp, hlen, ko, &salt, &sn);
	if (rv != CKR_OK)
		goto out;
	/* extract: PRK = HMAC(salt, IKM); without it the base key is the PRK */
	k = ikm;
	kn = in;
	if (hp->bExtract) {
		rv = kt_sym_rv(kc_hmac(h, salt, sn, ikm, in, prk, &w));
		k = prk;
		kn = hlen;
	}
	if (rv != CKR_OK)
		goto out;
	if (!hp->bExpand) {
		rv = kt_attrs_put(&keys[0], CKA_VALUE, k, kn);
		goto out;
	}
	okm = kt_secret_alloc(L);
	rv = okm == NULL ? CKR_HOST_MEMORY
	                 : hkdf_expand(h, k, kn, hp->pInfo, hp->ulInfoLen, okm, L);
	if (rv == CKR_OK)
		rv = kt_attrs_put(&keys[0], CKA_VALUE, okm, L);
out:
	kt_secret_free(okm, L);
	kt_secret_free(salt, sn);
	kt_wipe(prk, sizeof prk);
	return rv;
}

const kt_mech_ops kt_sym_hkdf_ops = {
	.derive_ex = hkdf_derive,
};

/* ---- SP 800-108 counter mode (curr 3.0 2.43) ----
 * K(i) = PRF(KI, the data parameters in order, with the iteration variable
 * as i and the DKM length as L), i = 1, 2, ...; the keys take the stream in
 * order: the main key first, then the additional keys. */

static CK_RV sp108_extra(const CK_MECHANISM *p, const CK_DERIVED_KEY **extra, CK_ULONG *n)
{
	const CK_SP800_108_KDF_PARAMS *kp = kt_sym_param(p, sizeof *kp);

	*extra = NULL;
	*n = 0;
	if (kp == NULL || (kp->pAdditionalDerivedKeys == NULL && kp->ulAdditionalDerivedKeys != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	*extra = kp->pAdditionalDerivedKeys;
	*n = kp->ulAdditionalDerivedKeys;
	return CKR_OK;
}

/* Put v, width bits wide, into out (width / 8 bytes). */
static void put_int(uint8_t *out, uint64_t v, CK_ULONG width, CK_BBOOL little)
{
	size_t i, nb = width / 8;

	for (i = 0; i < nb; i++)
		out[little ? i : nb - 1 - i] = (uint8_t)(v >> (8 * i));
}

typedef struct {
	const CK_PRF_DATA_PARAM *dp;
	CK_ULONG ndp;
	CK_ULONG ctr_width, dkm_width;
	CK_BBOOL ctr_le, dkm_le;
	CK_ULONG dkm_method;             /* 0: no DKM length parameter */
} sp108_layout;

static CK_RV sp108_layout_of(const CK_SP800_108_KDF_PARAMS *kp, sp108_layout *l)
{
	const CK_SP800_108_COUNTER_FORMAT *cf;
	const CK_SP800_108_DKM_LENGTH_FORMAT *df;
	CK_ULONG i, nctr = 0, ndkm = 0;

	memset(l, 0, sizeof *l);
	if (kp->pDataParams == NULL || kp->ulNumberOfDataParams == 0)
		return CKR_MECHANISM_PARAM_INVALID;
	l->dp = kp->pDataParams;
	l->ndp = kp->ulNumberOfDataParams;
	for (i = 0; i < l->ndp; i++) {
		const CK_PRF_DATA_PARAM *d = &l->dp[i];
		switch (d->type) {
		case CK_SP800_108_ITERATION_VARIABLE:
			cf = d->pValue;
			if (cf == NULL || d->ulValueLen != sizeof *cf || nctr++ != 0 ||
			    cf->ulWidthInBits == 0 || cf->ulWidthInBits > 32 || cf->ulWidthInBits % 8 != 0)
				return CKR_MECHANISM_PARAM_INVALID;
			l->ctr_width = cf->ulWidthInBits;
			l->ctr_le = cf->bLittleEndian;
			break;
		case CK_SP800_108_DKM_LENGTH:
			df = d->pValue;
			if (df == NULL || d->ulValueLen != sizeof *df || ndkm++ != 0 ||
			    df->ulWidthInBits == 0 || df->ulWidthInBits > 64 || df->ulWidthInBits % 8 != 0 ||
			    (df->dkmLengthMethod != CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS &&
			     df->dkmLengthMethod != CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS))
				return CKR_MECHANISM_PARAM_INVALID;
			l->dkm_width = df->ulWidthInBits;
			l->dkm_le = df->bLittleEndian;
			l->dkm_method = df->dkmLengthMethod;
			break;
		case CK_SP800_108_BYTE_ARRAY:
			if (d->pValue == NULL && d->ulValueLen != 0)
				return CKR_MECHANISM_PARAM_INVALID;
			break;
		default:                     /* the optional counter belongs to the other modes */
			return CKR_MECHANISM_PARAM_INVALID;
		}
	}
	return nctr == 1 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

/* The PRF over one block's input. */
static int sp108_block(kc_md *md, const sp108_layout *l, uint32_t i, uint64_t dkm_bits,
                       uint8_t *out, size_t *w)
{
	uint8_t num[8];
	CK_ULONG j;
	int r = 0;

	for (j = 0; r == 0 && j < l->ndp; j++) {
		const CK_PRF_DATA_PARAM *d = &l->dp[j];
		if (d->type == CK_SP800_108_ITERATION_VARIABLE) {
			put_int(num, i, l->ctr_width, l->ctr_le);
			r = kc_md_update(md, num, l->ctr_width / 8);
		} else if (d->type == CK_SP800_108_DKM_LENGTH) {
			put_int(num, dkm_bits, l->dkm_width, l->dkm_le);
			r = kc_md_update(md, num, l->dkm_width / 8);
		} else {
			r = kc_md_update(md, d->pValue, d->ulValueLen);
		}
	}
	if (r == 0)
		r = kc_md_final(md, out, w);
	return r;
}

static CK_RV sp108_derive(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *base,
                          const kt_keyopen *ko, kt_attrs *keys, CK_ULONG nkeys)
{
	const CK_SP800_108_KDF_PARAMS *kp = kt_sym_param(p, sizeof *kp);
	CK_KEY_TYPE bt = kt_attrs_ulong(base, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	uint8_t blk[KC_HASH_MAX], *ks = NULL;
	size_t *lens = NULL, total = 0, plen, nblk, off, w, kn, i;
	const uint8_t *kv;
	sp108_layout l;
	uint64_t dkm;
	kc_md *md = NULL;
	int hash = -1, r = 0;
	CK_RV rv;

	(void)ko;
	if (kp == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	if (kp->prfType != CKM_AES_CMAC && (hash = kt_sym_hmac_hash(kp->prfType)) < 0)
		return CKR_MECHANISM_PARAM_INVALID;
	rv = sp108_layout_of(kp, &l);
	if (rv != CKR_OK)
		return rv;
	/* the base key must suit the PRF */
	if (hash < 0 ? bt != CKK_AES : bt == CKK_AES)
		return CKR_KEY_TYPE_INCONSISTENT;
	rv = kt_sym_value(base, hash < 0 ? 16 : m->min_key, hash < 0 ? 32 : m->max_key, &kv, &kn);
	if (rv != CKR_OK)
		return rv;
	lens = calloc(nkeys, sizeof *lens);
	if (lens == NULL)
		return CKR_HOST_MEMORY;
	for (i = 0; rv == CKR_OK && i < nkeys; i++) {
		rv = want_len(&keys[i], 0, &lens[i]);
		total += lens[i];
	}
	plen = hash < 0 ? 16 : kc_hash_len((kc_hash_alg)hash);
	nblk = (total + plen - 1) / plen;
	if (rv == CKR_OK && (total > ((size_t)1 << 24) ||
	                     (l.ctr_width < 32 && nblk >= ((size_t)1 << l.ctr_width))))
		rv = CKR_KEY_SIZE_RANGE;         /* the counter would wrap */
	if (rv != CKR_OK)
		goto out;
	dkm = (l.dkm_method == CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS ? nblk * plen : total) * 8;
	if (l.dkm_width < 64 && l.dkm_method != 0 && dkm >= (uint64_t)1 << l.dkm_width) {
		rv = CKR_KEY_SIZE_RANGE;
		goto out;
	}
	ks = kt_secret_alloc(nblk * plen);
	if (ks == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	r = hash < 0 ? kc_mac_new(&md, kv, kn) : kc_md_new(&md, (kc_hash_alg)hash, kv, kn);
	for (i = 0; r == 0 && i < nblk; i++) {
		w = sizeof blk;
		r = sp108_block(md, &l, (uint32_t)(i + 1), dkm, blk, &w);
		if (r == 0)
			memcpy(ks + i * plen, blk, plen);
	}
	rv = kt_sym_rv(r);
	for (i = 0, off = 0; rv == CKR_OK && i < nkeys; off += lens[i], i++)
		rv = kt_attrs_put(&keys[i], CKA_VALUE, ks + off, lens[i]);
out:
	kc_md_free(md);
	kt_secret_free(ks, nblk * plen);
	kt_wipe(blk, sizeof blk);
	free(lens);
	return rv;
}

const kt_mech_ops kt_sym_sp108_ops = {
	.derive_ex = sp108_derive,
	.derive_extra = sp108_extra,
};
