/* crypt_keys.c - C_GenerateKey(Pair), C_WrapKey, C_UnwrapKey, C_DeriveKey:
 * templates, the key attributes the spec sets on new keys (base 3.0 4.7 -
 * 4.10, 5.18), the wrap / unwrap / derive templates of the key used, and
 * storage through kt_object_new.  The families only fill key material. */
#include <stdlib.h>
#include <string.h>
#include "crypt.h"

/* kt_object_new's session rules, checked before the (maybe slow) work;
 * kt_object_new checks them again. */
static CK_RV may_store(const kt_session *s, const kt_attrs *a)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(a, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	int who = s->app->login[s->tok->slot];
	bool tok = kt_attrs_bool(a, CKA_TOKEN, CK_FALSE);

	if (tok && !(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (kt_attrs_bool(a, CKA_PRIVATE, CK_FALSE) && who != KT_LOGGED_USER)
		return CKR_USER_NOT_LOGGED_IN;
	if (tok && (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY) && who == KT_LOGGED_OUT)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

/* Remove an object this call stored, whatever its CKA_DESTROYABLE. */
static void unstore(kt_session *s, CK_OBJECT_HANDLE h)
{
	kt_object *o;

	if (h != CK_INVALID_HANDLE && kt_store_lookup(s->tok, h, &o) == CKR_OK) {
		(void)kt_store_remove(s->tok, o);
		kt_obj_put(o);
	}
}

/* base 4.9 / 4.10: CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE of a new
 * private or secret key.  `was_sensitive` / `was_never_ext`: CK_TRUE for a
 * generated key, the base key's values for a derived one. */
static CK_RV set_history(kt_attrs *a, CK_BBOOL was_sensitive, CK_BBOOL was_never_ext)
{
	CK_BBOOL sens = kt_attrs_bool(a, CKA_SENSITIVE, CK_FALSE);
	CK_BBOOL ext = kt_attrs_bool(a, CKA_EXTRACTABLE, CK_TRUE);
	CK_RV rv;

	rv = kt_attrs_put_bool(a, CKA_ALWAYS_SENSITIVE, was_sensitive && sens);
	if (rv == CKR_OK)
		rv = kt_attrs_put_bool(a, CKA_NEVER_EXTRACTABLE, was_never_ext && !ext);
	return rv;
}

static CK_RV set_origin(kt_attrs *a, CK_BBOOL local, CK_MECHANISM_TYPE gen)
{
	CK_RV rv = kt_attrs_put_bool(a, CKA_LOCAL, local);

	if (rv == CKR_OK)
		rv = kt_attrs_put_ulong(a, CKA_KEY_GEN_MECHANISM, gen);
	return rv;
}

CK_RV kt_generate_key(kt_session *s, const CK_MECHANISM *pm, const CK_ATTRIBUTE *t,
                      CK_ULONG n, CK_OBJECT_HANDLE *h)
{
	const kt_mech *m;
	kt_attrs key;
	CK_RV rv;

	if ((t == NULL && n != 0) || h == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_mech_for(pm, KT_FN_GENERATE, &m);
	if (rv == CKR_OK && m->ops->generate == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = kt_template_make_ex(&key, t, n, KT_MAKE_GENERATE, CKO_SECRET_KEY, m->key_type,
	                         kt_session_is_so(s));
	if (rv != CKR_OK)
		return rv;
	rv = may_store(s, &key);
	if (rv == CKR_OK)
		rv = m->ops->generate(m, pm, &key);
	if (rv == CKR_OK)
		rv = set_origin(&key, CK_TRUE, m->type);
	if (rv == CKR_OK)
		rv = set_history(&key, CK_TRUE, CK_TRUE);
	if (rv == CKR_OK)
		rv = kt_key_import_check(&key);
	if (rv == CKR_OK)
		rv = kt_object_new(s, &key, h);
	kt_attrs_free(&key);
	return rv;
}

CK_RV kt_generate_key_pair(kt_session *s, const CK_MECHANISM *pm,
                           const CK_ATTRIBUTE *pt, CK_ULONG pn,
                           const CK_ATTRIBUTE *vt, CK_ULONG vn,
                           CK_OBJECT_HANDLE *hpub, CK_OBJECT_HANDLE *hpriv)
{
	const kt_mech *m;
	kt_attrs pub, priv;
	CK_OBJECT_HANDLE hp = CK_INVALID_HANDLE;
	bool so = kt_session_is_so(s);
	CK_RV rv;

	if ((pt == NULL && pn != 0) || (vt == NULL && vn != 0) || hpub == NULL || hpriv == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_mech_for(pm, KT_FN_GENERATE_PAIR, &m);
	if (rv == CKR_OK && m->ops->generate_pair == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = kt_template_make_ex(&pub, pt, pn, KT_MAKE_GENERATE, CKO_PUBLIC_KEY, m->key_type, so);
	if (rv != CKR_OK)
		return rv;
	rv = kt_template_make_ex(&priv, vt, vn, KT_MAKE_GENERATE, CKO_PRIVATE_KEY, m->key_type, so);
	if (rv != CKR_OK) {
		kt_attrs_free(&pub);
		return rv;
	}
	rv = may_store(s, &pub);
	if (rv == CKR_OK)
		rv = may_store(s, &priv);
	if (rv == CKR_OK)
		rv = m->ops->generate_pair(m, pm, &pub, &priv);
	if (rv == CKR_OK)
		rv = set_origin(&pub, CK_TRUE, m->type);
	if (rv == CKR_OK)
		rv = set_origin(&priv, CK_TRUE, m->type);
	if (rv == CKR_OK)
		rv = set_history(&priv, CK_TRUE, CK_TRUE);
	if (rv == CKR_OK)
		rv = kt_object_new(s, &pub, &hp);
	if (rv == CKR_OK) {
		rv = kt_object_new(s, &priv, hpriv);
		if (rv != CKR_OK)
			unstore(s, hp);
		else
			*hpub = hp;
	}
	kt_attrs_free(&pub);
	kt_attrs_free(&priv);
	return rv;
}

/* ---- wrap ---- */

static CK_RV wrapping_rv(CK_RV rv)
{
	if (rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID)
		return CKR_WRAPPING_KEY_HANDLE_INVALID;
	if (rv == CKR_KEY_TYPE_INCONSISTENT)
		return CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
	return rv;
}

static CK_RV unwrapping_rv(CK_RV rv)
{
	if (rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID)
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (rv == CKR_KEY_TYPE_INCONSISTENT)
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	return rv;
}

/* base 4.10 / 4.9: what makes a target unwrappable by this wrapping key. */
static CK_RV wrappable(const kt_attrs *wkey, const kt_attrs *target)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(target, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	kt_attrs wt;
	CK_RV rv;
	int ok;

	if (cls != CKO_SECRET_KEY && cls != CKO_PRIVATE_KEY)
		return CKR_KEY_NOT_WRAPPABLE;
	if (!kt_attrs_bool(target, CKA_EXTRACTABLE, CK_FALSE))
		return CKR_KEY_UNEXTRACTABLE;
	if (kt_attrs_bool(target, CKA_WRAP_WITH_TRUSTED, CK_FALSE) &&
	    !kt_attrs_bool(wkey, CKA_TRUSTED, CK_FALSE))
		return CKR_KEY_NOT_WRAPPABLE;
	rv = kt_attrs_get_template(wkey, CKA_WRAP_TEMPLATE, &wt);
	if (rv != CKR_OK)
		return rv;
	ok = kt_attrs_match_attrs(target, &wt);
	kt_attrs_free(&wt);
	return ok ? CKR_OK : CKR_KEY_NOT_WRAPPABLE;
}

CK_RV kt_wrap_key(kt_session *s, const CK_MECHANISM *pm, CK_OBJECT_HANDLE hw,
                  CK_OBJECT_HANDLE hk, CK_BYTE *out, CK_ULONG *outlen)
{
	const kt_mech *m;
	kt_key w = { 0 }, k = { 0 };
	CK_ULONG need = 0;
	CK_RV rv;

	if (outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_mech_for(pm, KT_FN_WRAP, &m);
	if (rv == CKR_OK && m->ops->wrap == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = wrapping_rv(kt_key_open(s, hw, &w));
	if (rv == CKR_OK)
		rv = wrapping_rv(kt_key_check(m, KT_FN_WRAP, w.attrs));
	if (rv == CKR_OK) {
		rv = kt_key_open(s, hk, &k);
		if (rv == CKR_OBJECT_HANDLE_INVALID)
			rv = CKR_KEY_HANDLE_INVALID;
	}
	if (rv == CKR_OK)
		rv = wrappable(w.attrs, k.attrs);
	/* the size first (families answer it cheaply), then the output convention */
	if (rv == CKR_OK)
		rv = m->ops->wrap(m, pm, w.attrs, k.attrs, NULL, &need);
	if (rv == CKR_OK) {
		if (out == NULL) {
			*outlen = need;
		} else if (*outlen < need) {
			*outlen = need;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			rv = m->ops->wrap(m, pm, w.attrs, k.attrs, out, outlen);
		}
	}
	kt_key_close(&k);
	kt_key_close(&w);
	return rv;
}

/* ---- templates from the key used: CKA_UNWRAP_TEMPLATE / CKA_DERIVE_TEMPLATE ----
 * "Any user supplied template is applied after this template as if the
 * object has already been created": the key's template attributes join the
 * application's; the same attribute with another value is
 * CKR_TEMPLATE_INCONSISTENT.  *out is malloc'ed (it points into t and into
 * `held`, which the caller frees after use). */
static CK_RV merge_template(const kt_attrs *key, CK_ATTRIBUTE_TYPE which,
                            const CK_ATTRIBUTE *t, CK_ULONG n, kt_attrs *held,
                            CK_ATTRIBUTE **out, CK_ULONG *outn)
{
	CK_ATTRIBUTE *v;
	CK_ULONG i, k = n;
	size_t j;
	CK_RV rv;

	*out = NULL;
	*outn = 0;
	rv = kt_attrs_get_template(key, which, held);
	if (rv != CKR_OK)
		return rv;
	v = calloc(n + held->n + 1, sizeof *v);
	if (v == NULL)
		return CKR_HOST_MEMORY;
	if (n != 0)
		memcpy(v, t, n * sizeof *v);
	for (j = 0; j < held->n; j++) {
		const kt_attr *a = &held->v[j];
		bool found = false;

		for (i = 0; i < n; i++) {
			if (t[i].type != a->type)
				continue;
			found = true;
			if (t[i].ulValueLen != a->len || (a->len != 0 &&
			    (t[i].pValue == NULL || memcmp(t[i].pValue, a->val, a->len) != 0))) {
				free(v);
				return CKR_TEMPLATE_INCONSISTENT;
			}
		}
		if (!found && !kt_attr_is_template(a->type)) {
			v[k].type = a->type;
			v[k].pValue = a->val;
			v[k].ulValueLen = a->len;
			k++;
		}
	}
	*out = v;
	*outn = k;
	return CKR_OK;
}

static bool has_attr(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (t[i].type == type)
			return true;
	return false;
}

CK_RV kt_unwrap_key(kt_session *s, const CK_MECHANISM *pm, CK_OBJECT_HANDLE hu,
                    const CK_BYTE *in, CK_ULONG n, const CK_ATTRIBUTE *t, CK_ULONG tn,
                    CK_OBJECT_HANDLE *h)
{
	const kt_mech *m;
	kt_key u = { 0 };
	kt_attrs held, key;
	CK_ATTRIBUTE *mt = NULL;
	CK_ULONG mn = 0;
	CK_RV rv;

	kt_attrs_init(&held);
	kt_attrs_init(&key);
	if ((in == NULL && n != 0) || (t == NULL && tn != 0) || h == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_mech_for(pm, KT_FN_UNWRAP, &m);
	if (rv == CKR_OK && m->ops->unwrap == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = unwrapping_rv(kt_key_open(s, hu, &u));
	if (rv == CKR_OK)
		rv = unwrapping_rv(kt_key_check(m, KT_FN_UNWRAP, u.attrs));
	if (rv == CKR_OK)
		rv = merge_template(u.attrs, CKA_UNWRAP_TEMPLATE, t, tn, &held, &mt, &mn);
	if (rv == CKR_OK)
		rv = kt_template_make_ex(&key, mt, mn, KT_MAKE_UNWRAP, KT_FROM_TEMPLATE,
		                         KT_FROM_TEMPLATE, kt_session_is_so(s));
	if (rv == CKR_OK)
		rv = may_store(s, &key);
	if (rv == CKR_OK)
		rv = m->ops->unwrap(m, pm, u.attrs, in, n, &key);
	/* base 5.18: unwrapped keys are neither local nor "always" anything */
	if (rv == CKR_OK)
		rv = set_origin(&key, CK_FALSE, CK_UNAVAILABLE_INFORMATION);
	if (rv == CKR_OK && kt_attrs_find(&key, CKA_ALWAYS_SENSITIVE) != NULL)
		rv = set_history(&key, CK_FALSE, CK_FALSE);
	if (rv == CKR_OK) {
		rv = kt_key_import_check(&key);
		if (rv == CKR_ATTRIBUTE_VALUE_INVALID)
			rv = CKR_WRAPPED_KEY_INVALID;    /* the material does not fit the template */
	}
	if (rv == CKR_OK)
		rv = kt_object_new(s, &key, h);
	free(mt);
	kt_attrs_free(&held);
	kt_attrs_free(&key);
	kt_key_close(&u);
	return rv;
}

/* ---- derive ---- */

typedef struct {
	kt_session *s;
} keyopen_ctx;

/* kt_keyopen for families: another key of the parameter (HKDF salt key). */
static CK_RV open_other(const kt_keyopen *ko, CK_OBJECT_HANDLE h, kt_attrs *out)
{
	keyopen_ctx *c = ko->ctx;
	kt_key k;
	CK_RV rv;

	kt_attrs_init(out);
	rv = kt_key_open(c->s, h, &k);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = kt_attrs_copy(out, k.attrs);
	kt_key_close(&k);
	return rv;
}

/* One derived object's attributes from its template and the base key's
 * CKA_DERIVE_TEMPLATE.  Data derivations (KT_MX_DERIVE_DATA) make a CKO_DATA
 * object; CKA_VALUE_LEN, which data objects lack, is taken out of the
 * template and handed to the family on `key`. */
static CK_RV derive_template(kt_session *s, const kt_mech *m, const kt_attrs *base,
                             const CK_ATTRIBUTE *t, CK_ULONG n, kt_attrs *key)
{
	kt_attrs held;
	CK_ATTRIBUTE *mt = NULL, *dt = NULL;
	CK_ULONG mn = 0, i, k = 0, vlen = 0;
	bool have_len = false;
	CK_RV rv;

	kt_attrs_init(key);
	rv = merge_template(base, CKA_DERIVE_TEMPLATE, t, n, &held, &mt, &mn);
	if (rv != CKR_OK)
		goto out;
	if (m->xflags & KT_MX_DERIVE_DATA) {
		dt = calloc(mn + 1, sizeof *dt);
		if (dt == NULL) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		for (i = 0; i < mn; i++) {
			if (mt[i].type != CKA_VALUE_LEN) {
				dt[k++] = mt[i];
				continue;
			}
			if (mt[i].pValue == NULL || mt[i].ulValueLen != sizeof(CK_ULONG)) {
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			memcpy(&vlen, mt[i].pValue, sizeof vlen);
			have_len = true;
		}
		rv = have_len ? CKR_OK : CKR_TEMPLATE_INCOMPLETE;
		if (rv == CKR_OK)
			rv = kt_template_make_ex(key, dt, k, KT_MAKE_DERIVE, CKO_DATA, KT_FROM_TEMPLATE,
			                         kt_session_is_so(s));
		if (rv == CKR_OK)
			rv = kt_attrs_put_ulong(key, CKA_VALUE_LEN, vlen);
	} else {
		/* the class is the template's, a secret key when it says nothing */
		rv = kt_template_make_ex(key, mt, mn, KT_MAKE_DERIVE,
		                         has_attr(mt, mn, CKA_CLASS) ? KT_FROM_TEMPLATE : CKO_SECRET_KEY,
		                         KT_FROM_TEMPLATE, kt_session_is_so(s));
	}
	if (rv == CKR_OK)
		rv = may_store(s, key);
out:
	if (rv != CKR_OK)
		kt_attrs_free(key);
	free(dt);
	free(mt);
	kt_attrs_free(&held);
	return rv;
}

/* After the family: the attributes the spec gives derived keys (base 4.9:
 * ALWAYS_SENSITIVE / NEVER_EXTRACTABLE follow the base key). */
static CK_RV derive_finish(const kt_mech *m, const kt_attrs *base, kt_attrs *key)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_RV rv;

	if (m->xflags & KT_MX_DERIVE_DATA) {
		kt_attrs_del(key, CKA_VALUE_LEN);
		return kt_attrs_find(key, CKA_VALUE) != NULL ? CKR_OK : CKR_GENERAL_ERROR;
	}
	rv = set_origin(key, CK_FALSE, CK_UNAVAILABLE_INFORMATION);
	if (rv == CKR_OK && (cls == CKO_SECRET_KEY || cls == CKO_PRIVATE_KEY))
		rv = set_history(key, kt_attrs_bool(base, CKA_ALWAYS_SENSITIVE, CK_FALSE),
		                 kt_attrs_bool(base, CKA_NEVER_EXTRACTABLE, CK_FALSE));
	if (rv == CKR_OK)
		rv = kt_key_import_check(key);
	return rv;
}

CK_RV kt_derive_key(kt_session *s, const CK_MECHANISM *pm, CK_OBJECT_HANDLE hb,
                    const CK_ATTRIBUTE *t, CK_ULONG tn, CK_OBJECT_HANDLE *h)
{
	const kt_mech *m;
	const CK_DERIVED_KEY *extra = NULL;
	keyopen_ctx kc = { s };
	kt_keyopen ko = { open_other, &kc };
	kt_key b = { 0 };
	kt_attrs *keys = NULL;
	CK_OBJECT_HANDLE *hs = NULL;
	CK_ULONG nx = 0, i, made = 0;
	CK_RV rv;

	if ((t == NULL && tn != 0) || h == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_mech_for(pm, KT_FN_DERIVE, &m);
	if (rv == CKR_OK && m->ops->derive == NULL && m->ops->derive_ex == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return rv;
	rv = kt_key_open(s, hb, &b);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK)
		rv = kt_key_check(m, KT_FN_DERIVE, b.attrs);
	if (rv == CKR_OK && m->ops->derive_extra != NULL && m->ops->derive_ex != NULL)
		rv = m->ops->derive_extra(pm, &extra, &nx);
	if (rv != CKR_OK) {
		nx = 0;
		goto out;
	}
	for (i = 0; i < nx; i++)
		if (extra[i].phKey == NULL || (extra[i].pTemplate == NULL && extra[i].ulAttributeCount != 0)) {
			rv = CKR_MECHANISM_PARAM_INVALID;
			goto out;
		}
	keys = calloc(nx + 1, sizeof *keys);
	hs = calloc(nx + 1, sizeof *hs);
	if (keys == NULL || hs == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (made = 0; rv == CKR_OK && made <= nx; made++)
		rv = made == 0 ? derive_template(s, m, b.attrs, t, tn, &keys[0])
		               : derive_template(s, m, b.attrs, extra[made - 1].pTemplate,
		                                 extra[made - 1].ulAttributeCount, &keys[made]);
	if (rv != CKR_OK)
		goto out;
	rv = m->ops->derive_ex != NULL ? m->ops->derive_ex(m, pm, b.attrs, &ko, keys, nx + 1)
	                               : m->ops->derive(m, pm, b.attrs, &keys[0]);
	for (i = 0; rv == CKR_OK && i <= nx; i++)
		rv = derive_finish(m, b.attrs, &keys[i]);
	for (i = 0; rv == CKR_OK && i <= nx; i++)
		rv = kt_object_new(s, &keys[i], &hs[i]);
	if (rv != CKR_OK) {
		for (i = 0; i <= nx; i++)
			unstore(s, hs[i]);
		goto out;
	}
	*h = hs[0];
	for (i = 0; i < nx; i++)
		*extra[i].phKey = hs[i + 1];
out:
	if (rv != CKR_OK)
		for (i = 0; i < nx; i++)
			if (extra[i].phKey != NULL)
				*extra[i].phKey = CK_INVALID_HANDLE;
	for (i = 0; keys != NULL && i < made && i <= nx; i++)
		kt_attrs_free(&keys[i]);
	free(keys);
	free(hs);
	kt_key_close(&b);
	return rv;
}
