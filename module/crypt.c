/* crypt.c - what every cryptographic function shares: opening a key object
 * for a mechanism, the spec's key checks, and the mechanism lookup.
 *
 * Prepared keys.  Opening an object's secrets costs an unseal and a copy of
 * every attribute; doing it per operation would dominate short messages.  So
 * the first use of a key object opens it once and parks the full attribute
 * set on the object (kt_object.cache, which this file owns: families get the
 * `fam` slot inside it).  Objects are immutable (a change makes a new
 * kt_object), so the copy can never be stale; it is wiped with the object.
 * Visibility and login are still checked on every open, exactly as
 * object.c's kt_object_open does: a cached key is no more usable than an
 * uncached one.
 *
 * Lookups go through kt_store_lookup: one read of the token's kt:gen key, so
 * a key destroyed by another process is refused at once.  Prepared keys are
 * purged when the last login to the token ends (kt_store_purge). */
#include <stdlib.h>
#include <string.h>
#include "crypt.h"
#include "objmap.h"

static CK_RV lookup(kt_session *s, CK_OBJECT_HANDLE h, kt_object **out)
{
	return kt_store_lookup(s->tok, h, out);
}

typedef struct {
	kt_attrs attrs;                  /* immutable once published */
	kt_keycache fam;                 /* the mechanism families' slot */
} keyprep;

static void prep_free(void *p)
{
	keyprep *k = p;
	void *f;

	if (k == NULL)
		return;
	f = atomic_load(&k->fam.p);
	if (f != NULL && k->fam.free != NULL)
		k->fam.free(f);
	kt_attrs_free(&k->attrs);
	free(k);
}

/* The rules of object.c (visible(), obj_key()) for an object we already
 * hold: another app's session object and, logged out, private objects do
 * not exist; token key material needs a login to be opened. */
static CK_RV may_use(const kt_session *s, const kt_object *o)
{
	int who = s->app->login[s->tok->slot];

	if (!o->token && o->app != s->app)
		return CKR_OBJECT_HANDLE_INVALID;
	if (o->priv && who != KT_LOGGED_USER)
		return CKR_OBJECT_HANDLE_INVALID;
	if (o->token && o->sealed != NULL && who == KT_LOGGED_OUT)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

static bool is_key_class(CK_OBJECT_CLASS c)
{
	return c == CKO_SECRET_KEY || c == CKO_PUBLIC_KEY || c == CKO_PRIVATE_KEY;
}

/* First use: open through object.c and publish the result on the object. */
static CK_RV prepare(kt_session *s, CK_OBJECT_HANDLE h, kt_object **o, keyprep **out)
{
	kt_object *o2 = NULL;
	keyprep *p;
	CK_RV rv;

	p = calloc(1, sizeof *p);
	if (p == NULL)
		return CKR_HOST_MEMORY;
	rv = kt_object_open(s, h, &o2, &p->attrs);
	if (rv != CKR_OK) {
		free(p);
		return rv;
	}
	if (o2 != *o) {                      /* replaced meanwhile: use the new one */
		kt_obj_put(*o);
		*o = o2;
	} else {
		kt_obj_put(o2);
	}
	if (!is_key_class(kt_attrs_ulong(&p->attrs, CKA_CLASS, CK_UNAVAILABLE_INFORMATION))) {
		prep_free(p);                    /* not a key: nothing worth keeping */
		return CKR_KEY_HANDLE_INVALID;
	}
	*out = kt_keycache_set(&(*o)->cache, p, prep_free);
	return CKR_OK;
}

CK_RV kt_key_open(kt_session *s, CK_OBJECT_HANDLE h, kt_key *k)
{
	kt_object *o = NULL;
	keyprep *p;
	CK_RV rv;

	memset(k, 0, sizeof *k);
	rv = lookup(s, h, &o);
	if (rv == CKR_OK)
		rv = may_use(s, o);
	if (rv != CKR_OK)
		goto fail;
	/* a public, clear non-key object is refused without opening anything */
	if (!o->priv && !is_key_class(o->cls)) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto fail;
	}
	if (atomic_load(&o->cache.p) != NULL && o->cache.free != prep_free) {
		kt_log_line("kerntok: object %d: foreign keycache", o->handle);
		rv = CKR_GENERAL_ERROR;
		goto fail;
	}
	p = atomic_load(&o->cache.p);
	if (p == NULL && (rv = prepare(s, h, &o, &p)) != CKR_OK)
		goto fail;
	k->o = o;
	k->attrs = &p->attrs;
	k->cache = &p->fam;
	return CKR_OK;
fail:
	kt_obj_put(o);
	return rv;
}

void kt_key_close(kt_key *k)
{
	if (k == NULL)
		return;
	kt_obj_put(k->o);
	memset(k, 0, sizeof *k);
}

bool kt_session_is_so(const kt_session *s)
{
	return s->app->login[s->tok->slot] == KT_LOGGED_SO;
}

/* What each function needs: the mechanism flag, the key's usage attribute,
 * and (asymmetric keys) whether it is the private half. */
static const struct {
	CK_FLAGS flag;
	CK_ATTRIBUTE_TYPE use;           /* 0: none */
	bool private_half;
} fn_tab[KT_FN_COUNT] = {
	[KT_OP_ENCRYPT] = { CKF_ENCRYPT, CKA_ENCRYPT, false },
	[KT_OP_DECRYPT] = { CKF_DECRYPT, CKA_DECRYPT, true },
	[KT_OP_DIGEST] = { CKF_DIGEST, 0, false },
	[KT_OP_SIGN] = { CKF_SIGN, CKA_SIGN, true },
	[KT_OP_VERIFY] = { CKF_VERIFY, CKA_VERIFY, false },
	[KT_OP_SIGN_RECOVER] = { CKF_SIGN_RECOVER, CKA_SIGN_RECOVER, true },
	[KT_OP_VERIFY_RECOVER] = { CKF_VERIFY_RECOVER, CKA_VERIFY_RECOVER, false },
	[KT_FN_WRAP] = { CKF_WRAP, CKA_WRAP, false },
	[KT_FN_UNWRAP] = { CKF_UNWRAP, CKA_UNWRAP, true },
	[KT_FN_DERIVE] = { CKF_DERIVE, CKA_DERIVE, true },
	[KT_FN_GENERATE] = { CKF_GENERATE, 0, false },
	[KT_FN_GENERATE_PAIR] = { CKF_GENERATE_KEY_PAIR, 0, false },
};

