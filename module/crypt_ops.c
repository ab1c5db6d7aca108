/* crypt_ops.c - C_Encrypt*, C_Decrypt*, C_Sign*, C_Verify*, C_Digest*: the
 * spec's operation rules, written once for every mechanism (base 3.0 5.8 -
 * 5.13 and the output convention of 5.2):
 *
 *   - one operation of each kind per session: Init while active ->
 *     CKR_OPERATION_ACTIVE; the other calls without one ->
 *     CKR_OPERATION_NOT_INITIALIZED;
 *   - Init with pMechanism NULL_PTR terminates the active operation (3.0:
 *     "C_EncryptInit can be called with pMechanism set to NULL_PTR to
 *     terminate an active encryption operation"); CKR_OK also when none is;
 *   - a call always terminates the operation, except CKR_BUFFER_TOO_SMALL,
 *     a successful length query (output NULL_PTR), an Update that succeeds,
 *     and CKR_USER_NOT_LOGGED_IN for a missing CKU_CONTEXT_SPECIFIC login
 *     (the login may still come: the operation waits for it);
 *   - the one-shot call after an Update -> CKR_OPERATION_ACTIVE, and, by the
 *     same rule ("C_Encrypt always terminates the active encryption
 *     operation unless ..."), the operation ends;
 *   - CKA_ALWAYS_AUTHENTICATE keys: Init asks for the context login, every
 *     call before it gets CKR_USER_NOT_LOGGED_IN, and a completed operation
 *     consumes it.
 */
#include <stdlib.h>
#include "crypt.h"

static void crypt_free(kt_op *op)
{
	kt_crypt *c = (kt_crypt *)op;
	kt_object *o = c->obj;

	c->fam_free(op);                 /* may still use the object's keycache */
	kt_obj_put(o);
}

static kt_crypt *op_get(kt_session *s, int kind)
{
	return (kt_crypt *)s->op[kind];
}

/* Kinds whose operations may wait for a context login. */
static bool ctx_kind(int kind)
{
	return kind == KT_OP_DECRYPT || kind == KT_OP_SIGN || kind == KT_OP_SIGN_RECOVER;
}

static void op_end(kt_session *s, int kind)
{
	kt_crypt *c = op_get(s, kind);
	static const int kinds[] = { KT_OP_DECRYPT, KT_OP_SIGN, KT_OP_SIGN_RECOVER };
	bool other = false;
	size_t i;

	if (c == NULL)
		return;
	if (c->ctx_auth) {
		/* the login covers one operation; another may still wait for its own */
		for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if (kinds[i] != kind && s->op[kinds[i]] != NULL &&
			    op_get(s, kinds[i])->ctx_auth)
				other = true;
		s->ctx_login = false;
		s->ctx_pending = other;
	}
	kt_session_set_op(s, kind, NULL);
}

/* End the operation unless rv keeps it alive (ending it also consumes a
 * context login). */
static CK_RV settle(kt_session *s, int kind, CK_RV rv)
{
	if (rv != CKR_BUFFER_TOO_SMALL)
		op_end(s, kind);
	return rv;
}

CK_RV kt_crypt_init(kt_session *s, int kind, const CK_MECHANISM *pm, CK_OBJECT_HANDLE h)
{
	const kt_mech *m;
	kt_key k = { 0 };
	kt_crypt *c = NULL;
	CK_RV rv;

	if (pm == NULL) {
		op_end(s, kind);
		return CKR_OK;
	}
	if (s->op[kind] != NULL)
		return CKR_OPERATION_ACTIVE;
	rv = kt_mech_for(pm, kind, &m);
	if (rv == CKR_OK && m->ops->init == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv != CKR_OK)
		return rv;
	if (kind != KT_OP_DIGEST) {
		rv = kt_key_open(s, h, &k);
		if (rv == CKR_OBJECT_HANDLE_INVALID)
			rv = CKR_KEY_HANDLE_INVALID;
		if (rv == CKR_OK)
			rv = kt_key_check(m, kind, k.attrs);
	}
	if (rv == CKR_OK)
		rv = m->ops->init(m, pm, k.attrs, k.cache, kind, &c);
	if (rv != CKR_OK) {
		kt_key_close(&k);
		return rv;
	}
	c->mech = m;
	c->kind = kind;
	c->multipart = false;
	c->fam_free = c->op.free;
	c->op.free = crypt_free;
	c->ctx_auth = ctx_kind(kind) && k.attrs != NULL &&
	              kt_attrs_bool(k.attrs, CKA_ALWAYS_AUTHENTICATE, CK_FALSE);
	c->obj = k.o;                        /* the op keeps the reference */
	k.o = NULL;
	if (c->ctx_auth) {
		s->ctx_pending = true;
		s->ctx_login = false;
	}
	kt_session_set_op(s, kind, &c->op);
	return CKR_OK;
}

