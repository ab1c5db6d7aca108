/* mech_wrap.c - key wrapping with AES: the key wrap mechanisms (also as
 * single-part C_Encrypt / C_Decrypt) and C_WrapKey / C_UnwrapKey with the
 * block modes.
 *
 * Which is which (PKCS #11 3.0 curr 2.14 and the 3.0 header):
 *   CKM_AES_KEY_WRAP      0x2109  RFC 3394 (SP 800-38F KW), input a multiple
 *                                 of 8 bytes, at least 16
 *   CKM_AES_KEY_WRAP_PAD  0x210A  PKCS #7 padding to a multiple of 8, then
 *                                 RFC 3394 (what 3.1 renamed
 *                                 CKM_AES_KEY_WRAP_PKCS7)
 *   CKM_AES_KEY_WRAP_KWP  0x210B  RFC 5649 (SP 800-38F KWP), any length
 * Their optional parameter is the ICV (8 bytes; KWP: 4); kc implements the
 * default ICVs only, so a parameter must hold the default.
 * ECB / CBC wrap pad the key with zero bytes to a block (curr 2.8); CBC_PAD
 * with PKCS #7.  The payload is a secret key's CKA_VALUE or a private key's
 * PKCS #8 encoding (kt_key_pkcs8_encode, the asymmetric family's). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mech_sym.h"

static const uint8_t icv_kw[8] = { 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6 };
static const uint8_t icv_kwp[4] = { 0xA6, 0x59, 0x59, 0xA6 };

static CK_RV kw_param(const kt_mech *m, const CK_MECHANISM *p)
{
	const uint8_t *icv = m->arg == SYM_KWP ? icv_kwp : icv_kw;
	size_t n = m->arg == SYM_KWP ? sizeof icv_kwp : sizeof icv_kw;

	if (p->ulParameterLen == 0)
		return CKR_OK;
	if (p->ulParameterLen != n || memcmp(p->pParameter, icv, n) != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* ---- payloads ---- */

typedef struct {
	const uint8_t *p;
	size_t n;
	uint8_t *owned;                  /* set when p was made here (wiped at the end) */
} payload;

static CK_RV payload_get(const kt_attrs *target, payload *pl)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(target, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_RV rv;

	memset(pl, 0, sizeof *pl);
	if (cls == CKO_SECRET_KEY)
		return kt_sym_value(target, 0, 0, &pl->p, &pl->n);
	if (cls != CKO_PRIVATE_KEY)
		return CKR_KEY_NOT_WRAPPABLE;
	rv = kt_key_pkcs8_encode(target, &pl->owned, &pl->n);
	pl->p = pl->owned;
	return rv;
}

static void payload_done(payload *pl)
{
	if (pl->owned != NULL) {
		kt_wipe(pl->owned, pl->n);
		free(pl->owned);
	}
	memset(pl, 0, sizeof *pl);
}

/* Unwrapped bytes into the new key (template made).  A secret key takes
 * them as CKA_VALUE, cut to the template's CKA_VALUE_LEN when it asks for
 * fewer (the zero padding of ECB / CBC / RFC 3394 wraps); a private key
 * decodes them as PKCS #8. */
static CK_RV deliver(kt_attrs *key, const uint8_t *v, size_t n)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_ULONG want;

	if (cls == CKO_PRIVATE_KEY)
		return kt_key_pkcs8_decode(v, n, key);
	if (cls != CKO_SECRET_KEY)
		return CKR_TEMPLATE_INCONSISTENT;
	want = kt_attrs_ulong(key, CKA_VALUE_LEN, n);
	if (want > n)
		return CKR_TEMPLATE_INCONSISTENT;
	if (want == 0)
		return CKR_WRAPPED_KEY_INVALID;
	return kt_attrs_put(key, CKA_VALUE, v, want);
}

/* PKCS #7 to a multiple of `blk`: always 1..blk bytes of their count. */
static uint8_t *pad_copy(const uint8_t *in, size_t n, size_t blk, size_t *outn)
{
	size_t pv = blk - n % blk;
	uint8_t *p = malloc(n + pv);

	if (p == NULL)
		return NULL;
	memcpy(p, in, n);
	memset(p + n, (int)pv, pv);
	*outn = n + pv;
	return p;
}

/* The length PKCS #7 padding leaves, or 0 when it is malformed; constant
 * time over the last block. */
static size_t unpad_len(const uint8_t *p, size_t n, size_t blk)
{
	uint8_t v = n ? p[n - 1] : 0, bad = (uint8_t)(v == 0 || v > blk || n < blk);
	size_t i, pl = bad ? 0 : v;

	for (i = n >= blk ? n - blk : 0; i < n; i++)
		bad |= (uint8_t)(i >= n - pl ? p[i] ^ v : 0);
	return bad ? 0 : n - pl;
}

/* ---- the key wrap mechanisms ---- */

