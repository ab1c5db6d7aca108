/* attr_template.c - templates against the rules of attr_rules.c: building a
 * new object (C_CreateObject / GenerateKey(Pair) / UnwrapKey / DeriveKey),
 * C_CopyObject, C_GetAttributeValue, C_SetAttributeValue, C_FindObjects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "attrs.h"
#include "attr_rules.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values in their stored form ---- */

/* A template value as the container stores it: borrowed from the template,
 * or (attribute arrays) an owned encoding. */
typedef struct {
	const uint8_t *p;
	size_t len;
	uint8_t *owned;
} kt_sval;

static void sval_free(kt_sval *s)
{
	if (s->owned != NULL) {
		explicit_bzero(s->owned, s->len);
		free(s->owned);
	}
	s->owned = NULL;
	s->p = NULL;
	s->len = 0;
}

static int same_bytes(const kt_attr *x, const uint8_t *p, size_t len)
{
	return x->len == len && (len == 0 || memcmp(x->val, p, len) == 0);
}

/* Validates the entries of a nested CK_ATTRIBUTE array (each a spec
 * attribute, not itself an array, of a valid size; duplicates identical) and
 * encodes them.  Problems are CKR_ATTRIBUTE_VALUE_INVALID: they make the
 * outer attribute's value invalid. */
static CK_RV nested_encode(const CK_ATTRIBUTE *v, CK_ULONG cnt, kt_sval *s)
{
	const kt_atype *at;
	const kt_attr *prev;
	kt_attrs in;
	CK_ULONG i;
	int rc;
	CK_RV rv = CKR_OK;

	kt_attrs_init(&in);
	for (i = 0; i < cnt && rv == CKR_OK; i++) {
		at = kt_atype_find(v[i].type);
		if ((v[i].pValue == NULL && v[i].ulValueLen != 0) || at == NULL || at->kind == KT_K_TEMPLATE) {
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			break;
		}
		rv = kt_kind_check(at->kind, v[i].pValue, v[i].ulValueLen);
		if (rv != CKR_OK)
			break;
		prev = kt_attrs_find(&in, v[i].type);
		if (prev != NULL)
			rv = same_bytes(prev, v[i].pValue, v[i].ulValueLen) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
		else
			rv = kt_attrs_put(&in, v[i].type, v[i].pValue, v[i].ulValueLen);
	}
	if (rv == CKR_OK && in.n != 0) {
		rc = kt_attrs_encode(&in, NULL, &s->owned, &s->len);
		rv = rc == 0 ? CKR_OK : rc == -ENOMEM ? CKR_HOST_MEMORY : CKR_ATTRIBUTE_VALUE_INVALID;
		s->p = s->owned;
	}
	kt_attrs_free(&in);
	return rv;
}

/* Kind check, the rule's own check, and the stored form. */
static CK_RV sval_make(kt_sval *s, const kt_atype *at, const kt_arule *r, const CK_ATTRIBUTE *a)
{
	CK_RV rv;

	s->p = a->pValue;
	s->len = a->ulValueLen;
	s->owned = NULL;
	rv = kt_kind_check(at->kind, a->pValue, a->ulValueLen);
	if (rv == CKR_OK && r != NULL && r->check != NULL)
		rv = r->check(a->pValue, a->ulValueLen);
	if (rv == CKR_OK && at->kind == KT_K_TEMPLATE) {
		s->p = NULL;
		s->len = 0;
		rv = nested_encode(a->pValue, a->ulValueLen / sizeof(CK_ATTRIBUTE), s);
	}
	if (rv != CKR_OK)
		sval_free(s);
	return rv;
}

