/* objcodec.c - one object as bytes: the payload of its kernel key, and (with
 * a MAC appended by store.c) its file on disk.
 *
 *   "KTO1" u8 version u8 flags u16 0 | objid[16] | u32 class |
 *   u32 clear_len | clear attributes (attrs codec) |
 *   u32 sealed_len | AES-256-GCM(iv | attributes | tag)
 *
 * Public objects keep their ordinary attributes in clear (any process of the
 * uid may list them, as any logged-out session may); key material is always
 * in the sealed part.  A private object is sealed whole and its class hidden,
 * so the keyring shows a logged-out reader nothing the PKCS#11 view hides.
 * The GCM AAD is the 28-byte header plus the token uuid: a sealed part cannot
 * be moved to another object or token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kt.h"

#define HDR_LEN 28
#define FLAG_PRIVATE 1u
#define MAX_PART (1u << 20)

static int is_secret_in_private_key(CK_ATTRIBUTE_TYPE t)
{
	return kt_attr_is_secret(CKO_PRIVATE_KEY, t);
}
static int is_secret_in_secret_key(CK_ATTRIBUTE_TYPE t)
{
	return kt_attr_is_secret(CKO_SECRET_KEY, t);
}
static int not_secret_in_private_key(CK_ATTRIBUTE_TYPE t)
{
	return !kt_attr_is_secret(CKO_PRIVATE_KEY, t);
}
static int not_secret_in_secret_key(CK_ATTRIBUTE_TYPE t)
{
	return !kt_attr_is_secret(CKO_SECRET_KEY, t);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void aad_make(uint8_t aad[HDR_LEN + 16], const uint8_t *hdr, const uint8_t uuid[16])
{
	memcpy(aad, hdr, HDR_LEN);
	memcpy(aad + HDR_LEN, uuid, 16);
}

int kt_obj_encode(const kt_attrs *all, const uint8_t objid[KT_OBJID_LEN], bool priv,
                  const uint8_t *key, const uint8_t uuid[16], uint8_t **out, size_t *outlen)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(all, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	int (*keep_clear)(CK_ATTRIBUTE_TYPE) = NULL, (*keep_sealed)(CK_ATTRIBUTE_TYPE) = NULL;
	uint8_t *clear = NULL, *inner = NULL, *p = NULL, aad[HDR_LEN + 16];
	size_t clen = 0, ilen = 0, slen = 0, n;
	bool seal = true;
	int r;

	if (priv) {
		keep_sealed = NULL;             /* everything sealed, nothing clear */
	} else if (cls == CKO_PRIVATE_KEY) {
		keep_clear = not_secret_in_private_key;
		keep_sealed = is_secret_in_private_key;
	} else if (cls == CKO_SECRET_KEY) {
		keep_clear = not_secret_in_secret_key;
		keep_sealed = is_secret_in_secret_key;
	} else {
		seal = false;                   /* public data, certificates, public keys */
	}
	if (!priv && (r = kt_attrs_encode(all, keep_clear, &clear, &clen)) < 0)
		goto out;
	if (seal && (r = kt_attrs_encode(all, keep_sealed, &inner, &ilen)) < 0)
		goto out;
	if (seal && key == NULL) {
		r = -EACCES;                    /* key material needs the storage key */
		goto out;
	}
	slen = seal ? ilen + 28 : 0;
	n = HDR_LEN + 4 + clen + 4 + slen;
	p = malloc(n);
	if (p == NULL) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(p, "KTO1", 4);
	p[4] = 1;
	p[5] = priv ? FLAG_PRIVATE : 0;
	p[6] = p[7] = 0;
	memcpy(p + 8, objid, KT_OBJID_LEN);
	put32(p + 24, priv ? 0xffffffffu : (uint32_t)cls);
	put32(p + HDR_LEN, (uint32_t)clen);
	if (clen)
		memcpy(p + HDR_LEN + 4, clear, clen);
	put32(p + HDR_LEN + 4 + clen, (uint32_t)slen);
	if (seal) {
		aad_make(aad, p, uuid);
		r = kt_seal(key, aad, sizeof aad, inner, ilen, p + HDR_LEN + 8 + clen);
		if (r < 0)
			goto out;
	}
	*out = p;
	*outlen = n;
	p = NULL;
	r = 0;
