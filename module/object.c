/* object.c - C_CreateObject .. C_FindObjects: who may see and touch which
 * object (the spec's session/login rules); attribute rules live in attrs,
 * storage in store.c. */
#include <stdlib.h>
#include <string.h>
#include "kt.h"
#include "mech.h"

static bool visible(const kt_session *s, const kt_object *o)
{
	if (!o->token && o->app != s->app)
		return false;                   /* another caller's session object */
	if (o->priv && s->app->login[s->tok->slot] != KT_LOGGED_USER)
		return false;
	return true;
}

static CK_RV get_obj(kt_session *s, CK_OBJECT_HANDLE h, kt_object **out)
{
	CK_RV rv = kt_store_lookup(s->tok, h, out);

	if (rv == CKR_OK && !visible(s, *out)) {
		kt_obj_put(*out);
		*out = NULL;
		rv = CKR_OBJECT_HANDLE_INVALID;
	}
	return rv;
}

static const uint8_t *obj_key(kt_session *s, const kt_object *o)
{
	if (!o->token)
		return kt_session_key();
	return s->app->login[s->tok->slot] != KT_LOGGED_OUT ? kt_token_key(s->tok) : NULL;
}

/* All attributes; secrets included when this session may open them.
 * *opened says whether the sealed part is in `all`. */
static CK_RV obj_attrs(kt_session *s, const kt_object *o, kt_attrs *all, bool *opened)
{
	const uint8_t *key = obj_key(s, o);
	int r;

	*opened = false;
	if (o->sealed == NULL || key == NULL) {
		if (o->priv)
			return CKR_USER_NOT_LOGGED_IN;
		kt_attrs_init(all);
		return kt_attrs_copy(all, &o->attrs);
	}
	r = kt_obj_open(o, key, s->tok->meta.uuid, all);
	if (r < 0) {
		kt_log_line("kerntok: object %d does not open (%d)", o->handle, r);
		return CKR_GENERAL_ERROR;
	}
	*opened = true;
	return CKR_OK;
}

