/* attrs.c - the attribute container and its codec.  Every value that leaves
 * the container (replaced, deleted, freed, or dropped by a failed decode) is
 * wiped first: key material lives here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "attrs.h"
#include "attr_rules.h"

static const uint8_t kt_codec_magic[4] = { 'K', 'T', 'A', 0x01 };
#define KT_CODEC_HDR   8u              /* magic + u32 count */
#define KT_CODEC_ENTRY 12u             /* u64 type + u32 len */

static void attr_clear(kt_attr *x)
{
	if (x->val != NULL) {
		explicit_bzero(x->val, x->len);
		free(x->val);
	}
	x->val = NULL;
	x->len = 0;
}

void kt_attrs_init(kt_attrs *a)
{
	a->n = 0;
	a->cap = 0;
	a->v = NULL;
}

void kt_attrs_free(kt_attrs *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		attr_clear(&a->v[i]);
	free(a->v);
	kt_attrs_init(a);
}

const kt_attr *kt_attrs_find(const kt_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].type == t)
			return &a->v[i];
	return NULL;
}

static int grow(kt_attrs *a)
{
	size_t cap;
	kt_attr *v;

	if (a->n < a->cap)
		return 0;
	cap = a->cap ? a->cap * 2 : 16;
	v = reallocarray(a->v, cap, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	a->v = v;
	a->cap = cap;
	return 0;
}

/* Appends without looking for an existing entry; takes ownership of val. */
static int append_owned(kt_attrs *a, CK_ATTRIBUTE_TYPE t, uint8_t *val, CK_ULONG len)
{
	if (grow(a) != 0)
		return -ENOMEM;
	a->v[a->n].type = t;
	a->v[a->n].len = len;
	a->v[a->n].val = val;
	a->n++;
	return 0;
}

CK_RV kt_attrs_put(kt_attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len)
{
	uint8_t *copy = NULL;
	kt_attr *cur;
	CK_RV rv = CKR_OK;

	if (v == NULL && len != 0)
		return CKR_ARGUMENTS_BAD;
	if (len != 0) {
		copy = malloc(len);
		if (copy == NULL)
			return CKR_HOST_MEMORY;
		memcpy(copy, v, len);
	}
	cur = (kt_attr *)kt_attrs_find(a, t);
	if (cur != NULL) {
		attr_clear(cur);
		cur->val = copy;
		cur->len = len;
	} else if (append_owned(a, t, copy, len) != 0) {
		if (copy != NULL) {
			explicit_bzero(copy, len);
			free(copy);
		}
		rv = CKR_HOST_MEMORY;
	}
	return rv;
}

CK_RV kt_attrs_put_bool(kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_BBOOL v)
{
	return kt_attrs_put(a, t, &v, sizeof(v));
}

CK_RV kt_attrs_put_ulong(kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	return kt_attrs_put(a, t, &v, sizeof(v));
}

void kt_attrs_del(kt_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].type != t)
			continue;
		attr_clear(&a->v[i]);
		memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(a->v[0]));
		a->n--;
		return;
	}
}

CK_BBOOL kt_attrs_bool(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_BBOOL dflt)
{
	const kt_attr *x = kt_attrs_find(a, t);

	if (x == NULL || x->len != sizeof(CK_BBOOL))
		return dflt;
	return x->val[0] ? CK_TRUE : CK_FALSE;
}

CK_ULONG kt_attrs_ulong(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG dflt)
{
	const kt_attr *x = kt_attrs_find(a, t);
	CK_ULONG v;

	if (x == NULL || x->len != sizeof(CK_ULONG))
		return dflt;
	memcpy(&v, x->val, sizeof(v));
	return v;
}

CK_RV kt_attrs_copy(kt_attrs *dst, const kt_attrs *src)
{
	size_t i;
	CK_RV rv = CKR_OK;

	kt_attrs_init(dst);
	for (i = 0; i < src->n && rv == CKR_OK; i++)
		rv = kt_attrs_put(dst, src->v[i].type, src->v[i].val, src->v[i].len);
	if (rv != CKR_OK)
		kt_attrs_free(dst);
	return rv;
}