/* base 4.1.1: a NULL pValue with a non-zero length is an invalid value. */
static CK_RV null_values(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (t[i].pValue == NULL && t[i].ulValueLen != 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

static int seen_before(const CK_ATTRIBUTE *t, CK_ULONG i)
{
	CK_ULONG j;

	for (j = 0; j < i; j++)
		if (t[j].type == t[i].type)
			return 1;
	return 0;
}

/* Puts s unless the same type came earlier in this template: then it must
 * be identical (base 4.1.1 item 5: two different values for the same
 * attribute are inconsistent). */
static CK_RV put_once(kt_attrs *out, const CK_ATTRIBUTE *t, CK_ULONG i, const kt_sval *s)
{
	const kt_attr *prev = kt_attrs_find(out, t[i].type);

	if (seen_before(t, i) && prev != NULL)
		return same_bytes(prev, s->p, s->len) ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
	return kt_attrs_put(out, t[i].type, s->p, s->len);
}

/* ---- kt_template_make ---- */

/* Footnotes that forbid / require an attribute, per kind of call. */
static const uint16_t kt_forbid[] = {
	[KT_MAKE_CREATE] = KT_F2,
	[KT_MAKE_GENERATE] = KT_F4,
	[KT_MAKE_UNWRAP] = KT_F6,
	[KT_MAKE_DERIVE] = KT_F4,
};
static const uint16_t kt_need[] = {
	[KT_MAKE_CREATE] = KT_F1,
	[KT_MAKE_GENERATE] = KT_F3,
	[KT_MAKE_UNWRAP] = KT_F5,
	[KT_MAKE_DERIVE] = 0,
};

/* The template's value of a selector attribute (CKA_CLASS, CKA_KEY_TYPE,
 * CKA_CERTIFICATE_TYPE), reconciled with what the caller imposes. */
static CK_RV selector(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG given, CK_ULONG *val)
{
	CK_ULONG i, v;
	int found = 0;

	*val = given;
	for (i = 0; i < n; i++) {
		if (t[i].type != type)
			continue;
		if (t[i].ulValueLen != sizeof(CK_ULONG))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		memcpy(&v, t[i].pValue, sizeof(v));
		if ((found && v != *val) || (given != KT_FROM_TEMPLATE && v != given))
			return CKR_TEMPLATE_INCONSISTENT;
		*val = v;
		found = 1;
	}
	return (given == KT_FROM_TEMPLATE && !found) ? CKR_TEMPLATE_INCOMPLETE : CKR_OK;
}

static CK_RV resolve_kind(const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_CLASS cls, CK_KEY_TYPE keytype,
                          const kt_profile **p)
{
	CK_ATTRIBUTE_TYPE sa;
	CK_ULONG c = 0, sub = KT_SUB_NONE;
	CK_RV rv;

	*p = NULL;
	rv = selector(t, n, CKA_CLASS, cls, &c);
	if (rv == CKR_OK && cls == KT_FROM_TEMPLATE && !kt_class_known(c))
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (rv != CKR_OK)
		return rv;
	sa = kt_class_subattr(c);
	if (sa == CKA_CERTIFICATE_TYPE)
		keytype = KT_FROM_TEMPLATE;          /* a mechanism never implies one */
	if (sa != KT_SUB_NONE) {
		rv = selector(t, n, sa, keytype, &sub);
		if (rv == CKR_OK && keytype == KT_FROM_TEMPLATE && !kt_sub_known(c, sub))
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (rv == CKR_OK) {
		*p = kt_profile_find(c, sub);
		if (*p == NULL)
			rv = CKR_TEMPLATE_INCONSISTENT;  /* e.g. a secret key of type CKK_RSA */
	}
	return rv;
}

static CK_RV make_one(kt_attrs *out, const kt_profile *p, const CK_ATTRIBUTE *t, CK_ULONG i,
                      kt_make how, int is_so)
{
	const kt_atype *at = kt_atype_find(t[i].type);
	const kt_arule *r;
	kt_sval s;
	CK_RV rv;

	if (at == NULL)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	r = kt_profile_rule(p, t[i].type);
	if (r == NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	if (t[i].type == CKA_CLASS || t[i].type == kt_class_subattr(p->cls))
		return CKR_OK;                        /* resolve_kind did these */
	if (r->flags & kt_forbid[how])
		return CKR_ATTRIBUTE_READ_ONLY;
	rv = sval_make(&s, at, r, &t[i]);
	if (rv != CKR_OK)
		return rv;
	if ((r->flags & KT_F10) && s.p[0] == CK_TRUE && !is_so)
		rv = CKR_ATTRIBUTE_READ_ONLY;
	else
		rv = put_once(out, t, i, &s);
	sval_free(&s);
	return rv;
}

/* Calls fn for every rule of the profile until one fails. */
static CK_RV each_rule(const kt_profile *p, CK_RV (*fn)(const kt_arule *r, kt_attrs *out, const void *ud),
                       kt_attrs *out, const void *ud)
{
	size_t l, i;
	CK_RV rv = CKR_OK;

	for (l = 0; l < KT_MAX_LAYERS && p->layers[l] != NULL && rv == CKR_OK; l++)
		for (i = 0; i < p->layers[l]->n && rv == CKR_OK; i++)
			rv = fn(&p->layers[l]->v[i], out, ud);
	return rv;
}

static CK_RV need_one(const kt_arule *r, kt_attrs *out, const void *ud)
{
	const uint16_t *need = ud;

	if ((r->flags & *need) && kt_attrs_find(out, r->type) == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	return CKR_OK;
}

static CK_RV default_one(const kt_arule *r, kt_attrs *out, const void *ud)
{
	const CK_OBJECT_CLASS *cls = ud;
	CK_BBOOL b;

	if (r->dflt == KT_D_NONE || kt_attrs_find(out, r->type) != NULL)
		return CKR_OK;
	if (r->dflt == KT_D_ULONG)
		return kt_attrs_put_ulong(out, r->type, r->dval);
	if (r->dflt == KT_D_EMPTY)
		return kt_attrs_put(out, r->type, NULL, 0);
	b = r->dflt == KT_D_TRUE;
	if (r->dflt == KT_D_PRIVATE)
		b = *cls == CKO_PRIVATE_KEY || *cls == CKO_SECRET_KEY;
	return kt_attrs_put_bool(out, r->type, b);
}

CK_RV kt_template_make_ex(kt_attrs *out, const CK_ATTRIBUTE *tmpl, CK_ULONG n, kt_make how,
                          CK_OBJECT_CLASS cls, CK_KEY_TYPE keytype, int is_so)
{
	const kt_profile *p = NULL;
	CK_ATTRIBUTE_TYPE sa;
	CK_ULONG i;
	CK_RV rv = CKR_OK;

	kt_attrs_init(out);
	if ((unsigned)how >= N(kt_forbid) || (tmpl == NULL && n > 0))
		return CKR_ARGUMENTS_BAD;
	rv = null_values(tmpl, n);
	if (rv == CKR_OK)
		rv = resolve_kind(tmpl, n, cls, keytype, &p);
	if (rv == CKR_OK)
		rv = kt_attrs_put_ulong(out, CKA_CLASS, p->cls);
	sa = rv == CKR_OK ? kt_class_subattr(p->cls) : KT_SUB_NONE;
	if (rv == CKR_OK && sa != KT_SUB_NONE)
		rv = kt_attrs_put_ulong(out, sa, p->sub);
	for (i = 0; i < n && rv == CKR_OK; i++)
		rv = make_one(out, p, tmpl, i, how, is_so);
	if (rv == CKR_OK)
		rv = each_rule(p, need_one, out, &kt_need[how]);
	if (rv == CKR_OK)
		rv = each_rule(p, default_one, out, &p->cls);
	if (rv == CKR_OK && p->finish != NULL)
		rv = p->finish(out, how);
	if (rv != CKR_OK)
		kt_attrs_free(out);
	return rv;
}

CK_RV kt_template_make(kt_attrs *out, const CK_ATTRIBUTE *tmpl, CK_ULONG n, kt_make how,
                       CK_OBJECT_CLASS cls, CK_KEY_TYPE keytype)
{
	return kt_template_make_ex(out, tmpl, n, how, cls, keytype, 0);
}

/* ---- changes to an existing object: C_SetAttributeValue, C_CopyObject ---- */

enum { KT_CH_SET, KT_CH_COPY };

/* One entry of a change template.  orig is the object as it was (for the
 * one-way footnotes), work receives the change. */
static CK_RV change_one(kt_attrs *work, const kt_attrs *orig, const kt_profile *p,
                        const CK_ATTRIBUTE *t, CK_ULONG i, int mode, int is_so)
{
	const kt_atype *at = kt_atype_find(t[i].type);
	uint16_t can = KT_F8 | KT_F10 | KT_F11 | KT_F12 | (mode == KT_CH_COPY ? KT_FCOPY : 0);
	const kt_arule *r;
	CK_BBOOL now, cur;
	kt_sval s;
	CK_RV rv;

	if (at == NULL)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	r = kt_profile_rule(p, t[i].type);
	if (r == NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	if ((r->flags & can) == 0)
		return CKR_ATTRIBUTE_READ_ONLY;
	rv = sval_make(&s, at, r, &t[i]);
	if (rv != CKR_OK)
		return rv;
	if (r->flags & (KT_F10 | KT_F11 | KT_F12)) {
		now = s.p[0];
		cur = kt_attrs_bool(orig, t[i].type, r->dflt == KT_D_TRUE);
		if (((r->flags & KT_F11) && cur && !now) ||
		    ((r->flags & KT_F12) && !cur && now) ||
		    ((r->flags & KT_F10) && !is_so && (now || cur)))
			rv = CKR_ATTRIBUTE_READ_ONLY;
	}
	if (rv == CKR_OK)
		rv = put_once(work, t, i, &s);
	sval_free(&s);
	return rv;
}

static CK_RV apply_changes(kt_attrs *work, const kt_attrs *orig, const kt_profile *p,
                           const CK_ATTRIBUTE *t, CK_ULONG n, int mode, int is_so)
{
	CK_ULONG i;
	CK_RV rv = null_values(t, n);

	for (i = 0; i < n && rv == CKR_OK; i++)
		rv = change_one(work, orig, p, t, i, mode, is_so);
	return rv;
}

CK_RV kt_template_copy_ex(kt_attrs *out, const kt_attrs *src, const CK_ATTRIBUTE *tmpl, CK_ULONG n, int is_so)
{
	const kt_profile *p;
	CK_RV rv;

	kt_attrs_init(out);
	if (tmpl == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	p = kt_profile_of(src);
	if (!kt_attrs_bool(src, CKA_COPYABLE, CK_TRUE) || p == NULL)
		return CKR_ACTION_PROHIBITED;
	rv = kt_attrs_copy(out, src);
	if (rv == CKR_OK) {
		kt_attrs_del(out, CKA_UNIQUE_ID);
		rv = apply_changes(out, src, p, tmpl, n, KT_CH_COPY, is_so);
	}
	if (rv != CKR_OK)
		kt_attrs_free(out);
	return rv;
}

CK_RV kt_template_copy(kt_attrs *out, const kt_attrs *src, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	return kt_template_copy_ex(out, src, tmpl, n, 0);
}

CK_RV kt_attrs_set(kt_attrs *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n, int is_so)
{
	const kt_profile *p;
	kt_attrs work;
	CK_RV rv;

	if (tmpl == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	p = kt_profile_of(obj);
	if (!kt_attrs_bool(obj, CKA_MODIFIABLE, CK_TRUE) || p == NULL)
		return CKR_ACTION_PROHIBITED;
	rv = kt_attrs_copy(&work, obj);
	if (rv == CKR_OK)
		rv = apply_changes(&work, obj, p, tmpl, n, KT_CH_SET, is_so);
	if (rv == CKR_OK) {
		kt_attrs_free(obj);
		*obj = work;
	} else {
		kt_attrs_free(&work);
	}
	return rv;
}

/* ---- C_GetAttributeValue ---- */

int kt_attr_hidden(const kt_attrs *obj, CK_ATTRIBUTE_TYPE t)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(obj, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);

	if (!kt_attr_is_secret(cls, t))
		return 0;
	return kt_attrs_bool(obj, CKA_SENSITIVE, CK_TRUE) || !kt_attrs_bool(obj, CKA_EXTRACTABLE, CK_FALSE);
}

CK_RV kt_attrs_get_template(const kt_attrs *obj, CK_ATTRIBUTE_TYPE t, kt_attrs *out)
{
	const kt_attr *x = kt_attrs_find(obj, t);
	int rc = 0;

	kt_attrs_init(out);
	if (x != NULL && x->len != 0)
		rc = kt_attrs_decode(out, x->val, x->len);
	return rc == 0 ? CKR_OK : rc == -ENOMEM ? CKR_HOST_MEMORY : CKR_GENERAL_ERROR;
}

/* base 5.7 cases 3-5 for one plain value. */
static CK_RV get_plain(const uint8_t *val, CK_ULONG len, CK_ATTRIBUTE *a)
{
	if (a->pValue == NULL) {
		a->ulValueLen = len;
		return CKR_OK;
	}
	if (a->ulValueLen < len) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (len != 0)
		memcpy(a->pValue, val, len);
	a->ulValueLen = len;
	return CKR_OK;
}

/* base 5.7, attribute arrays: the outer length is the CK_ATTRIBUTE array's
 * size; inside, the type is set and each value follows cases 3-5. */
static CK_RV get_array(const kt_attrs *obj, CK_ATTRIBUTE_TYPE t, CK_ATTRIBUTE *a)
{
	CK_ATTRIBUTE *inner = a->pValue;
	kt_attrs in;
	CK_ULONG need;
	size_t i;
	CK_RV rv = kt_attrs_get_template(obj, t, &in);

	need = (CK_ULONG)(in.n * sizeof(CK_ATTRIBUTE));
	if (rv != CKR_OK) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
	} else if (a->pValue == NULL) {
		a->ulValueLen = need;
	} else if (a->ulValueLen < need) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		rv = CKR_BUFFER_TOO_SMALL;
	} else {
		for (i = 0; i < in.n; i++) {
			inner[i].type = in.v[i].type;
			if (get_plain(in.v[i].val, in.v[i].len, &inner[i]) != CKR_OK)
				rv = CKR_BUFFER_TOO_SMALL;
		}
		a->ulValueLen = need;
	}
	kt_attrs_free(&in);
	return rv;
}

/* Which error wins when several entries failed (the spec allows any). */
static const CK_RV kt_get_precedence[] = {
	CKR_HOST_MEMORY, CKR_GENERAL_ERROR,
	CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID, CKR_BUFFER_TOO_SMALL,
};

CK_RV kt_attrs_get(const kt_attrs *obj, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	unsigned seen = 0;
	const kt_attr *x;
	CK_ULONG i;
	size_t k;
	CK_RV r;

	if (tmpl == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++) {
		x = kt_attrs_find(obj, tmpl[i].type);
		if (kt_attr_hidden(obj, tmpl[i].type))
			r = CKR_ATTRIBUTE_SENSITIVE;
		else if (x == NULL)
			r = CKR_ATTRIBUTE_TYPE_INVALID;
		else if (kt_attr_is_template(tmpl[i].type))
			r = get_array(obj, tmpl[i].type, &tmpl[i]);
		else
			r = get_plain(x->val, x->len, &tmpl[i]);
		if (r == CKR_ATTRIBUTE_SENSITIVE || r == CKR_ATTRIBUTE_TYPE_INVALID)
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
		for (k = 0; k < N(kt_get_precedence); k++)
			if (r == kt_get_precedence[k])
				seen |= 1u << k;
	}
	for (k = 0; k < N(kt_get_precedence); k++)
		if (seen & (1u << k))
			return kt_get_precedence[k];
	return CKR_OK;
}

/* ---- C_FindObjects ---- */

/* An attribute-array search value against the stored template: the same
 * set of inner attributes. */
static int match_array(const kt_attrs *obj, const CK_ATTRIBUTE *a)
{
	const CK_ATTRIBUTE *inner = a->pValue;
	CK_ULONG cnt = a->ulValueLen / sizeof(CK_ATTRIBUTE), i;
	const kt_attr *x;
	kt_attrs in;
	int ok;

	if (a->ulValueLen % sizeof(CK_ATTRIBUTE) != 0 || kt_attrs_get_template(obj, a->type, &in) != CKR_OK)
		return 0;
	ok = in.n == cnt;
	for (i = 0; i < cnt && ok; i++) {
		x = kt_attrs_find(&in, inner[i].type);
		ok = x != NULL && (inner[i].pValue != NULL || inner[i].ulValueLen == 0) &&
		     same_bytes(x, inner[i].pValue, inner[i].ulValueLen);
	}
	kt_attrs_free(&in);
	return ok;
}

int kt_attrs_match(const kt_attrs *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const kt_attr *x;
	CK_ULONG i;
	int ok = !(tmpl == NULL && n > 0);

	for (i = 0; i < n && ok; i++) {
		x = kt_attrs_find(obj, tmpl[i].type);
		if (x == NULL || kt_attr_hidden(obj, tmpl[i].type) ||
		    (tmpl[i].pValue == NULL && tmpl[i].ulValueLen != 0))
			ok = 0;
		else if (kt_attr_is_template(tmpl[i].type))
			ok = match_array(obj, &tmpl[i]);
		else
			ok = same_bytes(x, tmpl[i].pValue, tmpl[i].ulValueLen);
	}
	return ok;
}

int kt_attrs_match_attrs(const kt_attrs *obj, const kt_attrs *tmpl)
{
	const kt_attr *x;
	size_t i;
	int ok = 1;

	for (i = 0; i < tmpl->n && ok; i++) {
		x = kt_attrs_find(obj, tmpl->v[i].type);
		ok = x != NULL && same_bytes(x, tmpl->v[i].val, tmpl->v[i].len);
	}
	return ok;
}