/* Mechanisms the current-mechanisms spec gives no parameter: one supplied
 * anyway is CKR_MECHANISM_PARAM_INVALID, not silently ignored. */
static const CK_MECHANISM_TYPE no_param[] = {
	CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS, CKM_RSA_X_509, CKM_MD5_RSA_PKCS,
	CKM_SHA1_RSA_PKCS, CKM_ECDSA_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDSA_SHA1,
	CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, CKM_SHA224_RSA_PKCS,
	CKM_SHA3_256_RSA_PKCS, CKM_SHA3_384_RSA_PKCS, CKM_SHA3_512_RSA_PKCS,
	CKM_SHA3_224_RSA_PKCS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
	CKM_ECDSA_SHA3_224, CKM_ECDSA_SHA3_256, CKM_ECDSA_SHA3_384, CKM_ECDSA_SHA3_512,
	CKM_SHA_1, CKM_SHA_1_HMAC, CKM_SHA256, CKM_SHA256_HMAC, CKM_SHA224, CKM_SHA224_HMAC,
	CKM_SHA384, CKM_SHA384_HMAC, CKM_SHA512, CKM_SHA512_HMAC,
	CKM_SHA3_256, CKM_SHA3_256_HMAC, CKM_SHA3_224, CKM_SHA3_224_HMAC,
	CKM_SHA3_384, CKM_SHA3_384_HMAC, CKM_SHA3_512, CKM_SHA3_512_HMAC,
	CKM_GENERIC_SECRET_KEY_GEN, CKM_AES_KEY_GEN, CKM_AES_ECB, CKM_AES_CMAC,
};

static bool takes_no_param(CK_MECHANISM_TYPE t)
{
	size_t i;

	for (i = 0; i < sizeof no_param / sizeof no_param[0]; i++)
		if (no_param[i] == t)
			return true;
	return false;
}

CK_RV kt_mech_for(const CK_MECHANISM *pm, int fn, const kt_mech **out)
{
	const kt_mech *m;

	*out = NULL;
	if (pm == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pm->pParameter == NULL && pm->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	m = kt_mech_find(pm->mechanism);
	if (m == NULL || fn < 0 || fn >= KT_FN_COUNT || !(m->flags & fn_tab[fn].flag))
		return CKR_MECHANISM_INVALID;
	if ((pm->pParameter != NULL || pm->ulParameterLen != 0) && takes_no_param(pm->mechanism))
		return CKR_MECHANISM_PARAM_INVALID;
	*out = m;
	return CKR_OK;
}

/* The generic-secret-like key types a CKK_GENERIC_SECRET mechanism admits. */
static bool generic_like(CK_KEY_TYPE t)
{
	switch (t) {
	case CKK_GENERIC_SECRET:
	case CKK_SHA_1_HMAC:
	case CKK_SHA224_HMAC:
	case CKK_SHA256_HMAC:
	case CKK_SHA384_HMAC:
	case CKK_SHA512_HMAC:
	case CKK_SHA3_224_HMAC:
	case CKK_SHA3_256_HMAC:
	case CKK_SHA3_384_HMAC:
	case CKK_SHA3_512_HMAC:
	case CKK_HKDF:
		return true;
	default:
		return false;
	}
}

static CK_RV type_ok(const kt_mech *m, int fn, CK_OBJECT_CLASS cls, CK_KEY_TYPE t)
{
	if (m->key_type == KT_KEY_ANY_SECRET)
		return cls == CKO_SECRET_KEY ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
	if (m->key_type == CKK_GENERIC_SECRET)
		return cls == CKO_SECRET_KEY && generic_like(t) ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
	if (m->key_type == KT_KEY_ECDH ? t != CKK_EC && t != CKK_EC_MONTGOMERY : t != m->key_type)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (kt_key_type_secret(t))
		return cls == CKO_SECRET_KEY ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
	if (cls != (fn_tab[fn].private_half ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY))
		return CKR_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

static bool mech_allowed(const kt_attrs *key, CK_MECHANISM_TYPE t)
{
	const kt_attr *a = kt_attrs_find(key, CKA_ALLOWED_MECHANISMS);
	CK_MECHANISM_TYPE v;
	CK_ULONG i;

	if (a == NULL || a->len == 0)
		return true;                     /* no restriction */
	for (i = 0; i + sizeof v <= a->len; i += sizeof v) {
		memcpy(&v, a->val + i, sizeof v);
		if (v == t)
			return true;
	}
	return false;
}

CK_RV kt_key_check(const kt_mech *m, int fn, const kt_attrs *key)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_KEY_TYPE t = kt_attrs_ulong(key, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	CK_RV rv;

	if (!is_key_class(cls))
		return CKR_KEY_HANDLE_INVALID;
	rv = type_ok(m, fn, cls, t);
	if (rv != CKR_OK)
		return rv;
	if (fn_tab[fn].use != 0 && !kt_attrs_bool(key, fn_tab[fn].use, CK_FALSE))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (!mech_allowed(key, m->type))
		return CKR_MECHANISM_INVALID;
	return CKR_OK;
}