/* RFC 3394 / 5649 in one call; out NULL: the length. */
static CK_RV kw_run(unsigned variant, bool enc, const uint8_t *key, size_t klen,
                    const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	uint8_t *padded = NULL, *tmp = NULL;
	size_t pn = 0, tn, k;
	CK_RV rv = CKR_OK;
	int r;

	if (enc) {
		if (variant == SYM_KW_PKCS7) {
			padded = pad_copy(in, n, 8, &pn);
			if (padded == NULL)
				return CKR_HOST_MEMORY;
			in = padded;
			n = pn;
		}
		if (variant == SYM_KWP ? n < 1 : n < 16 || n % 8 != 0) {
			rv = CKR_DATA_LEN_RANGE;
			goto out;
		}
		r = kc_aes_wrap(variant == SYM_KWP, 1, key, klen, in, n, out, outlen);
		rv = kt_sym_rv(r);
		goto out;
	}
	if (n < (variant == SYM_KWP ? 16u : 24u) || n % 8 != 0)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (out == NULL && variant != SYM_KW_PKCS7) {
		*outlen = n - 8;                 /* KWP: an upper bound */
		return CKR_OK;
	}
	tn = n - 8;
	tmp = kt_secret_alloc(tn);
	if (tmp == NULL)
		return CKR_HOST_MEMORY;
	r = kc_aes_wrap(variant == SYM_KWP, 0, key, klen, in, n, tmp, &tn);
	if (r == -EBADMSG)
		rv = CKR_ENCRYPTED_DATA_INVALID;
	else
		rv = kt_sym_rv(r);
	if (rv == CKR_OK && variant == SYM_KW_PKCS7) {
		tn = unpad_len(tmp, tn, 8);
		if (tn == 0)
			rv = CKR_ENCRYPTED_DATA_INVALID;
	}
	if (rv == CKR_OK) {
		k = tn;
		if (out == NULL) {
			*outlen = k;
		} else if (*outlen < k) {
			*outlen = k;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(out, tmp, k);
			*outlen = k;
		}
	}
	kt_secret_free(tmp, n - 8);
out:
	if (padded != NULL) {
		kt_wipe(padded, pn);
		free(padded);
	}
	return rv;
}

typedef struct {
	kt_crypt c;
	unsigned variant;
	bool enc;
	size_t klen;
	uint8_t key[32];
} kw_op;

static void kw_free(kt_op *op)
{
	kt_wipe(op, sizeof(kw_op));
	free(op);
}

static CK_RV kw_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                     kt_keycache *cache, int kind, kt_crypt **out)
{
	const uint8_t *v;
	size_t n;
	kw_op *k;
	CK_RV rv;

	(void)cache;
	rv = kw_param(m, p);
	if (rv == CKR_OK)
		rv = kt_sym_value(key, m->min_key, m->max_key, &v, &n);
	if (rv != CKR_OK)
		return rv;
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return CKR_HOST_MEMORY;
	k->c.op.free = kw_free;
	k->c.key_len = n;
	k->variant = (unsigned)m->arg;
	k->enc = kind == KT_OP_ENCRYPT;
	k->klen = n;
	memcpy(k->key, v, n);
	*out = &k->c;
	return CKR_OK;
}

/* wrapped size of n bytes */
static size_t kw_wrapped(unsigned variant, size_t n)
{
	if (variant == SYM_KW)
		return n + 8;
	if (variant == SYM_KWP)
		return (n + 7) / 8 * 8 + 8;
	return (n / 8 + 1) * 8 + 8;          /* PKCS #7 always adds 1..8 bytes */
}

static CK_ULONG kw_out_len(const kt_crypt *c, CK_ULONG n, bool final)
{
	const kw_op *k = (const kw_op *)c;

	if (!final)
		return 0;
	if (k->enc)
		return kw_wrapped(k->variant, n);
	return n >= 8 ? n - 8 : 0;           /* padded variants: an upper bound */
}

static CK_RV kw_oneshot(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	kw_op *k = (kw_op *)c;
	size_t w = *outlen;
	CK_RV rv = kw_run(k->variant, k->enc, k->key, k->klen, in, n, out, &w);

	*outlen = rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL ? w : 0;
	return rv;
}

static CK_RV kw_wrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *wkey,
                     const kt_attrs *target, CK_BYTE *out, CK_ULONG *outlen)
{
	const uint8_t *v;
	size_t n, w;
	payload pl;
	CK_RV rv;

	rv = kw_param(m, p);
	if (rv == CKR_OK)
		rv = kt_sym_value(wkey, m->min_key, m->max_key, &v, &n);
	if (rv == CKR_OK)
		rv = payload_get(target, &pl);
	if (rv != CKR_OK)
		return rv;
	if (m->arg == SYM_KW && (pl.n < 16 || pl.n % 8 != 0))
		rv = CKR_KEY_SIZE_RANGE;         /* RFC 3394 wraps whole semiblocks only */
	else if (out == NULL)
		*outlen = kw_wrapped((unsigned)m->arg, pl.n);
	else {
		w = *outlen;
		rv = kw_run((unsigned)m->arg, true, v, n, pl.p, pl.n, out, &w);
		if (rv == CKR_DATA_LEN_RANGE)
			rv = CKR_KEY_SIZE_RANGE;
		*outlen = w;
	}
	payload_done(&pl);
	return rv;
}

