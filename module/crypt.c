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
 * Lookups.  kt_store_lookup brings the token's object cache up to the
 * keyring first, which costs keyring syscalls (a search from @u and a read,
 * ~10 us): more than a whole short AES-GCM or HMAC operation.  A key lookup
 * here syncs at most once per KEY_SYNC_NS per token and otherwise reads the
 * cache under the token's read lock.  Changes made in this process are in
 * the cache at once (the store updates it under the write lock); another
 * process's changes are seen within KEY_SYNC_NS, and a handle the cache
 * does not know always gets a full lookup.
 * XXX the store could offer this as kt_store_lookup_recent(). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypt.h"
#include "objmap.h"

#define KEY_SYNC_NS 1000000u             /* 1 ms */

static struct {
	_Atomic(kt_token *) tok;
	_Atomic uint64_t at;             /* CLOCK_MONOTONIC ns of the last sync */
} synced[KT_MAX_TOKENS];

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);     /* vDSO: no syscall */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static CK_RV lookup(kt_session *s, CK_OBJECT_HANDLE h, kt_object **out)
{
	kt_token *t = s->tok;
	CK_SLOT_ID slot = t->slot;
	uint64_t now = mono_ns();
	kt_object *o = NULL;
	CK_RV rv;

	*out = NULL;
	if (h != 0 && h <= INT32_MAX && slot < KT_MAX_TOKENS && !t->dead &&
	    atomic_load(&synced[slot].tok) == t && now - atomic_load(&synced[slot].at) < KEY_SYNC_NS) {
		pthread_rwlock_rdlock(&t->lock);
		o = kt_objmap_get(t->map, (kr_serial)h);
		if (o != NULL)
			*out = kt_obj_get(o);
		pthread_rwlock_unlock(&t->lock);
		if (o != NULL)
			return CKR_OK;
	}
	rv = kt_store_lookup(t, h, out);
	if ((rv == CKR_OK || rv == CKR_OBJECT_HANDLE_INVALID) && slot < KT_MAX_TOKENS) {
		atomic_store(&synced[slot].at, now);
		atomic_store(&synced[slot].tok, t);
	}
	return rv;
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