CK_RV kt_object_new(kt_session *s, kt_attrs *all, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(all, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	bool tok = kt_attrs_bool(all, CKA_TOKEN, CK_FALSE);
	bool priv = kt_attrs_bool(all, CKA_PRIVATE, CK_FALSE);
	int who = s->app->login[s->tok->slot];
	kt_object *o;
	CK_RV rv;

	if (tok && !(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (priv && who != KT_LOGGED_USER)
		return CKR_USER_NOT_LOGGED_IN;
	/* token key material is sealed under the storage key: a login opens it */
	if (tok && (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY) && who == KT_LOGGED_OUT)
		return CKR_USER_NOT_LOGGED_IN;
	rv = kt_store_add(s->tok, all, s, &o);
	if (rv == CKR_OK) {
		*h = (CK_OBJECT_HANDLE)o->handle;
		kt_obj_put(o);
	}
	return rv;
}

CK_RV kt_create_object(kt_session *s, CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *h)
{
	kt_attrs all;
	CK_RV rv;

	if ((t == NULL && n != 0) || h == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_template_make_ex(&all, t, n, KT_MAKE_CREATE, KT_FROM_TEMPLATE, KT_FROM_TEMPLATE,
	                         s->app->login[s->tok->slot] == KT_LOGGED_SO);
	if (rv != CKR_OK)
		return rv;
	rv = kt_key_import_check(&all);     /* keys: the family validates and computes */
	if (rv == CKR_OK)
		rv = kt_object_new(s, &all, h);
	kt_attrs_free(&all);
	return rv;
}

CK_RV kt_copy_object(kt_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n,
                     CK_OBJECT_HANDLE *out)
{
	kt_object *o = NULL;
	kt_attrs all, copy;
	bool opened;
	CK_RV rv;

	if ((t == NULL && n != 0) || out == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = get_obj(s, h, &o);
	if (rv != CKR_OK)
		return rv;
	rv = obj_attrs(s, o, &all, &opened);
	kt_obj_put(o);
	if (rv != CKR_OK)
		return rv;
	if (!opened && o->sealed != NULL) {
		kt_attrs_free(&all);
		return CKR_USER_NOT_LOGGED_IN;  /* cannot copy key bytes we cannot open */
	}
	rv = kt_template_copy_ex(&copy, &all, t, n, s->app->login[s->tok->slot] == KT_LOGGED_SO);
	kt_attrs_free(&all);
	if (rv != CKR_OK)
		return rv;
	rv = kt_object_new(s, &copy, out);
	kt_attrs_free(&copy);
	return rv;
}

CK_RV kt_destroy_object(kt_session *s, CK_OBJECT_HANDLE h)
{
	kt_object *o;
	CK_RV rv = get_obj(s, h, &o);

	if (rv != CKR_OK)
		return rv;
	if (o->token && !(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else if (!o->priv && !kt_attrs_bool(&o->attrs, CKA_DESTROYABLE, CK_TRUE))
		rv = CKR_ACTION_PROHIBITED;
	else if (o->priv) {
		kt_attrs all;
		bool opened;
		rv = obj_attrs(s, o, &all, &opened);
		if (rv == CKR_OK && !kt_attrs_bool(&all, CKA_DESTROYABLE, CK_TRUE))
			rv = CKR_ACTION_PROHIBITED;
		if (opened || rv == CKR_OK || rv == CKR_ACTION_PROHIBITED)
			kt_attrs_free(&all);
	}
	if (rv == CKR_OK)
		rv = kt_store_remove(s->tok, o);
	kt_obj_put(o);
	return rv;
}

CK_RV kt_get_object_size(kt_session *s, CK_OBJECT_HANDLE h, CK_ULONG *size)
{
	kt_object *o;
	CK_RV rv;

	if (size == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = get_obj(s, h, &o);
	if (rv == CKR_OK) {
		*size = o->size;
		kt_obj_put(o);
	}
	return rv;
}

CK_RV kt_get_attribute_value(kt_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n)
{
	kt_object *o;
	kt_attrs all;
	bool opened;
	CK_ULONG i;
	CK_RV rv, rv2;

	if (t == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	rv = get_obj(s, h, &o);
	if (rv != CKR_OK)
		return rv;
	rv = obj_attrs(s, o, &all, &opened);
	if (rv == CKR_OK) {
		rv = kt_attrs_get(&all, t, n);
		/* key bytes we could not open are as good as sensitive */
		for (i = 0; !opened && o->sealed != NULL && i < n; i++) {
			if (kt_attr_is_secret(o->cls, t[i].type)) {
				t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
				rv2 = CKR_ATTRIBUTE_SENSITIVE;
				if (rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID)
					rv = rv2;
			}
		}
		kt_attrs_free(&all);
	}
	kt_obj_put(o);
	return rv;
}

CK_RV kt_set_attribute_value(kt_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n)
{
	kt_object *o;
	kt_attrs all;
	bool opened;
	CK_RV rv;

	if (t == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	rv = get_obj(s, h, &o);
	if (rv != CKR_OK)
		return rv;
	if (o->token && !(s->flags & CKF_RW_SESSION)) {
		kt_obj_put(o);
		return CKR_SESSION_READ_ONLY;
	}
	rv = obj_attrs(s, o, &all, &opened);
	if (rv == CKR_OK && !opened && o->sealed != NULL)
		rv = CKR_USER_NOT_LOGGED_IN;    /* re-sealing needs the key */
	if (rv == CKR_OK)
		rv = kt_attrs_set(&all, t, n, s->app->login[s->tok->slot] == KT_LOGGED_SO);
	if (rv == CKR_OK)
		rv = kt_store_replace(s->tok, o, &all);
	if (opened || o->sealed == NULL)
		kt_attrs_free(&all);
	kt_obj_put(o);
	return rv;
}

/* ---- find ---- */

typedef struct {
	kt_op op;
	CK_OBJECT_HANDLE *h;
	size_t n, cap, pos;
} find_op;

typedef struct {
	kt_session *s;
	CK_ATTRIBUTE *t;
	CK_ULONG n;
	find_op *f;
	CK_RV rv;
} find_ctx;

static void find_free(kt_op *op)
{
	find_op *f = (find_op *)op;

	free(f->h);
	free(f);
}

static int find_one(void *ud, kt_object *o)
{
	find_ctx *c = ud;
	kt_attrs all;
	bool opened, hit;

	if (!visible(c->s, o))
		return 0;
	if (o->priv) {
		if (obj_attrs(c->s, o, &all, &opened) != CKR_OK)
			return 0;
		hit = kt_attrs_match(&all, c->t, c->n);
		kt_attrs_free(&all);
	} else {
		hit = kt_attrs_match(&o->attrs, c->t, c->n);
	}
	if (!hit)
		return 0;
	if (c->f->n == c->f->cap) {
		size_t nc = c->f->cap ? c->f->cap * 2 : 64;
		CK_OBJECT_HANDLE *nh = realloc(c->f->h, nc * sizeof *nh);
		if (nh == NULL) {
			c->rv = CKR_HOST_MEMORY;
			return 1;
		}
		c->f->h = nh;
		c->f->cap = nc;
	}
	c->f->h[c->f->n++] = (CK_OBJECT_HANDLE)o->handle;
	return 0;
}

CK_RV kt_find_init(kt_session *s, CK_ATTRIBUTE *t, CK_ULONG n)
{
	find_ctx c = { s, t, n, NULL, CKR_OK };
	CK_RV rv;

	if (t == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	if (s->op[KT_OP_FIND] != NULL)
		return CKR_OPERATION_ACTIVE;
	c.f = calloc(1, sizeof *c.f);
	if (c.f == NULL)
		return CKR_HOST_MEMORY;
	c.f->op.free = find_free;
	rv = kt_store_each(s->tok, find_one, &c);
	if (rv == CKR_OK)
		rv = c.rv;
	if (rv != CKR_OK) {
		find_free(&c.f->op);
		return rv;
	}
	kt_session_set_op(s, KT_OP_FIND, &c.f->op);
	return CKR_OK;
}

CK_RV kt_find(kt_session *s, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
	find_op *f = (find_op *)s->op[KT_OP_FIND];
	CK_ULONG k = 0;

	if (f == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((out == NULL && max != 0) || count == NULL)
		return CKR_ARGUMENTS_BAD;
	while (k < max && f->pos < f->n)
		out[k++] = f->h[f->pos++];
	*count = k;
	return CKR_OK;
}

CK_RV kt_find_final(kt_session *s)
{
	if (s->op[KT_OP_FIND] == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	kt_session_set_op(s, KT_OP_FIND, NULL);
	return CKR_OK;
}

CK_RV kt_object_open(kt_session *s, CK_OBJECT_HANDLE h, kt_object **out, kt_attrs *all)
{
	kt_object *o;
	bool opened;
	CK_RV rv = get_obj(s, h, &o);

	if (rv != CKR_OK)
		return rv;
	rv = obj_attrs(s, o, all, &opened);
	if (rv == CKR_OK && o->sealed != NULL && !opened) {
		kt_attrs_free(all);
		rv = CKR_USER_NOT_LOGGED_IN;
	}
	if (rv != CKR_OK) {
		kt_obj_put(o);
		return rv;
	}
	*out = o;
	return CKR_OK;
}
