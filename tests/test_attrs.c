/* test_attrs.c - the attribute container, its codec, and every template
 * rule of attrs.h with the exact CK_RV the module must return.
 *
 * gcc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Imodule tests/test_attrs.c \
 *     module/attrs.c module/attr_rules.c module/attr_template.c -lcunit -o /tmp/ta
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "../module/attrs.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define A(t, p, l) { (t), (void *)(p), (l) }
#define AV(t, v)   { (t), (void *)&(v), sizeof(v) }
#define AS(t, s)   { (t), (void *)(s), sizeof(s) - 1 }
#define RV(expr, want) CU_ASSERT_EQUAL((expr), (want))

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS c_data = CKO_DATA, c_cert = CKO_CERTIFICATE, c_pub = CKO_PUBLIC_KEY,
	c_priv = CKO_PRIVATE_KEY, c_secret = CKO_SECRET_KEY, c_hw = CKO_HW_FEATURE,
	c_dom = CKO_DOMAIN_PARAMETERS, c_mech = CKO_MECHANISM, c_prof = CKO_PROFILE,
	c_vendor = CKO_VENDOR_DEFINED | 5;
static CK_KEY_TYPE k_rsa = CKK_RSA, k_ec = CKK_EC, k_ed = CKK_EC_EDWARDS, k_mont = CKK_EC_MONTGOMERY,
	k_aes = CKK_AES, k_gen = CKK_GENERIC_SECRET, k_hmac = CKK_SHA256_HMAC, k_hkdf = CKK_HKDF,
	k_des = CKK_DES;
static CK_CERTIFICATE_TYPE ct_x509 = CKC_X_509, ct_attr = CKC_X_509_ATTR_CERT, ct_wtls = CKC_WTLS;
static CK_ULONG u16 = 16, u20 = 20, u32 = 32, u2048 = 2048, u0 = 0, u4 = 4;
static uint8_t key16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static uint8_t key15[15];
static uint8_t mod[3] = { 0x00, 0x01, 0x00 };         /* 9 significant bits */
static uint8_t pubexp[3] = { 0x01, 0x00, 0x01 };
static uint8_t big[2] = { 0x12, 0x34 };
static uint8_t ecparams[10] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static uint8_t ecpoint[4] = { 0x04, 0x02, 0x01, 0x02 };
static uint8_t der_name[4] = { 0x30, 0x02, 0x05, 0x00 };

/* Runs kt_template_make and frees the result; on error the output must be empty. */
static CK_RV mk_ex(const CK_ATTRIBUTE *t, CK_ULONG n, kt_make how, CK_ULONG cls, CK_ULONG kt, int so)
{
	kt_attrs out;
	CK_RV rv = kt_template_make_ex(&out, t, n, how, cls, kt, so);

	if (rv != CKR_OK)
		CU_ASSERT_EQUAL(out.n, 0);
	kt_attrs_free(&out);
	return rv;
}

static CK_RV mk(const CK_ATTRIBUTE *t, CK_ULONG n, kt_make how, CK_ULONG cls, CK_ULONG kt)
{
	return mk_ex(t, n, how, cls, kt, 0);
}

static CK_RV create(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	return mk(t, n, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE);
}

static int has_bool(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_BBOOL v)
{
	const kt_attr *x = kt_attrs_find(a, t);

	return x != NULL && x->len == 1 && x->val[0] == v;
}

static int has_ulong(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	const kt_attr *x = kt_attrs_find(a, t);

	return x != NULL && x->len == sizeof(CK_ULONG) && kt_attrs_ulong(a, t, ~v) == v;
}

static int has_empty(const kt_attrs *a, CK_ATTRIBUTE_TYPE t)
{
	const kt_attr *x = kt_attrs_find(a, t);

	return x != NULL && x->len == 0;
}

/* An AES key object as C_CreateObject would build it. */
static void aes_obj(kt_attrs *o, CK_BBOOL sens, CK_BBOOL extr)
{
	CK_ATTRIBUTE t[] = {
		AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
		AV(CKA_SENSITIVE, sens), AV(CKA_EXTRACTABLE, extr), AS(CKA_LABEL, "aes"),
	};
	CU_ASSERT_EQUAL_FATAL(kt_template_make(o, t, N(t), KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
}

static void cert_obj(kt_attrs *o)
{
	CK_ATTRIBUTE t[] = {
		AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509), A(CKA_SUBJECT, der_name, 4),
		A(CKA_VALUE, der_name, 4),
	};
	CU_ASSERT_EQUAL_FATAL(kt_template_make(o, t, N(t), KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
}

/* ================= container ================= */

static void t_container(void)
{
	kt_attrs a, b;
	const kt_attr *x;

	kt_attrs_init(&a);
	CU_ASSERT_PTR_NULL(kt_attrs_find(&a, CKA_LABEL));
	RV(kt_attrs_put(&a, CKA_LABEL, "abc", 3), CKR_OK);
	RV(kt_attrs_put(&a, CKA_ID, NULL, 0), CKR_OK);
	RV(kt_attrs_put(&a, CKA_ID, NULL, 4), CKR_ARGUMENTS_BAD);
	RV(kt_attrs_put_bool(&a, CKA_TOKEN, CK_TRUE), CKR_OK);
	RV(kt_attrs_put_ulong(&a, CKA_CLASS, CKO_SECRET_KEY), CKR_OK);
	CU_ASSERT_EQUAL(a.n, 4);
	x = kt_attrs_find(&a, CKA_ID);
	CU_ASSERT(x != NULL && x->len == 0 && x->val == NULL);
	x = kt_attrs_find(&a, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 3 && memcmp(x->val, "abc", 3) == 0);
	RV(kt_attrs_put(&a, CKA_LABEL, "hello", 5), CKR_OK);   /* replace */
	CU_ASSERT_EQUAL(a.n, 4);
	x = kt_attrs_find(&a, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 5 && memcmp(x->val, "hello", 5) == 0);
	CU_ASSERT_EQUAL(kt_attrs_bool(&a, CKA_TOKEN, CK_FALSE), CK_TRUE);
	CU_ASSERT_EQUAL(kt_attrs_bool(&a, CKA_PRIVATE, CK_TRUE), CK_TRUE);     /* absent: default */
	CU_ASSERT_EQUAL(kt_attrs_bool(&a, CKA_LABEL, CK_FALSE), CK_FALSE);     /* wrong size: default */
	CU_ASSERT_EQUAL(kt_attrs_ulong(&a, CKA_CLASS, 99), CKO_SECRET_KEY);
	CU_ASSERT_EQUAL(kt_attrs_ulong(&a, CKA_TOKEN, 99), 99);                /* wrong size */
	CU_ASSERT_EQUAL(kt_attrs_ulong(&a, CKA_KEY_TYPE, 77), 77);

	RV(kt_attrs_copy(&b, &a), CKR_OK);
	CU_ASSERT_EQUAL(b.n, a.n);
	kt_attrs_del(&a, CKA_ID);
	CU_ASSERT_EQUAL(a.n, 3);
	CU_ASSERT_PTR_NULL(kt_attrs_find(&a, CKA_ID));
	CU_ASSERT_PTR_NOT_NULL(kt_attrs_find(&b, CKA_ID));
	CU_ASSERT_EQUAL(a.v[0].type, CKA_LABEL);            /* order kept */
	CU_ASSERT_EQUAL(a.v[1].type, CKA_TOKEN);
	CU_ASSERT_EQUAL(a.v[2].type, CKA_CLASS);
	kt_attrs_del(&a, CKA_ID);                          /* absent: no-op */
	CU_ASSERT_EQUAL(a.n, 3);
	kt_attrs_free(&a);
	CU_ASSERT_EQUAL(a.n, 0);
	kt_attrs_free(&a);                                 /* twice is fine */
	kt_attrs_free(&b);
}

static void t_container_many(void)
{
	kt_attrs a;
	CK_ULONG i;

	kt_attrs_init(&a);
	for (i = 0; i < 1000; i++)
		RV(kt_attrs_put_ulong(&a, CKA_VENDOR_DEFINED + i, i), CKR_OK);
	CU_ASSERT_EQUAL(a.n, 1000);
	for (i = 0; i < 1000; i += 97)
		CU_ASSERT_EQUAL(kt_attrs_ulong(&a, CKA_VENDOR_DEFINED + i, 0), i);
	kt_attrs_free(&a);
}

/* ================= codec ================= */

static void sample(kt_attrs *a)
{
	kt_attrs_init(a);
	CU_ASSERT_EQUAL(kt_attrs_put_ulong(a, CKA_CLASS, CKO_SECRET_KEY), CKR_OK);
	CU_ASSERT_EQUAL(kt_attrs_put(a, CKA_LABEL, "label", 5), CKR_OK);
	CU_ASSERT_EQUAL(kt_attrs_put(a, CKA_ID, NULL, 0), CKR_OK);
	CU_ASSERT_EQUAL(kt_attrs_put(a, CKA_VALUE, key16, 16), CKR_OK);
	CU_ASSERT_EQUAL(kt_attrs_put_bool(a, CKA_SENSITIVE, CK_TRUE), CKR_OK);
}

static int same_attrs(const kt_attrs *a, const kt_attrs *b)
{
	size_t i;
	const kt_attr *x;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		x = kt_attrs_find(b, a->v[i].type);
		if (x == NULL || x->len != a->v[i].len || (x->len && memcmp(x->val, a->v[i].val, x->len)))
			return 0;
	}
	return 1;
}

static int keep_public(CK_ATTRIBUTE_TYPE t)
{
	return t != CKA_VALUE;
}

static void t_codec_roundtrip(void)
{
	kt_attrs a, b;
	uint8_t *p;
	size_t n;

	sample(&a);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&a, NULL, &p, &n), 0);
	kt_attrs_init(&b);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, p, n), 0);
	CU_ASSERT(same_attrs(&a, &b));
	CU_ASSERT_EQUAL(b.v[0].type, CKA_CLASS);        /* order kept */
	CU_ASSERT_EQUAL(b.v[3].type, CKA_VALUE);
	/* appending the same blob again: duplicates */
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, p, n), -EINVAL);
	CU_ASSERT_EQUAL(b.n, a.n);
	kt_attrs_free(&b);
	free(p);

	/* keep filter */
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&a, keep_public, &p, &n), 0);
	kt_attrs_init(&b);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, p, n), 0);
	CU_ASSERT_EQUAL(b.n, a.n - 1);
	CU_ASSERT_PTR_NULL(kt_attrs_find(&b, CKA_VALUE));
	/* appending into a non-empty container */
	kt_attrs_free(&a);
	kt_attrs_init(&a);
	kt_attrs_put(&a, CKA_VALUE, key16, 16);
	CU_ASSERT_EQUAL(kt_attrs_decode(&a, p, n), 0);
	CU_ASSERT_EQUAL(a.n, b.n + 1);
	kt_attrs_free(&a);
	kt_attrs_free(&b);
	free(p);

	/* empty container */
	kt_attrs_init(&a);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&a, NULL, &p, &n), 0);
	CU_ASSERT_EQUAL(n, 8);
	kt_attrs_init(&b);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, p, n), 0);
	CU_ASSERT_EQUAL(b.n, 0);
	free(p);
}