out:
	free(p);
	free(clear);
	if (inner != NULL)
		kt_wipe(inner, ilen);
	free(inner);
	return r;
}

int kt_obj_decode(const uint8_t *p, size_t n, kt_object *o)
{
	uint32_t clen, slen;
	int r;

	if (n < HDR_LEN + 8 || memcmp(p, "KTO1", 4) != 0 || p[4] != 1 || (p[5] & ~FLAG_PRIVATE))
		return -EINVAL;
	clen = get32(p + HDR_LEN);
	if (clen > MAX_PART || clen > n - HDR_LEN - 8)
		return -EINVAL;
	slen = get32(p + HDR_LEN + 4 + clen);
	if (slen > MAX_PART || (size_t)slen != n - HDR_LEN - 8 - clen || (slen != 0 && slen < 28))
		return -EINVAL;
	o->priv = p[5] & FLAG_PRIVATE;
	if (o->priv && (clen != 0 || slen == 0))
		return -EINVAL;
	memcpy(o->objid, p + 8, KT_OBJID_LEN);
	o->cls = o->priv ? CK_UNAVAILABLE_INFORMATION : get32(p + 24);
	kt_attrs_init(&o->attrs);
	r = clen != 0 ? kt_attrs_decode(&o->attrs, p + HDR_LEN + 4, clen) : 0;
	if (r < 0)
		return r;
	if (!o->priv && kt_attrs_ulong(&o->attrs, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != o->cls) {
		kt_attrs_free(&o->attrs);
		return -EINVAL;
	}
	o->sealed = NULL;
	o->sealed_len = 0;
	/* keep the header in front of the sealed part: it is the AAD */
	if (slen != 0) {
		o->sealed = malloc(HDR_LEN + slen);
		if (o->sealed == NULL) {
			kt_attrs_free(&o->attrs);
			return -ENOMEM;
		}
		memcpy(o->sealed, p, HDR_LEN);
		memcpy(o->sealed + HDR_LEN, p + HDR_LEN + 8 + clen, slen);
		o->sealed_len = HDR_LEN + slen;
	}
	o->size = n;
	return 0;
}

/* The object's whole attribute set: clear part plus the opened sealed part.
 * -EACCES without a key, -EBADMSG when the seal does not verify. */
int kt_obj_open(const kt_object *o, const uint8_t *key, const uint8_t uuid[16], kt_attrs *all)
{
	uint8_t aad[HDR_LEN + 16], *inner = NULL;
	size_t ilen = 0;
	int r;

	kt_attrs_init(all);
	r = kt_attrs_copy(all, &o->attrs) == CKR_OK ? 0 : -ENOMEM;
	if (r < 0 || o->sealed == NULL)
		goto out;
	if (key == NULL) {
		r = -EACCES;
		goto out;
	}
	ilen = o->sealed_len - HDR_LEN - 28;
	inner = malloc(ilen + 1);
	if (inner == NULL) {
		r = -ENOMEM;
		goto out;
	}
	aad_make(aad, o->sealed, uuid);
	r = kt_unseal(key, aad, sizeof aad, o->sealed + HDR_LEN, o->sealed_len - HDR_LEN, inner);
	if (r == 0)
		r = kt_attrs_decode(all, inner, ilen);
out:
	if (inner != NULL)
		kt_wipe(inner, ilen);
	free(inner);
	if (r < 0)
		kt_attrs_free(all);
	return r;
}

kt_object *kt_obj_get(kt_object *o)
{
	atomic_fetch_add(&o->refs, 1);
	return o;
}

void kt_obj_put(kt_object *o)
{
	if (o == NULL || atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	kt_attrs_free(&o->attrs);
	if (o->sealed != NULL)
		kt_wipe(o->sealed, o->sealed_len);
	free(o->sealed);
	if (atomic_load(&o->cache.p) != NULL && o->cache.free != NULL)
		o->cache.free(atomic_load(&o->cache.p));
	free(o);
}

void *kt_keycache_set(kt_keycache *c, void *p, void (*fr)(void *))
{
	void *expect = NULL;

	c->free = fr;
	if (atomic_compare_exchange_strong(&c->p, &expect, p))
		return p;
	fr(p);
	return expect;
}
