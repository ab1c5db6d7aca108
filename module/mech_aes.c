/* mech_aes.c - AES encrypt / decrypt (ECB, CBC, CBC_PAD, CTR, GCM) on
 * kc_cipher, and key generation (AES and generic secret).
 *
 * Lengths (curr 3.0 2.8): ECB / CBC data must fill blocks
 * (CKR_DATA_LEN_RANGE, decrypt CKR_ENCRYPTED_DATA_LEN_RANGE); CBC_PAD is
 * PKCS #7 (bad padding: CKR_ENCRYPTED_DATA_INVALID); GCM decryption gives
 * plaintext only once the tag verified (kc holds the ciphertext until then:
 * a multi-part C_DecryptUpdate emits nothing) and a mismatch is
 * CKR_ENCRYPTED_DATA_INVALID with no output at all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mech_sym.h"

typedef struct {
	kt_crypt c;
	kc_cipher *k;
	_Atomic(kc_cipher *) *home;      /* the key's spare slot, or NULL */
	kc_mode mode;
	bool enc, pad;
	bool busy;                       /* a message is half done in k */
	uint64_t total, emitted;         /* bytes given to k / that k gave back */
	uint8_t part[16];                /* CBC_PAD decrypt: the held-back tail */
	size_t npart;
	/* GCM: the message's parameters, kept so that a long one-shot message
	 * can go through kc_aes_oneshot (no copy of the data, and AF_ALG when
	 * kc picks it); the AAD reaches k with the first data otherwise */
	size_t taglen, ivlen, aadlen, klen;
	bool aad_pending;
	uint8_t *aad;                    /* aad_in, or malloc'ed */
	uint8_t aad_in[64], iv[KC_GCM_IV_MAX], key[32];
} aes_op;

/* GCM one-shot messages from this size on skip kc_cipher's buffering */
#define GCM_DIRECT_MIN 4096

static void aes_free(kt_op *op)
{
	aes_op *a = (aes_op *)op;

	/* only a finished message leaves k ready for the next user */
	if (a->busy)
		kc_cipher_free(a->k);
	else
		kt_sym_give_cipher(a->home, a->k);
	if (a->aad != NULL && a->aad != a->aad_in)
		free(a->aad);                    /* AAD is not secret */
	kt_wipe(a, sizeof *a);
	free(a);
}

/* CK_GCM_PARAMS as PKCS #11 3.0 lays it out, or as the 2.40 header did
 * (without ulIvBits; applications built on it still exist), told apart by
 * size.  ulIvBits is ignored, as 3.0 says ("use ulIvLen instead").  Tag
 * lengths: those SP 800-38D allows. */
struct gcm240 {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
};