/* The checks every data call makes before touching the operation. */
static CK_RV begin(kt_session *s, int kind, kt_crypt **c)
{
	*c = op_get(s, kind);
	if (*c == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((*c)->ctx_auth && !s->ctx_login)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

/* The output convention (base 5.2), once: NULL output = length query,
 * short buffer = CKR_BUFFER_TOO_SMALL with the length; 1 = go on. */
static int room(CK_BYTE *out, CK_ULONG *outlen, CK_ULONG need, CK_RV *rv)
{
	if (out == NULL) {
		*outlen = need;
		*rv = CKR_OK;
		return 0;
	}
	if (*outlen < need) {
		*outlen = need;
		*rv = CKR_BUFFER_TOO_SMALL;
		return 0;
	}
	return 1;
}

CK_RV kt_crypt_oneshot(kt_session *s, int kind, const CK_BYTE *in, CK_ULONG n,
                       CK_BYTE *out, CK_ULONG *outlen)
{
	kt_crypt *c;
	CK_RV rv = begin(s, kind, &c);

	if (rv != CKR_OK)
		return rv;
	if ((in == NULL && n != 0) || outlen == NULL)
		return settle(s, kind, CKR_ARGUMENTS_BAD);
	if (c->multipart)
		return settle(s, kind, CKR_OPERATION_ACTIVE);
	if (c->mech->ops->oneshot == NULL)
		return settle(s, kind, CKR_FUNCTION_NOT_SUPPORTED);
	if (!room(out, outlen, c->mech->ops->out_len(c, n, true), &rv))
		return rv == CKR_OK ? rv : settle(s, kind, rv);
	return settle(s, kind, c->mech->ops->oneshot(c, in, n, out, outlen));
}

CK_RV kt_crypt_update(kt_session *s, int kind, const CK_BYTE *in, CK_ULONG n,
                      CK_BYTE *out, CK_ULONG *outlen)
{
	bool emits = kind == KT_OP_ENCRYPT || kind == KT_OP_DECRYPT;
	kt_crypt *c;
	CK_RV rv = begin(s, kind, &c);

	if (rv != CKR_OK)
		return rv;
	if ((in == NULL && n != 0) || (emits && outlen == NULL))
		return settle(s, kind, CKR_ARGUMENTS_BAD);
	if (c->mech->ops->update == NULL)
		return settle(s, kind, CKR_FUNCTION_NOT_SUPPORTED);
	if (emits && !room(out, outlen, c->mech->ops->out_len(c, n, false), &rv))
		return rv == CKR_OK ? rv : settle(s, kind, rv);
	c->multipart = true;
	rv = c->mech->ops->update(c, in, n, emits ? out : NULL, emits ? outlen : NULL);
	if (rv != CKR_OK)
		op_end(s, kind);
	return rv;
}

CK_RV kt_crypt_final(kt_session *s, int kind, CK_BYTE *out, CK_ULONG *outlen)
{
	kt_crypt *c;
	CK_RV rv = begin(s, kind, &c);

	if (rv != CKR_OK)
		return rv;
	if (outlen == NULL)
		return settle(s, kind, CKR_ARGUMENTS_BAD);
	if (c->mech->ops->final == NULL)
		return settle(s, kind, CKR_FUNCTION_NOT_SUPPORTED);
	if (!room(out, outlen, c->mech->ops->out_len(c, 0, true), &rv))
		return rv == CKR_OK ? rv : settle(s, kind, rv);
	return settle(s, kind, c->mech->ops->final(c, out, outlen));
}

CK_RV kt_crypt_verify(kt_session *s, const CK_BYTE *in, CK_ULONG n,
                      const CK_BYTE *sig, CK_ULONG siglen)
{
	kt_crypt *c;
	CK_RV rv = begin(s, KT_OP_VERIFY, &c);

	if (rv != CKR_OK)
		return rv;
	if ((in == NULL && n != 0) || (sig == NULL && siglen != 0))
		rv = CKR_ARGUMENTS_BAD;
	else if (c->multipart)
		rv = CKR_OPERATION_ACTIVE;
	else if (c->mech->ops->verify == NULL)
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else
		rv = c->mech->ops->verify(c, in, n, sig, siglen);
	op_end(s, KT_OP_VERIFY);             /* verification never keeps the op */
	return rv;
}

CK_RV kt_crypt_verify_final(kt_session *s, const CK_BYTE *sig, CK_ULONG siglen)
{
	kt_crypt *c;
	CK_RV rv = begin(s, KT_OP_VERIFY, &c);

	if (rv != CKR_OK)
		return rv;
	if (sig == NULL && siglen != 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (c->mech->ops->verify_final == NULL)
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else
		rv = c->mech->ops->verify_final(c, sig, siglen);
	op_end(s, KT_OP_VERIFY);
	return rv;
}

CK_RV kt_crypt_digest_key(kt_session *s, CK_OBJECT_HANDLE h)
{
	kt_crypt *c;
	kt_key k;
	CK_RV rv = begin(s, KT_OP_DIGEST, &c);

	if (rv != CKR_OK)
		return rv;
	rv = kt_key_open(s, h, &k);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK) {
		if (kt_attrs_ulong(k.attrs, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_SECRET_KEY ||
		    c->mech->ops->digest_key == NULL)
			rv = CKR_KEY_INDIGESTIBLE;
		else {
			c->multipart = true;
			rv = c->mech->ops->digest_key(c, k.attrs);
		}
		kt_key_close(&k);
	}
	if (rv != CKR_OK)
		op_end(s, KT_OP_DIGEST);
	return rv;
}