static void t_codec_layout(void)
{
	kt_attrs a;
	uint8_t *p;
	size_t n;
	static const uint8_t want[] = {
		'K', 'T', 'A', 1, 1, 0, 0, 0,
		0x03, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'h', 'i',
	};

	kt_attrs_init(&a);
	kt_attrs_put(&a, CKA_LABEL, "hi", 2);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&a, NULL, &p, &n), 0);
	CU_ASSERT_EQUAL(n, sizeof(want));
	CU_ASSERT(n == sizeof(want) && memcmp(p, want, n) == 0);
	free(p);
	kt_attrs_free(&a);
}

static void t_codec_truncations(void)
{
	kt_attrs a, b;
	uint8_t *p, *q;
	size_t n, i;

	sample(&a);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&a, NULL, &p, &n), 0);
	for (i = 0; i < n; i++) {
		/* exact-size heap copy so that ASan / valgrind catch any over-read */
		q = malloc(i ? i : 1);
		memcpy(q, p, i);
		kt_attrs_init(&b);
		kt_attrs_put(&b, CKA_VENDOR_DEFINED, "x", 1);
		CU_ASSERT_EQUAL(kt_attrs_decode(&b, q, i), -EINVAL);
		CU_ASSERT_EQUAL(b.n, 1);                       /* unchanged */
		kt_attrs_free(&b);
		free(q);
	}
	/* trailing garbage */
	q = malloc(n + 1);
	memcpy(q, p, n);
	q[n] = 0;
	kt_attrs_init(&b);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, q, n + 1), -EINVAL);
	CU_ASSERT_EQUAL(b.n, 0);
	free(q);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, NULL, 0), -EINVAL);
	kt_attrs_free(&b);
	free(p);
	kt_attrs_free(&a);
}

static void t_codec_bad(void)
{
	kt_attrs b;
	uint8_t blob[64];
	size_t n;

	kt_attrs_init(&b);
	/* bad magic / version */
	memcpy(blob, "KTA\x02\0\0\0\0", 8);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 8), -EINVAL);
	memcpy(blob, "XTA\x01\0\0\0\0", 8);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 8), -EINVAL);
	/* absurd count */
	memcpy(blob, "KTA\x01\xff\xff\xff\xff", 8);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 8), -EINVAL);
	/* count larger than the input can hold */
	memcpy(blob, "KTA\x01\x02\0\0\0", 8);
	memset(blob + 8, 0, 12);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 20), -EINVAL);
	/* length past the end */
	memcpy(blob, "KTA\x01\x01\0\0\0", 8);
	memset(blob + 8, 0, 8);
	memcpy(blob + 16, "\x05\0\0\0abcd", 8);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 24), -EINVAL);
	/* huge length */
	memcpy(blob + 16, "\xff\xff\xff\xff", 4);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 24), -EINVAL);
	/* duplicate types */
	memcpy(blob, "KTA\x01\x02\0\0\0", 8);
	n = 8;
	memset(blob + n, 0, 12); blob[n] = 3; blob[n + 8] = 1; n += 12; blob[n++] = 'a';
	memset(blob + n, 0, 12); blob[n] = 3; blob[n + 8] = 1; n += 12; blob[n++] = 'a';
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, n), -EINVAL);
	blob[8 + 13] = 4;                                 /* second type differs: fine */
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, n), 0);
	CU_ASSERT_EQUAL(b.n, 2);
	kt_attrs_free(&b);
	/* a type wider than CK_ULONG (only on 32-bit) or an attribute array
	 * whose value is not a nested encoding */
	memcpy(blob, "KTA\x01\x01\0\0\0", 8);
	memset(blob + 8, 0, 12);
	blob[8] = 0x11; blob[9] = 0x02; blob[11] = 0x40;  /* CKA_WRAP_TEMPLATE */
	blob[16] = 2;
	blob[20] = 'x'; blob[21] = 'y';
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, blob, 22), -EINVAL);
	CU_ASSERT_EQUAL(b.n, 0);
	kt_attrs_free(&b);
}

static void t_codec_nested(void)
{
	kt_attrs inner, outer, deep, b;
	uint8_t *pi, *po, *pd;
	size_t ni, no_, nd;

	kt_attrs_init(&inner);
	kt_attrs_put_bool(&inner, CKA_SENSITIVE, CK_TRUE);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&inner, NULL, &pi, &ni), 0);
	kt_attrs_init(&outer);
	kt_attrs_put(&outer, CKA_WRAP_TEMPLATE, pi, ni);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&outer, NULL, &po, &no_), 0);
	kt_attrs_init(&b);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, po, no_), 0);
	kt_attrs_free(&b);
	/* a template inside a template is refused */
	kt_attrs_init(&deep);
	kt_attrs_put(&deep, CKA_UNWRAP_TEMPLATE, po, no_);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&deep, NULL, &pd, &nd), 0);
	kt_attrs_free(&outer);
	kt_attrs_init(&outer);
	kt_attrs_put(&outer, CKA_DERIVE_TEMPLATE, pd, nd);
	free(po);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&outer, NULL, &po, &no_), 0);
	CU_ASSERT_EQUAL(kt_attrs_decode(&b, po, no_), -EINVAL);
	CU_ASSERT_EQUAL(b.n, 0);
	kt_attrs_free(&b);
	free(pi);
	free(po);
	free(pd);
	kt_attrs_free(&inner);
	kt_attrs_free(&outer);
	kt_attrs_free(&deep);
}

/* Cheap deterministic fuzz: flip bytes of a valid blob; decode must never
 * crash and must either succeed or say -EINVAL. */
static void t_codec_fuzz(void)
{
	kt_attrs a, b;
	uint8_t *p, *q;
	size_t n, i;
	unsigned seed = 12345;
	int rc;

	sample(&a);
	kt_attrs_put(&a, CKA_WRAP_TEMPLATE, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(kt_attrs_encode(&a, NULL, &p, &n), 0);
	q = malloc(n);
	for (i = 0; i < 20000; i++) {
		memcpy(q, p, n);
		seed = seed * 1103515245u + 12345u;
		q[(seed >> 8) % n] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		seed = seed * 1103515245u + 12345u;
		if (seed & 1)
			q[(seed >> 8) % n] = (uint8_t)(seed >> 16);
		kt_attrs_init(&b);
		rc = kt_attrs_decode(&b, q, (seed & 2) ? n : (seed >> 9) % n);
		CU_ASSERT(rc == 0 || rc == -EINVAL);
		if (rc != 0)
			CU_ASSERT_EQUAL(b.n, 0);
		kt_attrs_free(&b);
	}
	free(q);
	free(p);
	kt_attrs_free(&a);
}

/* ================= kt_template_make ================= */

static void t_make_data(void)
{
	CK_ATTRIBUTE t[] = { AV(CKA_CLASS, c_data) };
	CK_ATTRIBUTE t2[] = { AV(CKA_CLASS, c_data), AS(CKA_APPLICATION, "app"), AS(CKA_VALUE, "v"),
	                      AS(CKA_LABEL, "l"), AV(CKA_TOKEN, yes), AV(CKA_PRIVATE, yes) };
	kt_attrs o;

	RV(kt_template_make(&o, t, 1, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	CU_ASSERT(has_ulong(&o, CKA_CLASS, CKO_DATA));
	CU_ASSERT(has_bool(&o, CKA_TOKEN, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_PRIVATE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_MODIFIABLE, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_COPYABLE, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_DESTROYABLE, CK_TRUE));
	CU_ASSERT(has_empty(&o, CKA_LABEL));
	CU_ASSERT(has_empty(&o, CKA_APPLICATION));
	CU_ASSERT(has_empty(&o, CKA_OBJECT_ID));
	CU_ASSERT(has_empty(&o, CKA_VALUE));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_UNIQUE_ID));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_KEY_TYPE));
	kt_attrs_free(&o);
	RV(kt_template_make(&o, t2, N(t2), KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_TOKEN, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_PRIVATE, CK_TRUE));
	kt_attrs_free(&o);
}