static CK_RV kw_unwrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *ukey,
                       const CK_BYTE *in, CK_ULONG n, kt_attrs *key)
{
	const uint8_t *v;
	uint8_t *tmp;
	size_t kn, w;
	CK_RV rv;

	rv = kw_param(m, p);
	if (rv == CKR_OK)
		rv = kt_sym_value(ukey, m->min_key, m->max_key, &v, &kn);
	if (rv != CKR_OK)
		return rv;
	if (n < (m->arg == SYM_KWP ? 16u : 24u) || n % 8 != 0)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	w = n - 8;
	tmp = kt_secret_alloc(w);
	if (tmp == NULL)
		return CKR_HOST_MEMORY;
	rv = kw_run((unsigned)m->arg, false, v, kn, in, n, tmp, &w);
	if (rv == CKR_ENCRYPTED_DATA_INVALID)
		rv = CKR_WRAPPED_KEY_INVALID;
	else if (rv == CKR_ENCRYPTED_DATA_LEN_RANGE)
		rv = CKR_WRAPPED_KEY_LEN_RANGE;
	if (rv == CKR_OK)
		rv = deliver(key, tmp, w);
	kt_secret_free(tmp, n - 8);
	return rv;
}

const kt_mech_ops kt_sym_kw_ops = {
	.init = kw_init,
	.out_len = kw_out_len,
	.oneshot = kw_oneshot,
	.wrap = kw_wrap,
	.unwrap = kw_unwrap,
};

/* ---- C_WrapKey / C_UnwrapKey with CKM_AES_ECB, _CBC, _CBC_PAD ---- */

static CK_RV block_param(const kt_mech *m, const CK_MECHANISM *p, const uint8_t **iv)
{
	*iv = NULL;
	if ((m->arg & 0xff) == KC_AES_ECB)
		return p->ulParameterLen == 0 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	*iv = kt_sym_param(p, 16);
	return *iv != NULL ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

CK_RV kt_sym_block_wrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *wkey,
                        const kt_attrs *target, CK_BYTE *out, CK_ULONG *outlen)
{
	kc_mode mode = (kc_mode)(m->arg & 0xff);
	bool pad = m->arg & SYM_PAD;
	const uint8_t *v, *iv;
	uint8_t *buf = NULL;
	size_t kn, bn, w;
	payload pl;
	CK_RV rv;

	rv = block_param(m, p, &iv);
	if (rv == CKR_OK)
		rv = kt_sym_value(wkey, m->min_key, m->max_key, &v, &kn);
	if (rv == CKR_OK)
		rv = payload_get(target, &pl);
	if (rv != CKR_OK)
		return rv;
	bn = pad ? (pl.n / 16 + 1) * 16 : (pl.n + 15) / 16 * 16;
	if (out == NULL) {
		*outlen = bn;
		goto out;
	}
	buf = kt_secret_alloc(bn);           /* zeroed: the ECB / CBC padding */
	if (buf == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	memcpy(buf, pl.p, pl.n);
	if (pad)
		memset(buf + pl.n, (int)(bn - pl.n), bn - pl.n);
	w = *outlen;
	rv = kt_sym_rv(kc_aes_oneshot(mode, 1, v, kn, iv, iv ? 16 : 0, NULL, 0, 0, buf, bn, out, &w));
	*outlen = rv == CKR_OK ? w : 0;
	kt_secret_free(buf, bn);
out:
	payload_done(&pl);
	return rv;
}

CK_RV kt_sym_block_unwrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *ukey,
                          const CK_BYTE *in, CK_ULONG n, kt_attrs *key)
{
	kc_mode mode = (kc_mode)(m->arg & 0xff);
	const uint8_t *v, *iv;
	uint8_t *buf;
	size_t kn, w = n, len;
	CK_RV rv;

	rv = block_param(m, p, &iv);
	if (rv == CKR_OK)
		rv = kt_sym_value(ukey, m->min_key, m->max_key, &v, &kn);
	if (rv != CKR_OK)
		return rv;
	if (n == 0 || n % 16 != 0)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	buf = kt_secret_alloc(n);
	if (buf == NULL)
		return CKR_HOST_MEMORY;
	rv = kt_sym_rv(kc_aes_oneshot(mode, 0, v, kn, iv, iv ? 16 : 0, NULL, 0, 0, in, n, buf, &w));
	len = w;
	if (rv == CKR_OK && (m->arg & SYM_PAD)) {
		len = unpad_len(buf, w, 16);
		if (len == 0)
			rv = CKR_WRAPPED_KEY_INVALID;
	}
	if (rv == CKR_OK)
		rv = deliver(key, buf, len);
	kt_secret_free(buf, n);
	return rv;
}