/* ---- codec ---- */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int kt_attrs_encode(const kt_attrs *a, int (*keep)(CK_ATTRIBUTE_TYPE), uint8_t **out, size_t *outlen)
{
	size_t i, total = KT_CODEC_HDR, count = 0, off;
	uint8_t *p;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	for (i = 0; i < a->n; i++) {
		if (keep != NULL && !keep(a->v[i].type))
			continue;
		if (a->v[i].len > UINT32_MAX || total > SIZE_MAX - KT_CODEC_ENTRY - a->v[i].len)
			return -EINVAL;
		total += KT_CODEC_ENTRY + a->v[i].len;
		count++;
	}
	if (count > KT_ATTRS_MAX)
		return -EINVAL;
	p = malloc(total);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, kt_codec_magic, sizeof(kt_codec_magic));
	put_le(p + 4, count, 4);
	off = KT_CODEC_HDR;
	for (i = 0; i < a->n; i++) {
		if (keep != NULL && !keep(a->v[i].type))
			continue;
		put_le(p + off, a->v[i].type, 8);
		put_le(p + off + 8, a->v[i].len, 4);
		off += KT_CODEC_ENTRY;
		if (a->v[i].len != 0)
			memcpy(p + off, a->v[i].val, a->v[i].len);
		off += a->v[i].len;
	}
	*out = p;
	*outlen = total;
	return rc;
}

/* Drops entries [from, a->n), wiping them. */
static void truncate_to(kt_attrs *a, size_t from)
{
	while (a->n > from)
		attr_clear(&a->v[--a->n]);
}

static int decode_at(kt_attrs *a, const uint8_t *in, size_t len, int nested);

/* A stored attribute-array value must itself decode (one level deep only). */
static int nested_ok(const uint8_t *v, size_t len)
{
	kt_attrs tmp;
	int rc;

	if (len == 0)
		return 0;
	kt_attrs_init(&tmp);
	rc = decode_at(&tmp, v, len, 1);
	kt_attrs_free(&tmp);
	return rc;
}

static int decode_at(kt_attrs *a, const uint8_t *in, size_t len, int nested)
{
	size_t start = a->n, off = KT_CODEC_HDR, i;
	uint64_t count, t64, l64;
	uint8_t *val;
	int rc = 0;

	if (in == NULL || len < KT_CODEC_HDR || memcmp(in, kt_codec_magic, sizeof(kt_codec_magic)) != 0)
		return -EINVAL;
	count = get_le(in + 4, 4);
	if (count > KT_ATTRS_MAX || count > (len - KT_CODEC_HDR) / KT_CODEC_ENTRY)
		return -EINVAL;
	for (i = 0; i < count && rc == 0; i++) {
		if (len - off < KT_CODEC_ENTRY) {
			rc = -EINVAL;
			break;
		}
		t64 = get_le(in + off, 8);
		l64 = get_le(in + off + 8, 4);
		off += KT_CODEC_ENTRY;
		if ((uint64_t)(CK_ULONG)t64 != t64 || l64 > len - off ||
		    kt_attrs_find(a, (CK_ATTRIBUTE_TYPE)t64) != NULL) {
			rc = -EINVAL;
			break;
		}
		if (kt_attr_is_template((CK_ATTRIBUTE_TYPE)t64) &&
		    (nested || nested_ok(in + off, (size_t)l64) != 0)) {
			rc = -EINVAL;
			break;
		}
		val = NULL;
		if (l64 != 0) {
			val = malloc((size_t)l64);
			if (val == NULL) {
				rc = -ENOMEM;
				break;
			}
			memcpy(val, in + off, (size_t)l64);
		}
		if (append_owned(a, (CK_ATTRIBUTE_TYPE)t64, val, (CK_ULONG)l64) != 0) {
			if (val != NULL) {
				explicit_bzero(val, (size_t)l64);
				free(val);
			}
			rc = -ENOMEM;
			break;
		}
		off += (size_t)l64;
	}
	if (rc == 0 && off != len)
		rc = -EINVAL;
	if (rc != 0) {
		truncate_to(a, start);
		if (a->n == 0) {
			/* the array we may have grown: callers that decode into a
			 * fresh container need not free it after an error */
			free(a->v);
			kt_attrs_init(a);
		}
	}
	return rc;
}

int kt_attrs_decode(kt_attrs *a, const uint8_t *in, size_t len)
{
	return decode_at(a, in, len, 0);
}
