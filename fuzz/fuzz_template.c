/* fuzz_template.c - the attribute rules (module/attr_template.c,
 * attr_rules.c): kt_template_make_ex, kt_attrs_get, kt_attrs_match,
 * kt_template_copy_ex, kt_attrs_set, with application templates decoded
 * from the input, nested CKA_*_TEMPLATE arrays included (format: fz.h).
 *
 * Input: flags:u8 cls:u8 keytype:u8, then up to four templates separated by
 * 0xfe: [0] C_CreateObject-like (make), [1] C_SetAttributeValue,
 * [2] C_CopyObject, [3] C_GetAttributeValue / C_FindObjects.
 *   flags bits 0-2: kt_make (% 5; 4 = KT_MAKE_COPY, which make refuses)
 *   bit 3: is_so; bit 4: class given by the caller (cls byte) instead of the
 *   template; bit 5: key type given (keytype byte).
 * Properties: a failed make/copy leaves an empty container; a failed set
 * leaves the object byte-for-byte unchanged (atomic); a made object has a
 * class, encodes/decodes identically, and survives the object codec
 * (kt_obj_encode/decode/open) unchanged; a length query followed by reads
 * into buffers of exactly those lengths never gives CKR_BUFFER_TOO_SMALL;
 * hidden (sensitive) values never come out. */
#include <errno.h>
#include "fz.h"
#include "kt.h"

static uint8_t *enc(const kt_attrs *a, size_t *n)
{
	uint8_t *p = NULL;

	if (kt_attrs_encode(a, NULL, &p, n) != 0)
		return NULL;
	return p;
}

