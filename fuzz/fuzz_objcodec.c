/* fuzz_objcodec.c - kt_obj_decode + kt_obj_open (module/objcodec.c): the
 * parser of every keyring payload and object file, and the opener of its
 * sealed part, with a fixed storage key and token uuid.
 *
 * Input: mode byte, then
 *   mode bit 0 clear: the payload, raw;
 *   mode bit 0 set:   flags:u8 class:u32le clear_len:u16le clear[clear_len]
 *                     inner[rest] -- the target builds the payload and seals
 *                     `inner` with the fixed key (sealed part present when
 *                     inner is non-empty or mode bit 1 is set), so the
 *                     fuzzer reaches the decoding of opened sealed parts.
 * Properties: an accepted payload opens without the key only if nothing is
 * sealed; with another token's uuid a sealed part never opens; whatever
 * opens re-encodes (kt_obj_encode), decodes and opens to the same set. */
#include <errno.h>
#include "fz.h"
#include "kt.h"

static int same_set(const kt_attrs *a, const kt_attrs *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const kt_attr *x = kt_attrs_find(b, a->v[i].type);
		if (x == NULL || x->len != a->v[i].len ||
		    (x->len && memcmp(x->val, a->v[i].val, x->len) != 0))
			return 0;
	}
	return 1;
}

static uint8_t *build(const uint8_t *d, size_t n, int force_seal, size_t *outlen)
{
	fz_in in = { d, n, 0 };
	uint8_t flags, *p, aad[44];
	uint32_t cls;
	uint16_t clen;
	const uint8_t *clear, *inner;
	size_t ilen, slen, len;

	if (fz_u8(&in, &flags) < 0 || fz_u32(&in, &cls) < 0 || fz_u16(&in, &clen) < 0 ||
	    (clear = fz_bytes(&in, clen)) == NULL)
		return NULL;
	inner = in.p + in.off;
	ilen = in.n - in.off;
	slen = ilen || force_seal ? ilen + 28 : 0;
	len = 28 + 4 + clen + 4 + slen;
	p = malloc(len);
	if (p == NULL)
		return NULL;
	memcpy(p, "KTO1", 4);
	p[4] = 1;
	p[5] = flags;
	p[6] = p[7] = 0;
	memcpy(p + 8, fz_objid, 16);
	memcpy(p + 24, &cls, 4);
	p[28] = (uint8_t)clen; p[29] = (uint8_t)(clen >> 8); p[30] = p[31] = 0;
	memcpy(p + 32, clear, clen);
	p[32 + clen] = (uint8_t)slen; p[33 + clen] = (uint8_t)(slen >> 8);
	p[34 + clen] = (uint8_t)(slen >> 16); p[35 + clen] = (uint8_t)(slen >> 24);
	if (slen) {
		memcpy(aad, p, 28);
		memcpy(aad + 28, fz_uuid, 16);
		if (kt_seal(fz_key, aad, sizeof aad, inner, ilen, p + 36 + clen) < 0) {
			free(p);
			return NULL;
		}
	}
	*outlen = len;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const uint8_t other_uuid[16] = "another-token-id";
	const uint8_t *p;
	uint8_t *built = NULL, *p2 = NULL;
	size_t pn, n2 = 0;
	kt_object *o = NULL, *o2 = NULL;
	kt_attrs all, nokey, back;
	int r;

	if (n == 0)
		return 0;
	if (d[0] & 1) {
		built = build(d + 1, n - 1, d[0] & 2, &pn);
		if (built == NULL)
			return 0;
		p = built;
	} else {
		p = d + 1;
		pn = n - 1;
	}
	o = calloc(1, sizeof *o);
	if (o == NULL)
		goto out;
	r = kt_obj_decode(p, pn, o);
	if (r < 0) {
		FZ_ASSERT(r == -EINVAL || r == -ENOMEM, "decode rc %d", r);
		free(o);
		o = NULL;
		goto out;
	}
	atomic_init(&o->refs, 1);
	FZ_ASSERT(o->size == pn, "size %zu of a %zu-byte payload", o->size, pn);
	FZ_ASSERT(!o->priv || o->attrs.n == 0, "a private object with clear attributes");

	r = kt_obj_open(o, NULL, fz_uuid, &nokey);
	FZ_ASSERT(o->sealed != NULL ? r == -EACCES : r == 0, "open without key: rc %d (sealed %d)",
	          r, o->sealed != NULL);
	kt_attrs_free(&nokey);
	if (o->sealed != NULL) {
		r = kt_obj_open(o, fz_key, other_uuid, &nokey);
		FZ_ASSERT(r < 0, "a sealed part opened under another token's uuid");
		kt_attrs_free(&nokey);
	}
	r = kt_obj_open(o, fz_key, fz_uuid, &all);
	if (r < 0) {
		FZ_ASSERT(r == -EBADMSG || r == -EINVAL || r == -ENOMEM, "open rc %d", r);
		FZ_ASSERT(!(d[0] & 1) || o->sealed == NULL || r != -EBADMSG,
		          "a part sealed with the right key and uuid did not verify");
		goto out;
	}
	/* what opened re-encodes, decodes and opens to the same set */
	r = kt_obj_encode(&all, o->objid, o->priv, fz_key, fz_uuid, &p2, &n2);
	FZ_ASSERT(r == 0 || r == -ENOMEM, "re-encode rc %d", r);
	if (r == 0) {
		o2 = calloc(1, sizeof *o2);
		if (o2 != NULL) {
			r = kt_obj_decode(p2, n2, o2);
			FZ_ASSERT(r == 0 || r == -ENOMEM, "re-encoded payload does not decode: %d", r);
			if (r == 0) {
				atomic_init(&o2->refs, 1);
				r = kt_obj_open(o2, fz_key, fz_uuid, &back);
				FZ_ASSERT(r == 0 || r == -ENOMEM, "re-encoded payload does not open: %d", r);
				if (r == 0)
					FZ_ASSERT(same_set(&all, &back), "round trip changed the attributes");
				kt_attrs_free(&back);
				kt_obj_put(o2);
			} else {
				free(o2);
			}
		}
		kt_wipe(p2, n2);
		free(p2);
	}
	kt_attrs_free(&all);
out:
	if (o != NULL)
		kt_obj_put(o);
	free(built);
	return 0;
}