static CK_RV gcm_params(const CK_MECHANISM *p, const uint8_t **iv, size_t *ivlen,
                        const uint8_t **aad, size_t *aadlen, size_t *taglen)
{
	const CK_GCM_PARAMS *g = kt_sym_param(p, sizeof(CK_GCM_PARAMS));
	const struct gcm240 *o = kt_sym_param(p, sizeof(struct gcm240));
	CK_ULONG bits;

	if (g != NULL) {
		*iv = g->pIv; *ivlen = g->ulIvLen;
		*aad = g->pAAD; *aadlen = g->ulAADLen;
		bits = g->ulTagBits;
	} else if (o != NULL) {
		*iv = o->pIv; *ivlen = o->ulIvLen;
		*aad = o->pAAD; *aadlen = o->ulAADLen;
		bits = o->ulTagBits;
	} else {
		return CKR_MECHANISM_PARAM_INVALID;
	}
	if (*iv == NULL || *ivlen == 0 || *ivlen > KC_GCM_IV_MAX || (*aad == NULL && *aadlen != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	if (bits != 32 && bits != 64 && (bits < 96 || bits > 128 || bits % 8 != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	*taglen = bits / 8;
	return CKR_OK;
}

/* Arm k for this message: IV, counter width, tag length, AAD. */
static CK_RV arm(aes_op *a, const CK_MECHANISM *p)
{
	const CK_AES_CTR_PARAMS *ctr;
	const uint8_t *iv = NULL, *aad = NULL;
	size_t ivlen = 0, aadlen = 0;
	CK_RV rv = CKR_OK;
	int r = 0;

	switch (a->mode) {
	case KC_AES_ECB:
		if (p->ulParameterLen != 0)
			return CKR_MECHANISM_PARAM_INVALID;
		return CKR_OK;
	case KC_AES_CBC:
		iv = kt_sym_param(p, 16);
		if (iv == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
		r = kc_cipher_set_iv(a->k, iv, 16);
		break;
	case KC_AES_CTR:
		ctr = kt_sym_param(p, sizeof *ctr);
		if (ctr == NULL || ctr->ulCounterBits == 0 || ctr->ulCounterBits > 128)
			return CKR_MECHANISM_PARAM_INVALID;
		r = kc_cipher_set_iv(a->k, ctr->cb, 16);
		if (r == 0)
			r = kc_cipher_set_ctr_bits(a->k, (unsigned)ctr->ulCounterBits);
		break;
	case KC_AES_GCM:
		rv = gcm_params(p, &iv, &ivlen, &aad, &aadlen, &a->taglen);
		if (rv != CKR_OK)
			return rv;
		r = kc_cipher_set_iv(a->k, iv, ivlen);
		if (r == 0)
			r = kc_cipher_set_tag_len(a->k, a->taglen);
		if (r != 0)
			break;
		/* the application's parameter need not outlive this call: copy */
		memcpy(a->iv, iv, ivlen);
		a->ivlen = ivlen;
		a->aad = aadlen <= sizeof a->aad_in ? a->aad_in : malloc(aadlen);
		if (a->aad == NULL)
			return CKR_HOST_MEMORY;
		if (aadlen != 0)
			memcpy(a->aad, aad, aadlen);
		a->aadlen = aadlen;
		a->aad_pending = aadlen != 0;
		break;
	}
	if (r == -EINVAL)
		return CKR_MECHANISM_PARAM_INVALID;
	return kt_sym_rv(r);
}

static CK_RV aes_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                      kt_keycache *cache, int kind, kt_crypt **out)
{
	kt_sym_cache *sc;
	const uint8_t *v;
	size_t n;
	aes_op *a;
	CK_RV rv;

	rv = kt_sym_value(key, m->min_key, m->max_key, &v, &n);
	if (rv != CKR_OK)
		return rv;
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return CKR_HOST_MEMORY;
	a->c.op.free = aes_free;
	a->c.key_len = n;
	a->mode = (kc_mode)(m->arg & 0xff);
	a->pad = m->arg & SYM_PAD;
	a->enc = kind == KT_OP_ENCRYPT;
	sc = kt_sym_cache_of(cache);
	a->home = sc != NULL ? &sc->aes[a->mode][a->enc] : NULL;
	a->k = KT_SYM_TAKE(a->home);
	if (a->k == NULL)
		rv = kt_sym_rv(kc_cipher_new(&a->k, a->mode, a->enc, v, n));
	if (a->mode == KC_AES_GCM) {
		memcpy(a->key, v, n);
		a->klen = n;
	}
	if (rv == CKR_OK)
		rv = arm(a, p);
	if (rv != CKR_OK) {
		a->busy = true;                  /* do not hand back a half-armed k */
		aes_free(&a->c.op);
		return rv;
	}
	*out = &a->c;
	return CKR_OK;
}

static CK_ULONG aes_out_len(const kt_crypt *c, CK_ULONG n, bool final)
{
	const aes_op *a = (const aes_op *)c;
	uint64_t avail;

	switch (a->mode) {
	case KC_AES_CTR:
		return n;
	case KC_AES_GCM:
		if (a->enc)
			return final ? (a->total - a->emitted) + n + a->taglen : n;
		if (!final)
			return 0;
		return a->total + n >= a->taglen ? a->total + n - a->taglen : 0;
	default:
		break;
	}
	if (!a->pad)
		return ((a->total % 16) + n) & ~(uint64_t)15;
	if (a->enc)
		return (((a->total % 16) + n) & ~(uint64_t)15) + (final ? 16 : 0);
	avail = a->npart + n;
	if (final)
		return avail != 0 ? avail - 1 : 0;   /* at least one pad byte */
	return avail != 0 ? ((avail - 1) / 16) * 16 : 0;
}

static CK_RV len_rv(const aes_op *a)
{
	return a->enc ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
}

/* GCM: the AAD goes first, with the first data or at the end. */
static int aad_flush(aes_op *a)
{
	int r = 0;

	if (a->aad_pending) {
		a->aad_pending = false;
		a->busy = true;
		r = kc_cipher_set_aad(a->k, a->aad, a->aadlen);
		if (r != 0)
			a->busy = false;             /* kc ended the message */
	}
	return r;
}

/* Give n bytes to k. */
static CK_RV feed(aes_op *a, const CK_BYTE *in, size_t n, CK_BYTE *out, size_t *w)
{
	int r;

	if (n == 0) {
		*w = 0;
		return CKR_OK;
	}
	r = aad_flush(a);
	if (r == 0)
		r = kc_cipher_update(a->k, in, n, out, w);
	if (r != 0) {
		a->busy = false;                 /* kc ended the message */
		*w = 0;
		return r == -EOVERFLOW ? CKR_DATA_LEN_RANGE : kt_sym_rv(r);
	}
	a->busy = true;
	a->total += n;
	a->emitted += *w;
	return CKR_OK;
}

/* CBC_PAD decrypt: everything but the last (maybe partial) block goes to k;
 * the tail waits in part[] because it may be the padded one. */
static CK_RV feed_holding(aes_op *a, const CK_BYTE *in, size_t n, CK_BYTE *out, size_t *w)
{
	size_t avail = a->npart + n, keep, give, from_part, w1 = 0, w2 = 0;
	CK_RV rv = CKR_OK;

	*w = 0;
	if (avail == 0)
		return CKR_OK;
	keep = avail % 16 ? avail % 16 : 16;
	give = avail - keep;
	from_part = give < a->npart ? give : a->npart;
	/* output: exactly `give` bytes, for which the plumbing made room */
	if (from_part != 0) {
		w1 = give;
		rv = feed(a, a->part, from_part, out, &w1);
	}
	if (rv == CKR_OK && give > from_part) {
		w2 = give - w1;
		rv = feed(a, in, give - from_part, out + w1, &w2);
	}
	if (rv != CKR_OK)
		return rv;
	*w = w1 + w2;
	if (from_part < a->npart) {          /* part keeps its tail, then all of in */
		memmove(a->part, a->part + from_part, a->npart - from_part);
		a->npart -= from_part;
		if (n != 0)
			memcpy(a->part + a->npart, in, n);
		a->npart += n;
	} else {
		memcpy(a->part, in + (n - keep), keep);
		a->npart = keep;
	}
	return CKR_OK;
}

static CK_RV aes_update(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	aes_op *a = (aes_op *)c;
	size_t w = *outlen;
	CK_RV rv;

	if (a->pad && !a->enc)
		rv = feed_holding(a, in, n, out, &w);
	else
		rv = feed(a, in, n, out, &w);
	*outlen = rv == CKR_OK ? w : 0;
	return rv;
}

static CK_RV finish(aes_op *a, CK_BYTE *out, size_t *w)
{
	uint8_t dummy[1];
	size_t zero = 0;
	int r;

	r = aad_flush(a);
	if (r == 0)
		r = kc_cipher_final(a->k, out != NULL ? out : dummy, out != NULL ? w : &zero);
	a->busy = false;
	if (r == -EBADMSG)
		return CKR_ENCRYPTED_DATA_INVALID;
	if (r == -EINVAL)
		return len_rv(a);
	return kt_sym_rv(r);
}

/* PKCS #7: the last byte says how many bytes of its value end the block. */
static CK_RV unpad(aes_op *a, CK_BYTE *out, CK_ULONG *outlen)
{
	uint8_t blk[16], p, bad;
	size_t w = sizeof blk, i, pl;
	CK_RV rv;

	if (a->npart != 16)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	rv = feed(a, a->part, 16, blk, &w);
	if (rv == CKR_OK)
		rv = finish(a, NULL, NULL);
	if (rv == CKR_OK && w != 16)
		rv = CKR_GENERAL_ERROR;
	if (rv != CKR_OK)
		goto out;
	p = blk[15];
	bad = (uint8_t)(p == 0 || p > 16);
	pl = bad ? 16 : p;
	for (i = 0; i < 16; i++)             /* no early exit on the pad bytes */
		bad |= (uint8_t)(i >= 16u - pl ? blk[i] ^ p : 0);
	if (bad) {
		rv = CKR_ENCRYPTED_DATA_INVALID;
		goto out;
	}
	memcpy(out, blk, 16u - p);
	*outlen = 16u - p;
out:
	kt_wipe(blk, sizeof blk);
	return rv;
}

static CK_RV aes_final(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen)
{
	aes_op *a = (aes_op *)c;
	uint8_t padblk[16];
	size_t w = *outlen, w2;
	CK_RV rv;

	if (a->pad && !a->enc)
		return unpad(a, out, outlen);
	if (a->pad) {
		size_t pv = 16 - (size_t)(a->total % 16);
		memset(padblk, (int)pv, pv);
		rv = feed(a, padblk, pv, out, &w);
		if (rv != CKR_OK)
			return rv;
		w2 = *outlen - w;
		rv = finish(a, out + w, &w2);
		*outlen = rv == CKR_OK ? w + w2 : 0;
		return rv;
	}
	if ((a->mode == KC_AES_ECB || a->mode == KC_AES_CBC) && a->total % 16 != 0) {
		a->busy = true;                  /* k still holds the partial block */
		return len_rv(a);
	}
	if (a->mode == KC_AES_GCM && !a->enc && a->total < a->taglen) {
		a->busy = true;
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	}
	rv = finish(a, out, &w);
	*outlen = rv == CKR_OK ? w : 0;
	return rv;
}

/* A whole GCM message in one kc call, straight into out. */
static CK_RV gcm_direct(aes_op *a, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	size_t w = *outlen;
	int r = kc_aes_oneshot(KC_AES_GCM, a->enc, a->key, a->klen, a->iv, a->ivlen,
	                       a->aad, a->aadlen, a->taglen, in, n, out, &w);

	if (r != 0 && !a->enc)
		kt_wipe(out, n - a->taglen);     /* the kernel may have written some */
	*outlen = r == 0 ? w : 0;
	if (r == -EBADMSG)
		return CKR_ENCRYPTED_DATA_INVALID;
	return kt_sym_rv(r);
}

static CK_RV aes_oneshot(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	aes_op *a = (aes_op *)c;
	CK_ULONG w = *outlen, w2;
	CK_RV rv;

	/* the length rules first: nothing is processed for a bad length */
	if ((a->mode == KC_AES_ECB || a->mode == KC_AES_CBC) &&
	    (a->pad && !a->enc ? n == 0 || n % 16 != 0 : !a->pad && n % 16 != 0))
		return len_rv(a);
	if (a->mode == KC_AES_GCM && !a->enc && n < a->taglen)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (a->mode == KC_AES_GCM && n >= GCM_DIRECT_MIN)
		return gcm_direct(a, in, n, out, outlen);
	rv = aes_update(c, in, n, out, &w);
	if (rv != CKR_OK)
		return rv;
	w2 = *outlen - w;
	rv = aes_final(c, out + w, &w2);
	if (rv != CKR_OK && w != 0)
		kt_wipe(out, w);                 /* no partial result of a failed call */
	*outlen = rv == CKR_OK ? w + w2 : 0;
	return rv;
}

const kt_mech_ops kt_sym_aes_ops = {
	.init = aes_init,
	.out_len = aes_out_len,
	.oneshot = aes_oneshot,
	.update = aes_update,
	.final = aes_final,
	.wrap = kt_sym_block_wrap,
	.unwrap = kt_sym_block_unwrap,
};

/* ---- key generation ---- */

static CK_RV keygen(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *key)
{
	CK_ULONG len = kt_attrs_ulong(key, CKA_VALUE_LEN, 0);
	uint8_t *v;
	CK_RV rv;

	if (p->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	if (m->key_type == CKK_AES ? len != 16 && len != 24 && len != 32
	                           : len == 0 || len > m->max_key / 8 || len * 8 < m->min_key)
		return len == 0 ? CKR_TEMPLATE_INCOMPLETE : CKR_KEY_SIZE_RANGE;
	v = kt_secret_alloc(len);
	if (v == NULL)
		return CKR_HOST_MEMORY;
	rv = kt_sym_rv(kc_random(v, len));
	if (rv == CKR_OK)
		rv = kt_attrs_put(key, CKA_VALUE, v, len);
	kt_secret_free(v, len);
	return rv;
}

const kt_mech_ops kt_sym_keygen_ops = {
	.generate = keygen,
};