static void check_get(const kt_attrs *obj, const fz_tmpl *q)
{
	CK_ATTRIBUTE *t;
	CK_ULONG i;
	CK_RV rv;

	if (q->n == 0)
		return;
	t = calloc(q->n, sizeof *t);
	if (t == NULL)
		return;
	for (i = 0; i < q->n; i++)
		t[i].type = q->v[i].type;
	rv = kt_attrs_get(obj, t, q->n);
	FZ_ASSERT(rv != CKR_BUFFER_TOO_SMALL, "length query gave BUFFER_TOO_SMALL");
	for (i = 0; i < q->n; i++) {
		if (kt_attr_hidden(obj, t[i].type))
			FZ_ASSERT(t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION,
			          "hidden 0x%lx has a length", t[i].type);
		if (t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
			t[i].pValue = calloc(1, t[i].ulValueLen + 1);
	}
	rv = kt_attrs_get(obj, t, q->n);
	FZ_ASSERT(rv != CKR_BUFFER_TOO_SMALL, "exact-size buffers gave BUFFER_TOO_SMALL");
	for (i = 0; i < q->n; i++) {
		const kt_attr *x = kt_attrs_find(obj, t[i].type);
		if (t[i].pValue != NULL && x != NULL && !kt_attr_is_template(t[i].type) &&
		    t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
			FZ_ASSERT(t[i].ulValueLen == x->len &&
			          (x->len == 0 || memcmp(t[i].pValue, x->val, x->len) == 0),
			          "value of 0x%lx read back wrong", t[i].type);
		free(t[i].pValue);
	}
	/* the application's own template, as a search and as a read: buffers
	 * as the application gave them (sizes may be wrong; must not overflow) */
	(void)kt_attrs_match(obj, q->v, q->n);
	free(t);
}

static void check_codec(const kt_attrs *obj)
{
	kt_object *o = calloc(1, sizeof *o);
	kt_attrs back;
	uint8_t *p = NULL;
	size_t n = 0, i;
	bool priv = kt_attrs_bool(obj, CKA_PRIVATE, CK_FALSE);
	int r;

	if (o == NULL)
		return;
	r = kt_obj_encode(obj, fz_objid, priv, fz_key, fz_uuid, &p, &n);
	FZ_ASSERT(r == 0 || r == -ENOMEM, "obj_encode rc %d", r);
	if (r == 0)
		r = kt_obj_decode(p, n, o);
	FZ_ASSERT(r == 0 || r == -ENOMEM, "obj_decode of a made object: %d", r);
	if (r == 0) {
		atomic_init(&o->refs, 1);
		r = kt_obj_open(o, fz_key, fz_uuid, &back);
		FZ_ASSERT(r == 0 || r == -ENOMEM, "obj_open of a made object: %d", r);
		if (r == 0) {
			FZ_ASSERT(back.n == obj->n, "codec: %zu attributes became %zu", obj->n, back.n);
			for (i = 0; i < obj->n; i++) {
				const kt_attr *x = kt_attrs_find(&back, obj->v[i].type);
				FZ_ASSERT(x != NULL && x->len == obj->v[i].len &&
				          (x->len == 0 || !memcmp(x->val, obj->v[i].val, x->len)),
				          "codec changed 0x%lx", obj->v[i].type);
			}
			/* secrets never travel in the clear part */
			for (i = 0; i < o->attrs.n; i++)
				FZ_ASSERT(!kt_attr_is_secret(o->cls, o->attrs.v[i].type),
				          "secret 0x%lx in the clear part", o->attrs.v[i].type);
			kt_attrs_free(&back);
		}
		kt_obj_put(o);
	} else {
		free(o);
	}
	if (p != NULL)
		kt_wipe(p, n);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fz_in in = { d, n, 0 };
	uint8_t flags = 0, cb = 0, kb = 0, *e1 = NULL, *e2 = NULL;
	size_t l1 = 0, l2 = 0;
	fz_tmpls ts;
	kt_attrs obj, cp, dec;
	kt_make how;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	int is_so;
	CK_RV rv;

	if (fz_u8(&in, &flags) < 0 || fz_u8(&in, &cb) < 0 || fz_u8(&in, &kb) < 0)
		return 0;
	how = (kt_make)((flags & 7) % 5);
	is_so = (flags >> 3) & 1;
	cls = flags & 0x10 ? fz_ulong_of(cb) : KT_FROM_TEMPLATE;
	kt = flags & 0x20 ? fz_ulong_of(kb) : KT_FROM_TEMPLATE;
	fz_tmpls_read(&in, &ts);

	rv = kt_template_make_ex(&obj, ts.t[0].v, ts.t[0].n, how, cls, kt, is_so);
	if (how == KT_MAKE_COPY)
		FZ_ASSERT(rv == CKR_ARGUMENTS_BAD, "KT_MAKE_COPY accepted by make: 0x%lx", rv);
	if (rv != CKR_OK) {
		FZ_ASSERT(obj.n == 0 && obj.v == NULL, "failed make left %zu attributes", obj.n);
		goto out;
	}
	FZ_ASSERT(kt_attrs_find(&obj, CKA_CLASS) != NULL, "made object without a class");
	if (cls != KT_FROM_TEMPLATE)
		FZ_ASSERT(kt_attrs_ulong(&obj, CKA_CLASS, 0) == cls, "class differs from the given one");

	/* attrs codec round trip */
	e1 = enc(&obj, &l1);
	FZ_ASSERT(e1 != NULL, "made object does not encode");
	kt_attrs_init(&dec);
	FZ_ASSERT(kt_attrs_decode(&dec, e1, l1) == 0, "made object's encoding does not decode");
	e2 = enc(&dec, &l2);
	FZ_ASSERT(e2 && l1 == l2 && !memcmp(e1, e2, l1), "encode/decode/encode differs");
	kt_attrs_free(&dec);
	free(e2);
	e2 = NULL;

	check_codec(&obj);
	check_get(&obj, &ts.t[3]);

	rv = kt_template_copy_ex(&cp, &obj, ts.t[2].v, ts.t[2].n, is_so);
	if (rv == CKR_OK) {
		FZ_ASSERT(kt_attrs_ulong(&cp, CKA_CLASS, 1) == kt_attrs_ulong(&obj, CKA_CLASS, 2),
		          "copy changed the class");
		FZ_ASSERT(kt_attrs_find(&cp, CKA_UNIQUE_ID) == NULL, "copy kept CKA_UNIQUE_ID");
		check_codec(&cp);
		kt_attrs_free(&cp);
	} else {
		FZ_ASSERT(cp.n == 0, "failed copy left attributes");
	}

	rv = kt_attrs_set(&obj, ts.t[1].v, ts.t[1].n, is_so);
	e2 = enc(&obj, &l2);
	FZ_ASSERT(e2 != NULL, "object does not encode after set");
	if (rv != CKR_OK)
		FZ_ASSERT(l1 == l2 && !memcmp(e1, e2, l1), "failed set (0x%lx) changed the object", rv);
	else
		check_codec(&obj);
	check_get(&obj, &ts.t[0]);
	kt_attrs_free(&obj);
out:
	free(e1);
	free(e2);
	fz_tmpls_free(&ts);
	return 0;
}