static void t_make_args(void)
{
	CK_ATTRIBUTE t[] = { AV(CKA_CLASS, c_data) };
	CK_ATTRIBUTE nullv[] = { AV(CKA_CLASS, c_data), A(CKA_LABEL, NULL, 4) };
	CK_ATTRIBUTE nullv0[] = { AV(CKA_CLASS, c_data), A(CKA_LABEL, NULL, 0) };

	RV(create(NULL, 1), CKR_ARGUMENTS_BAD);
	RV(create(NULL, 0), CKR_TEMPLATE_INCOMPLETE);
	RV(create(nullv, N(nullv)), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(nullv0, N(nullv0)), CKR_OK);
	RV(mk(t, 1, KT_MAKE_COPY, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ARGUMENTS_BAD);
	RV(mk(t, 1, (kt_make)42, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ARGUMENTS_BAD);
}

static void t_make_class(void)
{
	CK_ATTRIBUTE none[] = { AS(CKA_LABEL, "x") };
	CK_ATTRIBUTE hw[] = { AV(CKA_CLASS, c_hw) };
	CK_ATTRIBUTE dom[] = { AV(CKA_CLASS, c_dom) };
	CK_ATTRIBUTE mech[] = { AV(CKA_CLASS, c_mech) };
	CK_ATTRIBUTE prof[] = { AV(CKA_CLASS, c_prof) };
	CK_ATTRIBUTE vend[] = { AV(CKA_CLASS, c_vendor) };
	CK_ATTRIBUTE shortc[] = { A(CKA_CLASS, &c_data, 4) };
	CK_ATTRIBUTE dup_diff[] = { AV(CKA_CLASS, c_data), AV(CKA_CLASS, c_cert) };
	CK_ATTRIBUTE dup_same[] = { AV(CKA_CLASS, c_data), AV(CKA_CLASS, c_data) };

	RV(create(none, 1), CKR_TEMPLATE_INCOMPLETE);
	RV(create(hw, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dom, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(mech, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(prof, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(vend, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(shortc, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dup_diff, 2), CKR_TEMPLATE_INCONSISTENT);
	RV(create(dup_same, 2), CKR_OK);
}

static void t_make_types(void)
{
	CK_ATTRIBUTE unknown[] = { AV(CKA_CLASS, c_data), A(0x7777UL, "x", 1) };
	CK_ATTRIBUTE vendor[] = { AV(CKA_CLASS, c_data), A(CKA_VENDOR_DEFINED | 1, "x", 1) };
	/* the spec's own example: a secret key with a public-key attribute */
	CK_ATTRIBUTE sec_pub[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                           A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE sec_verrec[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                              AV(CKA_VERIFY_RECOVER, yes) };
	CK_ATTRIBUTE data_kt[] = { AV(CKA_CLASS, c_data), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE data_sens[] = { AV(CKA_CLASS, c_data), AV(CKA_SENSITIVE, yes) };
	CK_ATTRIBUTE rsa_prime[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                             A(CKA_PUBLIC_EXPONENT, pubexp, 3), A(CKA_PRIME, big, 2) };
	CK_ATTRIBUTE otp[] = { AV(CKA_CLASS, c_data), AV(CKA_OTP_FORMAT, u0) };
	CK_ATTRIBUTE key_cert_type[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                                 AV(CKA_CERTIFICATE_TYPE, ct_x509) };
	CK_ATTRIBUTE pub_sens[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_PARAMS, ecparams, 10),
	                            A(CKA_EC_POINT, ecpoint, 4), AV(CKA_SENSITIVE, yes) };
	CK_ATTRIBUTE ecpriv_point[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_PARAMS, ecparams, 10),
	                                A(CKA_VALUE, big, 2), A(CKA_EC_POINT, ecpoint, 4) };

	RV(create(unknown, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	RV(create(vendor, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	RV(create(sec_pub, N(sec_pub)), CKR_TEMPLATE_INCONSISTENT);
	RV(create(sec_verrec, N(sec_verrec)), CKR_TEMPLATE_INCONSISTENT);
	RV(create(data_kt, 2), CKR_TEMPLATE_INCONSISTENT);
	RV(create(data_sens, 2), CKR_TEMPLATE_INCONSISTENT);
	RV(create(rsa_prime, N(rsa_prime)), CKR_TEMPLATE_INCONSISTENT);
	RV(create(otp, 2), CKR_TEMPLATE_INCONSISTENT);
	RV(create(key_cert_type, N(key_cert_type)), CKR_TEMPLATE_INCONSISTENT);
	RV(create(pub_sens, N(pub_sens)), CKR_TEMPLATE_INCONSISTENT);
	RV(create(ecpriv_point, N(ecpriv_point)), CKR_TEMPLATE_INCONSISTENT);
}

static void t_make_dups(void)
{
	CK_ATTRIBUTE diff[] = { AV(CKA_CLASS, c_data), AS(CKA_LABEL, "a"), AS(CKA_LABEL, "b") };
	CK_ATTRIBUTE difflen[] = { AV(CKA_CLASS, c_data), AS(CKA_LABEL, "a"), AS(CKA_LABEL, "ab") };
	CK_ATTRIBUTE same[] = { AV(CKA_CLASS, c_data), AS(CKA_LABEL, "a"), AS(CKA_LABEL, "a") };
	CK_ATTRIBUTE bdiff[] = { AV(CKA_CLASS, c_data), AV(CKA_TOKEN, yes), AV(CKA_TOKEN, no) };
	CK_ATTRIBUTE ktdiff[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), AV(CKA_KEY_TYPE, k_gen),
	                          A(CKA_VALUE, key16, 16) };
	kt_attrs o;
	const kt_attr *x;

	RV(create(diff, 3), CKR_TEMPLATE_INCONSISTENT);
	RV(create(difflen, 3), CKR_TEMPLATE_INCONSISTENT);
	RV(create(bdiff, 3), CKR_TEMPLATE_INCONSISTENT);
	RV(create(ktdiff, 4), CKR_TEMPLATE_INCONSISTENT);
	RV(kt_template_make(&o, same, 3, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	x = kt_attrs_find(&o, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 1 && x->val[0] == 'a');
	kt_attrs_free(&o);
}

static void t_make_values(void)
{
	CK_ULONG big_bool = 1;
	uint8_t two = 2;
	CK_ATTRIBUTE b4[] = { AV(CKA_CLASS, c_data), AV(CKA_TOKEN, big_bool) };
	CK_ATTRIBUTE b2[] = { AV(CKA_CLASS, c_data), AV(CKA_TOKEN, two) };
	CK_ATTRIBUTE b0[] = { AV(CKA_CLASS, c_data), A(CKA_TOKEN, &yes, 0) };
	CK_ATTRIBUTE ul4[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE_LEN, &u32, 4) };
	CK_ATTRIBUTE d7[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                      AS(CKA_START_DATE, "2024011") };
	CK_ATTRIBUTE dalpha[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                          AS(CKA_END_DATE, "2024ab01") };
	CK_ATTRIBUTE dmonth[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                          AS(CKA_END_DATE, "20241301") };
	CK_ATTRIBUTE dday[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                        AS(CKA_END_DATE, "20240100") };
	CK_ATTRIBUTE dok[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                       AS(CKA_START_DATE, "20240229"), A(CKA_END_DATE, NULL, 0) };
	CK_ATTRIBUTE cat4[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509), A(CKA_SUBJECT, der_name, 4),
	                        A(CKA_VALUE, der_name, 4), AV(CKA_CERTIFICATE_CATEGORY, u4) };
	CK_ATTRIBUTE oid_bad[] = { AV(CKA_CLASS, c_data), AS(CKA_OBJECT_ID, "xyz") };
	CK_ATTRIBUTE oid_ok[] = { AV(CKA_CLASS, c_data), A(CKA_OBJECT_ID, ecparams, 10) };
	CK_ATTRIBUTE mech_bad[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                            A(CKA_ALLOWED_MECHANISMS, key16, 7) };
	CK_MECHANISM_TYPE mechs[2] = { CKM_AES_CBC, CKM_AES_GCM };
	CK_ATTRIBUTE mech_ok[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                           AV(CKA_ALLOWED_MECHANISMS, mechs) };

	RV(create(b4, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(b2, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(b0, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(ul4, 3, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(d7, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dalpha, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dmonth, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dday, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dok, 5), CKR_OK);
	RV(create(cat4, N(cat4)), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(oid_bad, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(oid_ok, 2), CKR_OK);
	RV(create(mech_bad, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(mech_ok, 4), CKR_OK);
}

/* footnotes 2/4/6 and CKA_UNIQUE_ID: CKR_ATTRIBUTE_READ_ONLY */
static void t_make_readonly(void)
{
	CK_ATTRIBUTE aes_local[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                             AV(CKA_LOCAL, no) };
	CK_ATTRIBUTE aes_kgm[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                           AV(CKA_KEY_GEN_MECHANISM, u0) };
	CK_ATTRIBUTE aes_as[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                          AV(CKA_ALWAYS_SENSITIVE, no) };
	CK_ATTRIBUTE aes_ne[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                          AV(CKA_NEVER_EXTRACTABLE, no) };
	CK_ATTRIBUTE aes_uid[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                           AS(CKA_UNIQUE_ID, "1") };
	CK_ATTRIBUTE data_uid[] = { AV(CKA_CLASS, c_data), AS(CKA_UNIQUE_ID, "1") };
	CK_ATTRIBUTE aes_vlen[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                            AV(CKA_VALUE_LEN, u16) };
	CK_ATTRIBUTE rsa_bits[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                            A(CKA_PUBLIC_EXPONENT, pubexp, 3), AV(CKA_MODULUS_BITS, u2048) };
	CK_ATTRIBUTE gen_aes_val[] = { AV(CKA_VALUE_LEN, u16), A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE gen_aes_local[] = { AV(CKA_VALUE_LEN, u16), AV(CKA_LOCAL, yes) };
	CK_ATTRIBUTE gen_rsa_mod[] = { AV(CKA_MODULUS_BITS, u2048), A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE gen_ecpriv_params[] = { A(CKA_EC_PARAMS, ecparams, 10) };
	CK_ATTRIBUTE gen_ecpub_point[] = { A(CKA_EC_PARAMS, ecparams, 10), A(CKA_EC_POINT, ecpoint, 4) };
	CK_ATTRIBUTE gen_rsapriv_d[] = { A(CKA_PRIVATE_EXPONENT, big, 2) };
	CK_ATTRIBUTE unw_aes_vlen[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), AV(CKA_VALUE_LEN, u16) };
	CK_ATTRIBUTE unw_aes_val[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE unw_gen_vlen[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_gen), AV(CKA_VALUE_LEN, u20) };
	CK_ATTRIBUTE unw_rsa_d[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_PRIVATE_EXPONENT, big, 2) };
	CK_ATTRIBUTE unw_rsa_mod[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE unw_local[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), AV(CKA_LOCAL, no) };
	CK_ATTRIBUTE der_val[] = { AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE der_local[] = { AV(CKA_KEY_TYPE, k_aes), AV(CKA_LOCAL, no) };
	CK_ATTRIBUTE der_uid[] = { AV(CKA_KEY_TYPE, k_aes), AS(CKA_UNIQUE_ID, "u") };

	RV(create(aes_local, 4), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(aes_kgm, 4), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(aes_as, 4), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(aes_ne, 4), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(aes_uid, 4), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(data_uid, 2), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(aes_vlen, 4), CKR_ATTRIBUTE_READ_ONLY);
	RV(create(rsa_bits, 5), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(gen_aes_val, 2, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(gen_aes_local, 2, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(gen_rsa_mod, 2, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_RSA), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(gen_ecpriv_params, 1, KT_MAKE_GENERATE, CKO_PRIVATE_KEY, CKK_EC), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(gen_ecpub_point, 2, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_EC), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(gen_rsapriv_d, 1, KT_MAKE_GENERATE, CKO_PRIVATE_KEY, CKK_RSA), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(unw_aes_vlen, 3, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(unw_aes_val, 3, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(unw_gen_vlen, 3, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	RV(mk(unw_rsa_d, 3, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(unw_rsa_mod, 3, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(unw_local, 3, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(der_val, 2, KT_MAKE_DERIVE, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(der_local, 2, KT_MAKE_DERIVE, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk(der_uid, 2, KT_MAKE_DERIVE, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_ATTRIBUTE_READ_ONLY);
}

static void t_make_required(void)
{
	CK_ATTRIBUTE cert_notype[] = { AV(CKA_CLASS, c_cert), A(CKA_SUBJECT, der_name, 4), A(CKA_VALUE, der_name, 4) };
	CK_ATTRIBUTE cert_attr[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_attr) };
	CK_ATTRIBUTE cert_wtls[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_wtls) };
	CK_ATTRIBUTE cert_nosubj[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509), A(CKA_VALUE, der_name, 4) };
	CK_ATTRIBUTE cert_noval[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509), A(CKA_SUBJECT, der_name, 4) };
	CK_ATTRIBUTE cert_emptyval[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509),
	                                 A(CKA_SUBJECT, der_name, 4), A(CKA_VALUE, NULL, 0) };
	CK_ATTRIBUTE cert_url_nohash[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509),
	                                   A(CKA_SUBJECT, der_name, 4), A(CKA_VALUE, NULL, 0), AS(CKA_URL, "http://x") };
	CK_ATTRIBUTE cert_url[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509),
	                            A(CKA_SUBJECT, der_name, 4), A(CKA_VALUE, NULL, 0), AS(CKA_URL, "http://x"),
	                            A(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, key16, 16),
	                            A(CKA_HASH_OF_ISSUER_PUBLIC_KEY, key16, 16) };
	CK_ATTRIBUTE rsapriv_nomod[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_PRIVATE_EXPONENT, big, 2) };
	CK_ATTRIBUTE rsapriv_nod[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE rsapriv_min[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                               A(CKA_PRIVATE_EXPONENT, big, 2) };
	CK_ATTRIBUTE rsapriv_part[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                                A(CKA_PRIVATE_EXPONENT, big, 2), A(CKA_PRIME_1, big, 2) };
	CK_ATTRIBUTE rsapriv_full[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                                A(CKA_PUBLIC_EXPONENT, pubexp, 3), A(CKA_PRIVATE_EXPONENT, big, 2),
	                                A(CKA_PRIME_1, big, 2), A(CKA_PRIME_2, big, 2), A(CKA_EXPONENT_1, big, 2),
	                                A(CKA_EXPONENT_2, big, 2), A(CKA_COEFFICIENT, big, 2) };
	CK_ATTRIBUTE rsapub_noe[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE rsapub_emptymod[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, NULL, 0),
	                                   A(CKA_PUBLIC_EXPONENT, pubexp, 3) };
	CK_ATTRIBUTE ecpub_noparams[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_POINT, ecpoint, 4) };
	CK_ATTRIBUTE ecpub_nopoint[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_PARAMS, ecparams, 10) };
	CK_ATTRIBUTE ecpriv_noval[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_PARAMS, ecparams, 10) };
	CK_ATTRIBUTE sec_noval[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE key_notype[] = { AV(CKA_CLASS, c_secret), A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE gen_none[] = { AV(CKA_TOKEN, yes) };
	CK_ATTRIBUTE unw_notype[] = { AV(CKA_CLASS, c_secret) };

	RV(create(cert_notype, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(cert_attr, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(cert_wtls, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(cert_nosubj, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(cert_noval, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(cert_emptyval, 4), CKR_TEMPLATE_INCOMPLETE);
	RV(create(cert_url_nohash, 5), CKR_TEMPLATE_INCOMPLETE);
	RV(create(cert_url, N(cert_url)), CKR_OK);
	RV(create(rsapriv_nomod, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(rsapriv_nod, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(rsapriv_min, 4), CKR_OK);
	RV(create(rsapriv_part, 5), CKR_TEMPLATE_INCONSISTENT);
	RV(create(rsapriv_full, N(rsapriv_full)), CKR_OK);
	RV(create(rsapub_noe, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(rsapub_emptymod, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(ecpub_noparams, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(ecpub_nopoint, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(ecpriv_noval, 3), CKR_TEMPLATE_INCOMPLETE);
	RV(create(sec_noval, 2), CKR_TEMPLATE_INCOMPLETE);
	RV(create(key_notype, 2), CKR_TEMPLATE_INCOMPLETE);
	/* generation: footnote 3 */
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_RSA), CKR_TEMPLATE_INCOMPLETE);  /* MODULUS_BITS */
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_EC), CKR_TEMPLATE_INCOMPLETE);   /* EC_PARAMS */
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_EC_EDWARDS), CKR_TEMPLATE_INCOMPLETE);
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_TEMPLATE_INCOMPLETE);  /* VALUE_LEN */
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_GENERIC_SECRET), CKR_TEMPLATE_INCOMPLETE);
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_PRIVATE_KEY, CKK_RSA), CKR_OK);
	RV(mk(gen_none, 1, KT_MAKE_GENERATE, CKO_PRIVATE_KEY, CKK_EC), CKR_OK);
	/* unwrap: footnote 5 (key type) */
	RV(mk(unw_notype, 1, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_TEMPLATE_INCOMPLETE);
	RV(mk(NULL, 0, KT_MAKE_UNWRAP, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_TEMPLATE_INCOMPLETE);
	RV(mk(unw_notype, 1, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE, CKK_GENERIC_SECRET), CKR_OK);
	/* data objects need nothing */
	RV(mk(NULL, 0, KT_MAKE_CREATE, CKO_DATA, KT_FROM_TEMPLATE), CKR_OK);
}

static void t_make_keytype(void)
{
	CK_ATTRIBUTE des[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_des), A(CKA_VALUE, key16, 8) };
	CK_ATTRIBUTE sec_rsa[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_rsa), A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE pub_aes[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE kt_short[] = { AV(CKA_CLASS, c_secret), A(CKA_KEY_TYPE, &k_aes, 2), A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE gen_cls_bad[] = { AV(CKA_CLASS, c_pub), AV(CKA_VALUE_LEN, u16) };
	CK_ATTRIBUTE gen_kt_bad[] = { AV(CKA_KEY_TYPE, k_gen), AV(CKA_VALUE_LEN, u16) };
	CK_ATTRIBUTE gen_kt_des[] = { AV(CKA_KEY_TYPE, k_des), AV(CKA_VALUE_LEN, u16) };
	CK_ATTRIBUTE gen_ok[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), AV(CKA_VALUE_LEN, u32) };
	CK_ATTRIBUTE gen_20[] = { AV(CKA_VALUE_LEN, u20) };
	CK_ATTRIBUTE gen_0[] = { AV(CKA_VALUE_LEN, u0) };
	CK_ATTRIBUTE gen_hmac[] = { AV(CKA_VALUE_LEN, u20) };
	CK_ATTRIBUTE aes15[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key15, 15) };
	CK_ATTRIBUTE gen_empty[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_gen), A(CKA_VALUE, NULL, 0) };
	CK_ATTRIBUTE hmac[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_hmac), A(CKA_VALUE, key15, 15) };
	CK_ATTRIBUTE hkdf[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_hkdf), A(CKA_VALUE, key15, 15) };
	CK_ATTRIBUTE ed_pub[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_ed), A(CKA_EC_PARAMS, ecparams, 10),
	                          A(CKA_EC_POINT, ecpoint, 4) };
	CK_ATTRIBUTE mont_priv[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_mont), A(CKA_EC_PARAMS, ecparams, 10),
	                             A(CKA_VALUE, big, 2) };
	CK_ATTRIBUTE ec_badparams[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_ec), AS(CKA_EC_PARAMS, "P-256"),
	                                A(CKA_EC_POINT, ecpoint, 4) };
	CK_ATTRIBUTE gen_ec_badparams[] = { AS(CKA_EC_PARAMS, "\x06\x05\x01") };
	CK_ATTRIBUTE gen_bits0[] = { AV(CKA_MODULUS_BITS, u0) };
	CK_ATTRIBUTE gen_bits[] = { AV(CKA_MODULUS_BITS, u2048), A(CKA_PUBLIC_EXPONENT, pubexp, 3) };
	CK_ATTRIBUTE der_ok[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), AV(CKA_VALUE_LEN, u32) };
	CK_ATTRIBUTE der_nolen[] = { AV(CKA_KEY_TYPE, k_gen) };

	RV(create(des, 3), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(sec_rsa, 3), CKR_TEMPLATE_INCONSISTENT);
	RV(create(pub_aes, 2), CKR_TEMPLATE_INCONSISTENT);
	RV(create(kt_short, 3), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(gen_cls_bad, 2, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_TEMPLATE_INCONSISTENT);
	RV(mk(gen_kt_bad, 2, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_TEMPLATE_INCONSISTENT);
	RV(mk(gen_kt_des, 2, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_TEMPLATE_INCONSISTENT);
	RV(mk(gen_ok, 3, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_OK);
	RV(mk(gen_20, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(gen_0, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_GENERIC_SECRET), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(gen_hmac, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_SHA256_HMAC), CKR_OK);
	RV(mk(gen_hmac, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_GENERIC_SECRET), CKR_OK);
	RV(create(aes15, 3), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(gen_empty, 3), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(hmac, 3), CKR_OK);
	RV(create(hkdf, 3), CKR_OK);
	RV(create(ed_pub, 4), CKR_OK);
	RV(create(mont_priv, 4), CKR_OK);
	RV(create(ec_badparams, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(gen_ec_badparams, 1, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_EC), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(gen_bits0, 1, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_RSA), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(mk(gen_bits, 2, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, CKK_RSA), CKR_OK);
	RV(mk(der_ok, 3, KT_MAKE_DERIVE, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_OK);
	RV(mk(der_nolen, 1, KT_MAKE_DERIVE, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_OK);
	RV(mk(NULL, 0, KT_MAKE_DERIVE, CKO_SECRET_KEY, KT_FROM_TEMPLATE), CKR_TEMPLATE_INCOMPLETE);
}

static void t_make_defaults(void)
{
	CK_ATTRIBUTE aes[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                       A(CKA_CHECK_VALUE, key16, 3) };
	CK_ATTRIBUTE rsapub[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                          A(CKA_PUBLIC_EXPONENT, pubexp, 3) };
	CK_ATTRIBUTE ecpriv[] = { AS(CKA_LABEL, "unwrapped") };
	CK_ATTRIBUTE gen_aes[] = { AV(CKA_VALUE_LEN, u32) };
	kt_attrs o;

	RV(kt_template_make(&o, aes, 4, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_TOKEN, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_PRIVATE, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_SENSITIVE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_EXTRACTABLE, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_ENCRYPT, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_DECRYPT, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_SIGN, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_VERIFY, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_WRAP, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_UNWRAP, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_DERIVE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_LOCAL, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_ALWAYS_SENSITIVE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_NEVER_EXTRACTABLE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_WRAP_WITH_TRUSTED, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_TRUSTED, CK_FALSE));
	CU_ASSERT(has_ulong(&o, CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION));
	CU_ASSERT(has_ulong(&o, CKA_VALUE_LEN, 16));
	CU_ASSERT(has_empty(&o, CKA_LABEL));
	CU_ASSERT(has_empty(&o, CKA_ID));
	CU_ASSERT(has_empty(&o, CKA_START_DATE));
	CU_ASSERT(has_empty(&o, CKA_END_DATE));
	CU_ASSERT(has_empty(&o, CKA_ALLOWED_MECHANISMS));
	CU_ASSERT(has_empty(&o, CKA_WRAP_TEMPLATE));
	CU_ASSERT(has_empty(&o, CKA_UNWRAP_TEMPLATE));
	CU_ASSERT(has_empty(&o, CKA_DERIVE_TEMPLATE));
	CU_ASSERT_PTR_NOT_NULL(kt_attrs_find(&o, CKA_CHECK_VALUE));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_SUBJECT));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_UNIQUE_ID));
	kt_attrs_free(&o);

	RV(kt_template_make(&o, rsapub, 4, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_PRIVATE, CK_FALSE));
	CU_ASSERT(has_ulong(&o, CKA_MODULUS_BITS, 9));
	CU_ASSERT(has_bool(&o, CKA_ENCRYPT, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_VERIFY, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_VERIFY_RECOVER, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_WRAP, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_LOCAL, CK_FALSE));
	CU_ASSERT(has_empty(&o, CKA_SUBJECT));
	CU_ASSERT(has_empty(&o, CKA_PUBLIC_KEY_INFO));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_SENSITIVE));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_ALWAYS_SENSITIVE));
	kt_attrs_free(&o);

	RV(kt_template_make(&o, ecpriv, 1, KT_MAKE_UNWRAP, CKO_PRIVATE_KEY, CKK_EC), CKR_OK);
	CU_ASSERT(has_ulong(&o, CKA_CLASS, CKO_PRIVATE_KEY));
	CU_ASSERT(has_ulong(&o, CKA_KEY_TYPE, CKK_EC));
	CU_ASSERT(has_bool(&o, CKA_PRIVATE, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_SIGN, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_DECRYPT, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_ALWAYS_AUTHENTICATE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_ALWAYS_SENSITIVE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_NEVER_EXTRACTABLE, CK_FALSE));
	kt_attrs_free(&o);

	RV(kt_template_make(&o, gen_aes, 1, KT_MAKE_GENERATE, CKO_SECRET_KEY, CKK_AES), CKR_OK);
	CU_ASSERT(has_ulong(&o, CKA_VALUE_LEN, 32));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&o, CKA_VALUE));
	/* the mechanism then contributes */
	RV(kt_attrs_put_bool(&o, CKA_LOCAL, CK_TRUE), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_LOCAL, CK_TRUE));
	kt_attrs_free(&o);
}

static void t_make_cert(void)
{
	kt_attrs o;

	cert_obj(&o);
	CU_ASSERT(has_bool(&o, CKA_PRIVATE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_TRUSTED, CK_FALSE));
	CU_ASSERT(has_ulong(&o, CKA_CERTIFICATE_CATEGORY, 0));
	CU_ASSERT(has_ulong(&o, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0));
	CU_ASSERT(has_ulong(&o, CKA_NAME_HASH_ALGORITHM, CKM_SHA_1));
	CU_ASSERT(has_empty(&o, CKA_ID));
	CU_ASSERT(has_empty(&o, CKA_ISSUER));
	CU_ASSERT(has_empty(&o, CKA_SERIAL_NUMBER));
	CU_ASSERT(has_empty(&o, CKA_URL));
	kt_attrs_free(&o);
}

static void t_make_trusted(void)
{
	CK_ATTRIBUTE t[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509), A(CKA_SUBJECT, der_name, 4),
	                     A(CKA_VALUE, der_name, 4), AV(CKA_TRUSTED, yes) };
	CK_ATTRIBUTE f[] = { AV(CKA_CLASS, c_cert), AV(CKA_CERTIFICATE_TYPE, ct_x509), A(CKA_SUBJECT, der_name, 4),
	                     A(CKA_VALUE, der_name, 4), AV(CKA_TRUSTED, no) };

	RV(mk_ex(t, 5, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(mk_ex(t, 5, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE, 1), CKR_OK);
	RV(mk_ex(f, 5, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE, 0), CKR_OK);
}

static void t_make_nested(void)
{
	CK_ATTRIBUTE inner[] = { AV(CKA_SENSITIVE, yes), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE inner_badb[] = { A(CKA_SENSITIVE, &u16, sizeof(u16)) };
	CK_ATTRIBUTE inner_unknown[] = { A(0x7777UL, "x", 1) };
	CK_ATTRIBUTE inner_null[] = { A(CKA_LABEL, NULL, 3) };
	CK_ATTRIBUTE inner_dup[] = { AV(CKA_SENSITIVE, yes), AV(CKA_SENSITIVE, no) };
	CK_ATTRIBUTE inner_nest[] = { AV(CKA_WRAP_TEMPLATE, inner) };
	CK_ATTRIBUTE ok[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                      AV(CKA_WRAP_TEMPLATE, inner) };
	CK_ATTRIBUTE badsize[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                           A(CKA_WRAP_TEMPLATE, inner, sizeof(inner) - 1) };
	CK_ATTRIBUTE badb[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                        AV(CKA_UNWRAP_TEMPLATE, inner_badb) };
	CK_ATTRIBUTE unk[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                       AV(CKA_UNWRAP_TEMPLATE, inner_unknown) };
	CK_ATTRIBUTE nul[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                       AV(CKA_DERIVE_TEMPLATE, inner_null) };
	CK_ATTRIBUTE dup[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                       AV(CKA_DERIVE_TEMPLATE, inner_dup) };
	CK_ATTRIBUTE nest[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                        AV(CKA_WRAP_TEMPLATE, inner_nest) };
	CK_ATTRIBUTE pub_unwrap_tmpl[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_PARAMS, ecparams, 10),
	                                   A(CKA_EC_POINT, ecpoint, 4), AV(CKA_UNWRAP_TEMPLATE, inner) };
	kt_attrs o, in;

	RV(kt_template_make(&o, ok, 4, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	RV(kt_attrs_get_template(&o, CKA_WRAP_TEMPLATE, &in), CKR_OK);
	CU_ASSERT_EQUAL(in.n, 2);
	CU_ASSERT(has_bool(&in, CKA_SENSITIVE, CK_TRUE));
	CU_ASSERT(has_ulong(&in, CKA_KEY_TYPE, CKK_AES));
	kt_attrs_free(&in);
	RV(kt_attrs_get_template(&o, CKA_UNWRAP_TEMPLATE, &in), CKR_OK);
	CU_ASSERT_EQUAL(in.n, 0);
	kt_attrs_free(&in);
	kt_attrs_free(&o);
	RV(create(badsize, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(badb, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(unk, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(nul, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(dup, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(nest, 4), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(create(pub_unwrap_tmpl, 5), CKR_TEMPLATE_INCONSISTENT);
}

/* ================= kt_attrs_get ================= */

static void t_get_basic(void)
{
	kt_attrs o;
	uint8_t buf[64];
	CK_ULONG cls = 0;
	CK_ATTRIBUTE g1[] = { A(CKA_LABEL, NULL, 0) };
	CK_ATTRIBUTE g2[] = { A(CKA_LABEL, buf, 3) };
	CK_ATTRIBUTE g3[] = { A(CKA_LABEL, buf, 64) };
	CK_ATTRIBUTE g4[] = { A(CKA_LABEL, buf, 2) };
	CK_ATTRIBUTE g5[] = { A(CKA_MODULUS, buf, 64) };
	CK_ATTRIBUTE g6[] = { A(0x7777UL, buf, 64) };
	CK_ATTRIBUTE g7[] = { AV(CKA_CLASS, cls) };
	CK_ATTRIBUTE g8[] = { A(CKA_ID, buf, 0) };

	aes_obj(&o, CK_FALSE, CK_TRUE);
	RV(kt_attrs_get(&o, g1, 1), CKR_OK);
	CU_ASSERT_EQUAL(g1[0].ulValueLen, 3);
	RV(kt_attrs_get(&o, g2, 1), CKR_OK);
	CU_ASSERT_EQUAL(g2[0].ulValueLen, 3);
	CU_ASSERT(memcmp(buf, "aes", 3) == 0);
	RV(kt_attrs_get(&o, g3, 1), CKR_OK);
	CU_ASSERT_EQUAL(g3[0].ulValueLen, 3);
	RV(kt_attrs_get(&o, g4, 1), CKR_BUFFER_TOO_SMALL);
	CU_ASSERT_EQUAL(g4[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	RV(kt_attrs_get(&o, g5, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	CU_ASSERT_EQUAL(g5[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	RV(kt_attrs_get(&o, g6, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	CU_ASSERT_EQUAL(g6[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	RV(kt_attrs_get(&o, g7, 1), CKR_OK);
	CU_ASSERT_EQUAL(cls, CKO_SECRET_KEY);
	RV(kt_attrs_get(&o, g8, 1), CKR_OK);                /* empty value, zero buffer */
	CU_ASSERT_EQUAL(g8[0].ulValueLen, 0);
	RV(kt_attrs_get(&o, NULL, 1), CKR_ARGUMENTS_BAD);
	RV(kt_attrs_get(&o, NULL, 0), CKR_OK);
	kt_attrs_free(&o);
}

static void t_get_sensitive(void)
{
	kt_attrs o;
	uint8_t buf[64];
	CK_ATTRIBUTE v[] = { A(CKA_VALUE, buf, 64) };
	CK_ATTRIBUTE vn[] = { A(CKA_VALUE, NULL, 0) };
	CK_ATTRIBUTE vl[] = { A(CKA_VALUE_LEN, buf, sizeof(CK_ULONG)) };

	aes_obj(&o, CK_FALSE, CK_TRUE);                       /* revealable */
	RV(kt_attrs_get(&o, v, 1), CKR_OK);
	CU_ASSERT_EQUAL(v[0].ulValueLen, 16);
	CU_ASSERT(memcmp(buf, key16, 16) == 0);
	kt_attrs_free(&o);

	aes_obj(&o, CK_TRUE, CK_TRUE);                        /* sensitive */
	v[0].ulValueLen = 64;
	RV(kt_attrs_get(&o, v, 1), CKR_ATTRIBUTE_SENSITIVE);
	CU_ASSERT_EQUAL(v[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	RV(kt_attrs_get(&o, vn, 1), CKR_ATTRIBUTE_SENSITIVE);
	CU_ASSERT_EQUAL(vn[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	RV(kt_attrs_get(&o, vl, 1), CKR_OK);                  /* VALUE_LEN is not secret */
	kt_attrs_free(&o);

	aes_obj(&o, CK_FALSE, CK_FALSE);                      /* unextractable */
	v[0].ulValueLen = 64;
	RV(kt_attrs_get(&o, v, 1), CKR_ATTRIBUTE_SENSITIVE);
	CU_ASSERT_EQUAL(v[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	kt_attrs_free(&o);
}

static void t_get_sensitive_rsa(void)
{
	CK_ATTRIBUTE t[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                     A(CKA_PUBLIC_EXPONENT, pubexp, 3), A(CKA_PRIVATE_EXPONENT, big, 2),
	                     A(CKA_PRIME_1, big, 2), A(CKA_PRIME_2, big, 2), A(CKA_EXPONENT_1, big, 2),
	                     A(CKA_EXPONENT_2, big, 2), A(CKA_COEFFICIENT, big, 2), AV(CKA_SENSITIVE, yes) };
	static const CK_ATTRIBUTE_TYPE secret[] = { CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
	                                            CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT };
	CK_ATTRIBUTE g[8];
	kt_attrs o;
	size_t i;

	RV(kt_template_make(&o, t, N(t), KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	for (i = 0; i < N(secret); i++) {
		g[i].type = secret[i];
		g[i].pValue = NULL;
		g[i].ulValueLen = 0;
	}
	g[6].type = CKA_MODULUS; g[6].pValue = NULL; g[6].ulValueLen = 0;
	g[7].type = CKA_PUBLIC_EXPONENT; g[7].pValue = NULL; g[7].ulValueLen = 0;
	RV(kt_attrs_get(&o, g, 8), CKR_ATTRIBUTE_SENSITIVE);
	for (i = 0; i < N(secret); i++)
		CU_ASSERT_EQUAL(g[i].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	CU_ASSERT_EQUAL(g[6].ulValueLen, 3);
	CU_ASSERT_EQUAL(g[7].ulValueLen, 3);
	kt_attrs_free(&o);
}

static void t_get_mixed(void)
{
	kt_attrs o;
	uint8_t b1[64], b2[1], b3[64];
	CK_ULONG cls = 0;
	CK_ATTRIBUTE g[] = {
		A(CKA_VALUE, b1, 64),          /* sensitive */
		A(CKA_LABEL, b2, 1),           /* too small */
		A(CKA_MODULUS, b3, 64),        /* not on the object */
		AV(CKA_CLASS, cls),            /* fine */
		A(CKA_ID, NULL, 99),           /* length query */
	};
	CK_ATTRIBUTE g2[] = { A(CKA_LABEL, b2, 1), A(CKA_MODULUS, b3, 64) };
	CK_ATTRIBUTE g3[] = { A(CKA_LABEL, b2, 1), AV(CKA_CLASS, cls) };

	aes_obj(&o, CK_TRUE, CK_FALSE);
	RV(kt_attrs_get(&o, g, N(g)), CKR_ATTRIBUTE_SENSITIVE);
	CU_ASSERT_EQUAL(g[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	CU_ASSERT_EQUAL(g[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	CU_ASSERT_EQUAL(g[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	CU_ASSERT_EQUAL(g[3].ulValueLen, sizeof(CK_ULONG));
	CU_ASSERT_EQUAL(cls, CKO_SECRET_KEY);
	CU_ASSERT_EQUAL(g[4].ulValueLen, 0);
	/* without a sensitive entry: TYPE_INVALID wins over BUFFER_TOO_SMALL */
	RV(kt_attrs_get(&o, g2, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	CU_ASSERT_EQUAL(g2[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	CU_ASSERT_EQUAL(g2[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	cls = 0;
	RV(kt_attrs_get(&o, g3, 2), CKR_BUFFER_TOO_SMALL);
	CU_ASSERT_EQUAL(cls, CKO_SECRET_KEY);                /* later entries still filled */
	kt_attrs_free(&o);
}

static void t_get_array(void)
{
	CK_ATTRIBUTE inner[] = { AV(CKA_SENSITIVE, yes), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE t[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                     AV(CKA_WRAP_TEMPLATE, inner) };
	CK_ATTRIBUTE out[2], g[1], small[1];
	CK_BBOOL b = 9;
	CK_ULONG kt = 0;
	uint8_t tiny[1];
	kt_attrs o;

	RV(kt_template_make(&o, t, 4, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	/* size query */
	g[0].type = CKA_WRAP_TEMPLATE; g[0].pValue = NULL; g[0].ulValueLen = 0;
	RV(kt_attrs_get(&o, g, 1), CKR_OK);
	CU_ASSERT_EQUAL(g[0].ulValueLen, 2 * sizeof(CK_ATTRIBUTE));
	/* array too small */
	small[0].type = CKA_WRAP_TEMPLATE; small[0].pValue = out; small[0].ulValueLen = sizeof(CK_ATTRIBUTE);
	RV(kt_attrs_get(&o, small, 1), CKR_BUFFER_TOO_SMALL);
	CU_ASSERT_EQUAL(small[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* inner lengths */
	memset(out, 0, sizeof(out));
	out[0].type = 0x1234; out[1].type = 0x1234;             /* types are ignored on input */
	g[0].pValue = out; g[0].ulValueLen = sizeof(out);
	RV(kt_attrs_get(&o, g, 1), CKR_OK);
	CU_ASSERT_EQUAL(g[0].ulValueLen, sizeof(out));
	CU_ASSERT_EQUAL(out[0].type, CKA_SENSITIVE);
	CU_ASSERT_EQUAL(out[0].ulValueLen, 1);
	CU_ASSERT_EQUAL(out[1].type, CKA_KEY_TYPE);
	CU_ASSERT_EQUAL(out[1].ulValueLen, sizeof(CK_ULONG));
	/* inner values */
	out[0].pValue = &b; out[1].pValue = &kt;
	RV(kt_attrs_get(&o, g, 1), CKR_OK);
	CU_ASSERT_EQUAL(b, CK_TRUE);
	CU_ASSERT_EQUAL(kt, CKK_AES);
	/* one inner buffer too small */
	out[0].pValue = &b; out[0].ulValueLen = 1;
	out[1].pValue = tiny; out[1].ulValueLen = 1;
	RV(kt_attrs_get(&o, g, 1), CKR_BUFFER_TOO_SMALL);
	CU_ASSERT_EQUAL(out[0].ulValueLen, 1);
	CU_ASSERT_EQUAL(out[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* empty template attribute */
	g[0].type = CKA_UNWRAP_TEMPLATE; g[0].pValue = NULL; g[0].ulValueLen = 5;
	RV(kt_attrs_get(&o, g, 1), CKR_OK);
	CU_ASSERT_EQUAL(g[0].ulValueLen, 0);
	kt_attrs_free(&o);
}

/* ================= kt_attrs_set ================= */

static CK_RV set1(kt_attrs *o, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len, int so)
{
	CK_ATTRIBUTE a[] = { A(t, v, len) };

	return kt_attrs_set(o, a, 1, so);
}

static void t_set_basic(void)
{
	kt_attrs o;
	CK_ULONG other = CKO_DATA;
	const kt_attr *x;

	aes_obj(&o, CK_FALSE, CK_TRUE);
	RV(set1(&o, CKA_LABEL, "new", 3, 0), CKR_OK);
	x = kt_attrs_find(&o, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 3 && memcmp(x->val, "new", 3) == 0);
	RV(set1(&o, CKA_ID, "id", 2, 0), CKR_OK);
	RV(set1(&o, CKA_START_DATE, "20200101", 8, 0), CKR_OK);
	RV(set1(&o, CKA_START_DATE, "2020010x", 8, 0), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(set1(&o, CKA_ENCRYPT, &no, 1, 0), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_ENCRYPT, CK_FALSE));
	RV(set1(&o, CKA_ENCRYPT, &yes, 1, 0), CKR_OK);
	RV(set1(&o, CKA_DERIVE, &yes, 1, 0), CKR_OK);
	RV(set1(&o, CKA_DERIVE, &u16, sizeof(u16), 0), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(set1(&o, CKA_LABEL, NULL, 3, 0), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(set1(&o, CKA_LABEL, NULL, 0, 0), CKR_OK);
	RV(kt_attrs_set(&o, NULL, 1, 0), CKR_ARGUMENTS_BAD);
	RV(kt_attrs_set(&o, NULL, 0, 0), CKR_OK);
	/* read-only */
	RV(set1(&o, CKA_CLASS, &other, sizeof(other), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_CLASS, &c_secret, sizeof(c_secret), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_KEY_TYPE, &k_gen, sizeof(k_gen), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_TOKEN, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_PRIVATE, &no, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_MODIFIABLE, &no, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_DESTROYABLE, &no, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_LOCAL, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_KEY_GEN_MECHANISM, &u0, sizeof(u0), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_ALWAYS_SENSITIVE, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_NEVER_EXTRACTABLE, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_VALUE, key16, 16, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_VALUE_LEN, &u16, sizeof(u16), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_UNIQUE_ID, "x", 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_ALLOWED_MECHANISMS, NULL, 0, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_WRAP_TEMPLATE, NULL, 0, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_CHECK_VALUE, key16, 3, 0), CKR_ATTRIBUTE_READ_ONLY);
	/* not applicable / unknown */
	RV(set1(&o, CKA_MODULUS, mod, 3, 0), CKR_TEMPLATE_INCONSISTENT);
	RV(set1(&o, CKA_SUBJECT, der_name, 4, 0), CKR_TEMPLATE_INCONSISTENT);
	RV(set1(&o, CKA_VERIFY_RECOVER, &yes, 1, 0), CKR_TEMPLATE_INCONSISTENT);
	RV(set1(&o, 0x7777UL, "x", 1, 0), CKR_ATTRIBUTE_TYPE_INVALID);
	RV(set1(&o, CKA_VENDOR_DEFINED, "x", 1, 0), CKR_ATTRIBUTE_TYPE_INVALID);
	kt_attrs_free(&o);
}

static void t_set_oneway(void)
{
	kt_attrs o;

	aes_obj(&o, CK_FALSE, CK_TRUE);
	RV(set1(&o, CKA_SENSITIVE, &no, 1, 0), CKR_OK);              /* same value: fine */
	RV(set1(&o, CKA_SENSITIVE, &yes, 1, 0), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_SENSITIVE, CK_TRUE));
	CU_ASSERT(has_bool(&o, CKA_ALWAYS_SENSITIVE, CK_FALSE));
	RV(set1(&o, CKA_SENSITIVE, &no, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_SENSITIVE, &yes, 1, 0), CKR_OK);
	RV(set1(&o, CKA_EXTRACTABLE, &yes, 1, 0), CKR_OK);
	RV(set1(&o, CKA_EXTRACTABLE, &no, 1, 0), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_EXTRACTABLE, CK_FALSE));
	CU_ASSERT(has_bool(&o, CKA_NEVER_EXTRACTABLE, CK_FALSE));
	RV(set1(&o, CKA_EXTRACTABLE, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_WRAP_WITH_TRUSTED, &yes, 1, 0), CKR_OK);
	RV(set1(&o, CKA_WRAP_WITH_TRUSTED, &no, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_COPYABLE, &no, 1, 0), CKR_OK);
	RV(set1(&o, CKA_COPYABLE, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	/* trusted: SO only */
	RV(set1(&o, CKA_TRUSTED, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_TRUSTED, &no, 1, 0), CKR_OK);
	RV(set1(&o, CKA_TRUSTED, &yes, 1, 1), CKR_OK);
	CU_ASSERT(has_bool(&o, CKA_TRUSTED, CK_TRUE));
	RV(set1(&o, CKA_TRUSTED, &no, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_TRUSTED, &no, 1, 1), CKR_OK);
	/* modifiable false: nothing at all */
	kt_attrs_put_bool(&o, CKA_MODIFIABLE, CK_FALSE);
	RV(set1(&o, CKA_LABEL, "x", 1, 0), CKR_ACTION_PROHIBITED);
	RV(set1(&o, CKA_LABEL, "x", 1, 1), CKR_ACTION_PROHIBITED);
	kt_attrs_free(&o);
}

static void t_set_classes(void)
{
	CK_ATTRIBUTE data[] = { AV(CKA_CLASS, c_data), AS(CKA_VALUE, "v") };
	CK_ATTRIBUTE priv[] = { AV(CKA_CLASS, c_priv), AV(CKA_KEY_TYPE, k_ec), A(CKA_EC_PARAMS, ecparams, 10),
	                        A(CKA_VALUE, big, 2) };
	CK_ATTRIBUTE pub[] = { AV(CKA_CLASS, c_pub), AV(CKA_KEY_TYPE, k_rsa), A(CKA_MODULUS, mod, 3),
	                       A(CKA_PUBLIC_EXPONENT, pubexp, 3) };
	kt_attrs o;

	RV(kt_template_make(&o, data, 2, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	RV(set1(&o, CKA_LABEL, "l", 1, 0), CKR_OK);
	RV(set1(&o, CKA_VALUE, "w", 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_APPLICATION, "a", 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_ID, "a", 1, 0), CKR_TEMPLATE_INCONSISTENT);
	kt_attrs_free(&o);

	cert_obj(&o);
	RV(set1(&o, CKA_ID, "a", 1, 0), CKR_OK);
	RV(set1(&o, CKA_ISSUER, der_name, 4, 0), CKR_OK);
	RV(set1(&o, CKA_SERIAL_NUMBER, "\x02\x01\x01", 3, 0), CKR_OK);
	RV(set1(&o, CKA_VALUE, der_name, 4, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_SUBJECT, der_name, 4, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_CERTIFICATE_TYPE, &ct_x509, sizeof(ct_x509), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_CERTIFICATE_CATEGORY, &u0, sizeof(u0), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_TRUSTED, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_TRUSTED, &yes, 1, 1), CKR_OK);
	kt_attrs_free(&o);

	RV(kt_template_make(&o, priv, 4, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	RV(set1(&o, CKA_SIGN, &no, 1, 0), CKR_OK);
	RV(set1(&o, CKA_SUBJECT, der_name, 4, 0), CKR_OK);
	RV(set1(&o, CKA_EC_PARAMS, ecparams, 10, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_ALWAYS_AUTHENTICATE, &yes, 1, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_ENCRYPT, &yes, 1, 0), CKR_TEMPLATE_INCONSISTENT);
	kt_attrs_free(&o);

	RV(kt_template_make(&o, pub, 4, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	RV(set1(&o, CKA_VERIFY, &no, 1, 0), CKR_OK);
	RV(set1(&o, CKA_MODULUS_BITS, &u2048, sizeof(u2048), 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_MODULUS, mod, 3, 0), CKR_ATTRIBUTE_READ_ONLY);
	RV(set1(&o, CKA_SENSITIVE, &yes, 1, 0), CKR_TEMPLATE_INCONSISTENT);
	kt_attrs_free(&o);

	/* an object of a class without rules (e.g. a profile object) */
	kt_attrs_init(&o);
	kt_attrs_put_ulong(&o, CKA_CLASS, CKO_PROFILE);
	RV(set1(&o, CKA_LABEL, "l", 1, 0), CKR_ACTION_PROHIBITED);
	kt_attrs_free(&o);
}

static void t_set_atomic(void)
{
	kt_attrs o;
	CK_ATTRIBUTE t[] = { AS(CKA_LABEL, "changed"), AV(CKA_SENSITIVE, yes), AV(CKA_CLASS, c_data) };
	CK_ATTRIBUTE d[] = { AS(CKA_LABEL, "a"), AS(CKA_LABEL, "b") };
	CK_ATTRIBUTE s[] = { AS(CKA_LABEL, "a"), AS(CKA_LABEL, "a"), AV(CKA_SIGN, no) };
	const kt_attr *x;

	aes_obj(&o, CK_FALSE, CK_TRUE);
	RV(kt_attrs_set(&o, t, 3, 0), CKR_ATTRIBUTE_READ_ONLY);
	x = kt_attrs_find(&o, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 3 && memcmp(x->val, "aes", 3) == 0);
	CU_ASSERT(has_bool(&o, CKA_SENSITIVE, CK_FALSE));
	RV(kt_attrs_set(&o, d, 2, 0), CKR_TEMPLATE_INCONSISTENT);
	x = kt_attrs_find(&o, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 3);
	RV(kt_attrs_set(&o, s, 3, 0), CKR_OK);
	x = kt_attrs_find(&o, CKA_LABEL);
	CU_ASSERT(x != NULL && x->len == 1 && x->val[0] == 'a');
	CU_ASSERT(has_bool(&o, CKA_SIGN, CK_FALSE));
	kt_attrs_free(&o);
}

/* ================= kt_template_copy ================= */

static void t_copy(void)
{
	kt_attrs src, out;
	CK_ATTRIBUTE ok[] = { AV(CKA_TOKEN, yes), AV(CKA_PRIVATE, no), AV(CKA_MODIFIABLE, no),
	                      AV(CKA_DESTROYABLE, no), AS(CKA_LABEL, "copy"), AV(CKA_SENSITIVE, yes),
	                      AV(CKA_EXTRACTABLE, no), AV(CKA_COPYABLE, no), AV(CKA_ENCRYPT, no) };
	CK_ATTRIBUTE cls[] = { AV(CKA_CLASS, c_secret) };
	CK_ATTRIBUTE val[] = { A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE kt[] = { AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE loc[] = { AV(CKA_LOCAL, no) };
	CK_ATTRIBUTE uid[] = { AS(CKA_UNIQUE_ID, "9") };
	CK_ATTRIBUTE vlen[] = { AV(CKA_VALUE_LEN, u16) };
	CK_ATTRIBUTE mod_[] = { A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE unk[] = { A(0x7777UL, "x", 1) };
	CK_ATTRIBUTE badb[] = { A(CKA_TOKEN, &u16, sizeof(u16)) };
	CK_ATTRIBUTE nulv[] = { A(CKA_LABEL, NULL, 2) };
	CK_ATTRIBUTE dup[] = { AS(CKA_LABEL, "a"), AS(CKA_LABEL, "b") };
	CK_ATTRIBUTE trusted[] = { AV(CKA_TRUSTED, yes) };
	CK_ATTRIBUTE unsens[] = { AV(CKA_SENSITIVE, no) };
	CK_ATTRIBUTE extr[] = { AV(CKA_EXTRACTABLE, yes) };
	CK_ATTRIBUTE copyable[] = { AV(CKA_COPYABLE, yes) };

	aes_obj(&src, CK_FALSE, CK_TRUE);
	kt_attrs_put(&src, CKA_UNIQUE_ID, "1", 1);
	RV(kt_template_copy(&out, &src, ok, N(ok)), CKR_OK);
	CU_ASSERT(has_bool(&out, CKA_TOKEN, CK_TRUE));
	CU_ASSERT(has_bool(&out, CKA_PRIVATE, CK_FALSE));
	CU_ASSERT(has_bool(&out, CKA_MODIFIABLE, CK_FALSE));
	CU_ASSERT(has_bool(&out, CKA_DESTROYABLE, CK_FALSE));
	CU_ASSERT(has_bool(&out, CKA_SENSITIVE, CK_TRUE));
	CU_ASSERT(has_bool(&out, CKA_EXTRACTABLE, CK_FALSE));
	CU_ASSERT(has_bool(&out, CKA_COPYABLE, CK_FALSE));
	CU_ASSERT(has_bool(&out, CKA_ENCRYPT, CK_FALSE));
	CU_ASSERT(has_bool(&out, CKA_ALWAYS_SENSITIVE, CK_FALSE));    /* as the original */
	CU_ASSERT(has_bool(&out, CKA_NEVER_EXTRACTABLE, CK_FALSE));
	CU_ASSERT(has_ulong(&out, CKA_VALUE_LEN, 16));
	CU_ASSERT_PTR_NULL(kt_attrs_find(&out, CKA_UNIQUE_ID));
	CU_ASSERT_PTR_NOT_NULL(kt_attrs_find(&src, CKA_UNIQUE_ID));   /* src untouched */
	CU_ASSERT(has_bool(&src, CKA_TOKEN, CK_FALSE));
	CU_ASSERT(has_bool(&src, CKA_SENSITIVE, CK_FALSE));
	kt_attrs_free(&out);

	RV(kt_template_copy(&out, &src, NULL, 0), CKR_OK);
	CU_ASSERT_EQUAL(out.n, src.n - 1);
	kt_attrs_free(&out);
	RV(kt_template_copy(&out, &src, NULL, 1), CKR_ARGUMENTS_BAD);
	RV(kt_template_copy(&out, &src, cls, 1), CKR_ATTRIBUTE_READ_ONLY);
	CU_ASSERT_EQUAL(out.n, 0);
	RV(kt_template_copy(&out, &src, val, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy(&out, &src, kt, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy(&out, &src, loc, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy(&out, &src, uid, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy(&out, &src, vlen, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy(&out, &src, mod_, 1), CKR_TEMPLATE_INCONSISTENT);
	RV(kt_template_copy(&out, &src, unk, 1), CKR_ATTRIBUTE_TYPE_INVALID);
	RV(kt_template_copy(&out, &src, badb, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(kt_template_copy(&out, &src, nulv, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	RV(kt_template_copy(&out, &src, dup, 2), CKR_TEMPLATE_INCONSISTENT);
	RV(kt_template_copy(&out, &src, trusted, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy_ex(&out, &src, trusted, 1, 1), CKR_OK);
	CU_ASSERT(has_bool(&out, CKA_TRUSTED, CK_TRUE));
	kt_attrs_free(&out);
	kt_attrs_free(&src);

	/* one-way attributes against the source */
	aes_obj(&src, CK_TRUE, CK_FALSE);
	RV(kt_template_copy(&out, &src, unsens, 1), CKR_ATTRIBUTE_READ_ONLY);
	RV(kt_template_copy(&out, &src, extr, 1), CKR_ATTRIBUTE_READ_ONLY);
	/* a non-modifiable source can still be copied with changes (footnote 8) */
	kt_attrs_put_bool(&src, CKA_MODIFIABLE, CK_FALSE);
	RV(kt_template_copy(&out, &src, dup, 1), CKR_OK);
	kt_attrs_free(&out);
	/* not copyable */
	kt_attrs_put_bool(&src, CKA_COPYABLE, CK_FALSE);
	RV(kt_template_copy(&out, &src, NULL, 0), CKR_ACTION_PROHIBITED);
	RV(kt_template_copy(&out, &src, copyable, 1), CKR_ACTION_PROHIBITED);
	CU_ASSERT_EQUAL(out.n, 0);
	kt_attrs_free(&src);
}

/* ================= kt_attrs_match ================= */

static void t_match(void)
{
	kt_attrs o, tm;
	CK_ULONG other = CKO_DATA;
	CK_ATTRIBUTE m_cls[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE m_lbl[] = { AS(CKA_LABEL, "aes") };
	CK_ATTRIBUTE m_lbl_pre[] = { AS(CKA_LABEL, "ae") };
	CK_ATTRIBUTE m_other[] = { AV(CKA_CLASS, other) };
	CK_ATTRIBUTE m_absent[] = { A(CKA_MODULUS, mod, 3) };
	CK_ATTRIBUTE m_val[] = { A(CKA_VALUE, key16, 16) };
	CK_ATTRIBUTE m_null[] = { A(CKA_LABEL, NULL, 3) };
	CK_ATTRIBUTE m_empty_id[] = { A(CKA_ID, NULL, 0) };
	CK_ATTRIBUTE inner_a[] = { AV(CKA_SENSITIVE, yes), AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE inner_b[] = { AV(CKA_KEY_TYPE, k_aes), AV(CKA_SENSITIVE, yes) };
	CK_ATTRIBUTE inner_c[] = { AV(CKA_KEY_TYPE, k_aes) };
	CK_ATTRIBUTE inner_d[] = { AV(CKA_KEY_TYPE, k_aes), AV(CKA_SENSITIVE, no) };
	CK_ATTRIBUTE mk_t[] = { AV(CKA_CLASS, c_secret), AV(CKA_KEY_TYPE, k_aes), A(CKA_VALUE, key16, 16),
	                        AV(CKA_WRAP_TEMPLATE, inner_a), AV(CKA_EXTRACTABLE, no) };
	CK_ATTRIBUTE m_arr_b[] = { AV(CKA_WRAP_TEMPLATE, inner_b) };
	CK_ATTRIBUTE m_arr_c[] = { AV(CKA_WRAP_TEMPLATE, inner_c) };
	CK_ATTRIBUTE m_arr_d[] = { AV(CKA_WRAP_TEMPLATE, inner_d) };
	CK_ATTRIBUTE m_arr_bad[] = { A(CKA_WRAP_TEMPLATE, inner_b, 3) };

	aes_obj(&o, CK_FALSE, CK_TRUE);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, NULL, 0), 1);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, NULL, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_cls, 2), 1);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_lbl, 1), 1);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_lbl_pre, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_other, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_absent, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_val, 1), 1);      /* revealable: matches */
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_null, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_empty_id, 1), 1);
	kt_attrs_free(&o);

	aes_obj(&o, CK_TRUE, CK_TRUE);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_val, 1), 0);      /* sensitive: never */
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_cls, 2), 1);
	kt_attrs_free(&o);

	RV(kt_template_make(&o, mk_t, N(mk_t), KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE), CKR_OK);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_val, 1), 0);      /* unextractable: never */
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_arr_b, 1), 1);    /* same set, other order */
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_arr_c, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_arr_d, 1), 0);
	CU_ASSERT_EQUAL(kt_attrs_match(&o, m_arr_bad, 1), 0);

	kt_attrs_init(&tm);
	kt_attrs_put_ulong(&tm, CKA_KEY_TYPE, CKK_AES);
	kt_attrs_put_bool(&tm, CKA_EXTRACTABLE, CK_FALSE);
	CU_ASSERT_EQUAL(kt_attrs_match_attrs(&o, &tm), 1);
	kt_attrs_put_bool(&tm, CKA_SENSITIVE, CK_TRUE);
	CU_ASSERT_EQUAL(kt_attrs_match_attrs(&o, &tm), 0);
	kt_attrs_free(&tm);
	kt_attrs_init(&tm);
	CU_ASSERT_EQUAL(kt_attrs_match_attrs(&o, &tm), 1);
	kt_attrs_free(&o);
}

/* ================= secrets ================= */

static void t_secret(void)
{
	kt_attrs o;

	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_PRIVATE_EXPONENT));
	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_PRIME_1));
	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_PRIME_2));
	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_EXPONENT_1));
	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_EXPONENT_2));
	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_COEFFICIENT));
	CU_ASSERT(kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_VALUE));
	CU_ASSERT(kt_attr_is_secret(CKO_SECRET_KEY, CKA_VALUE));
	CU_ASSERT(!kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_MODULUS));
	CU_ASSERT(!kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_PUBLIC_EXPONENT));
	CU_ASSERT(!kt_attr_is_secret(CKO_PRIVATE_KEY, CKA_EC_PARAMS));
	CU_ASSERT(!kt_attr_is_secret(CKO_PUBLIC_KEY, CKA_VALUE));
	CU_ASSERT(!kt_attr_is_secret(CKO_DATA, CKA_VALUE));
	CU_ASSERT(!kt_attr_is_secret(CKO_CERTIFICATE, CKA_VALUE));
	CU_ASSERT(!kt_attr_is_secret(CKO_SECRET_KEY, CKA_VALUE_LEN));
	CU_ASSERT(!kt_attr_is_secret(CKO_SECRET_KEY, CKA_CHECK_VALUE));
	CU_ASSERT(kt_attr_is_template(CKA_WRAP_TEMPLATE));
	CU_ASSERT(kt_attr_is_template(CKA_UNWRAP_TEMPLATE));
	CU_ASSERT(kt_attr_is_template(CKA_DERIVE_TEMPLATE));
	CU_ASSERT(!kt_attr_is_template(CKA_ALLOWED_MECHANISMS));

	kt_attrs_init(&o);
	kt_attrs_put_ulong(&o, CKA_CLASS, CKO_SECRET_KEY);
	kt_attrs_put(&o, CKA_VALUE, key16, 16);
	CU_ASSERT(kt_attr_hidden(&o, CKA_VALUE));                /* no flags: hidden */
	kt_attrs_put_bool(&o, CKA_SENSITIVE, CK_FALSE);
	CU_ASSERT(kt_attr_hidden(&o, CKA_VALUE));
	kt_attrs_put_bool(&o, CKA_EXTRACTABLE, CK_TRUE);
	CU_ASSERT(!kt_attr_hidden(&o, CKA_VALUE));
	CU_ASSERT(!kt_attr_hidden(&o, CKA_LABEL));
	kt_attrs_free(&o);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "container", t_container },
		{ "container_many", t_container_many },
		{ "codec_roundtrip", t_codec_roundtrip },
		{ "codec_layout", t_codec_layout },
		{ "codec_truncations", t_codec_truncations },
		{ "codec_bad", t_codec_bad },
		{ "codec_nested", t_codec_nested },
		{ "codec_fuzz", t_codec_fuzz },
		{ "make_data", t_make_data },
		{ "make_args", t_make_args },
		{ "make_class", t_make_class },
		{ "make_types", t_make_types },
		{ "make_dups", t_make_dups },
		{ "make_values", t_make_values },
		{ "make_readonly", t_make_readonly },
		{ "make_required", t_make_required },
		{ "make_keytype", t_make_keytype },
		{ "make_defaults", t_make_defaults },
		{ "make_cert", t_make_cert },
		{ "make_trusted", t_make_trusted },
		{ "make_nested", t_make_nested },
		{ "get_basic", t_get_basic },
		{ "get_sensitive", t_get_sensitive },
		{ "get_sensitive_rsa", t_get_sensitive_rsa },
		{ "get_mixed", t_get_mixed },
		{ "get_array", t_get_array },
		{ "set_basic", t_set_basic },
		{ "set_oneway", t_set_oneway },
		{ "set_classes", t_set_classes },
		{ "set_atomic", t_set_atomic },
		{ "copy", t_copy },
		{ "match", t_match },
		{ "secret", t_secret },
	};
	CU_pSuite s;
	unsigned fails;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("attrs", NULL, NULL);
	if (s == NULL)
		return 2;
	for (i = 0; i < N(tests); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails != 0;
}
