/* store.c - the token's objects: kernel keyring (live, shared by every
 * process of the uid) + one file per object (persistence) + a per-process
 * cache of parsed objects.
 *
 * Keyring layout (keyctl show @u):
 *   kerntok:<store id>                 one per KERNTOK_DIR
 *     kt:token:<slot>:<label>          the token
 *       kt:gen                         generation counter, "loaded" marker
 *       kt:<class>:<objid> | kt:private:<objid>   one user key per object
 *
 * Every change of a token object happens under flock(token directory):
 * file first (atomic), then the key, then kt:gen is bumped.  Readers never
 * lock: they read kt:gen (one syscall) and re-sync their cache only when it
 * moved.  kt:gen carries the serials of recently modified objects, so a
 * re-sync re-reads only what changed.  If the token keyring is missing or
 * was cleared (no kt:gen), the next user rebuilds it from disk: in a
 * private keyring first, linked into the store only when complete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_int.h"

/* ---------- changes ---------- */

/* under flock(t->dirfd): bump kt:gen, logging `mod` (0: none) */
int kt_st_bump_gen(kt_token *t, kr_serial mod)
{
	gen_rec g;
	int r = kt_st_read_gen(t->gen_key, &g);

	if (r < 0)
		return r;
	g.gen++;
	if (mod != 0) {
		if (g.nmods == GEN_MODS) {
			memmove(&g.mods[0], &g.mods[1], sizeof g.mods[0] * (GEN_MODS - 1));
			g.nmods--;
		}
		g.mods[g.nmods].gen = g.gen;
		g.mods[g.nmods].serial = mod;
		g.nmods++;
	}
	return kr_update(t->gen_key, &g, sizeof g);
}

/* Lock order everywhere: t->lock, then the token directory's flock.  Once
 * both are held, re-check that our ring is still the live one (another
 * process may have rebuilt it after a `keyctl clear`); if not, sync again. */
static int change_begin(kt_token *t)
{
	char gd[64];
	kr_serial found;
	int r, tries;

	for (tries = 0; tries < 3; tries++) {
		CK_RV rv = kt_store_sync(t);
		if (rv != CKR_OK)
			return rv == CKR_TOKEN_NOT_PRESENT ? -ESTALE : -EIO;
		pthread_rwlock_wrlock(&t->lock);
		r = kt_disk_lock(t->dirfd);
		if (r < 0) {
			pthread_rwlock_unlock(&t->lock);
			return r;
		}
		kt_st_gen_desc(gd, sizeof gd, t);
		if (kr_search(KR_USER, "user", gd, &found) == 0 && found == t->gen_key)
			return 0;
		kt_disk_unlock(t->dirfd);
		pthread_rwlock_unlock(&t->lock);
	}
	return -ESTALE;
}

static void change_end(kt_token *t)
{
	kt_disk_unlock(t->dirfd);
	pthread_rwlock_unlock(&t->lock);
}

static int write_file(kt_token *t, const kt_object *o, const uint8_t *p, size_t n)
{
	char name[64];
	uint8_t *f = malloc(n + 32);
	int r;

	if (f == NULL)
		return -ENOMEM;
	memcpy(f, p, n);
	r = kt_mac(t->meta.mac_key, p, n, f + n);
	kt_st_obj_file(name, sizeof name, o->objid);
	if (r == 0)
		r = kt_disk_write(t->objfd, name, f, n + 32);
	free(f);
	return r;
}

CK_RV kt_store_add(kt_token *t, kt_attrs *all, kt_session *s, kt_object **out)
{
	bool tok = kt_attrs_bool(all, CKA_TOKEN, CK_FALSE);
	bool priv = kt_attrs_bool(all, CKA_PRIVATE, CK_FALSE);
	const uint8_t *key = tok ? kt_token_key(t) : kt_session_key();
	kt_object *o = calloc(1, sizeof *o), *d = NULL;
	uint8_t *p = NULL;
	char desc[96], name[64];
	size_t n = 0;
	int r, locked = 0, filed = 0;

	*out = NULL;
	if (o == NULL)
		return CKR_HOST_MEMORY;
	r = kt_random(o->objid, KT_OBJID_LEN);
	if (r == 0) {
		/* CKA_UNIQUE_ID (3.0): the object id, fixed for the object's life */
		char uid[2 * KT_OBJID_LEN + 1];
		kt_st_hex(uid, o->objid, KT_OBJID_LEN);
		if (kt_attrs_put(all, CKA_UNIQUE_ID, uid, 2 * KT_OBJID_LEN) != CKR_OK)
			r = -ENOMEM;
	}
	if (r == 0)
		r = kt_obj_encode(all, o->objid, priv, key, t->meta.uuid, &p, &n);
	if (r == 0 && n > MAX_PAYLOAD)
		r = -EDQUOT;                    /* refused before anything is written */
	if (r == -EACCES) {
		free(o);
		return CKR_USER_NOT_LOGGED_IN;
	}
	d = calloc(1, sizeof *d);
	if (r == 0 && d == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = kt_obj_decode(p, n, d);     /* the cached form is the stored form */
	if (r < 0)
		goto out;
	if (tok) {
		r = change_begin(t);
		if (r < 0)
			goto out;
		locked = 1;
		r = write_file(t, d, p, n);
		if (r < 0)
			goto out;
		filed = 1;
	}
	kt_st_obj_desc(desc, sizeof desc, d);
	r = kr_add(tok ? t->ring : (kr_serial)s->handle, "user", desc, p, n,
	           tok ? KR_PERM_SHARED : KR_PERM_PRIVATE, &d->handle);
	if (r == -EINVAL && n > 32767)
		r = -EDQUOT;                    /* bigger than a user key can hold */
	if (r < 0)
		goto out;
	if (tok && (r = kt_st_bump_gen(t, 0)) < 0) {
		(void)kr_invalidate(d->handle);
		goto out;
	}
	atomic_init(&d->refs, 2);          /* the map's and the caller's */
	d->token = tok;
	if (!tok) {
		d->owner = s;
		d->app = s->app;
		pthread_rwlock_wrlock(&t->lock);
	}
	r = kt_objmap_set(t->map, d);
	if (!tok)
		pthread_rwlock_unlock(&t->lock);
	if (r < 0) {
		atomic_store(&d->refs, 1);
		goto out;
	}
	*out = d;
	d = NULL;
out:
	if (r < 0 && filed) {
		kt_st_obj_file(name, sizeof name, o->objid);
		(void)unlinkat(t->objfd, name, 0);
	}
	if (locked)
		change_end(t);
	if (d != NULL) {
		atomic_init(&d->refs, 1);
		kt_obj_put(d);
	}
	free(o);
	free(p);
	return kt_rv_from_errno(r, "object store");
}

CK_RV kt_store_replace(kt_token *t, kt_object *old, const kt_attrs *all)
{
	const uint8_t *key = old->token ? kt_token_key(t) : kt_session_key();
	kt_object *d = calloc(1, sizeof *d);
	uint8_t *p = NULL;
	size_t n = 0;
	int r, locked = 0;

	if (d == NULL)
		return CKR_HOST_MEMORY;
	r = kt_obj_encode(all, old->objid, kt_attrs_bool(all, CKA_PRIVATE, CK_FALSE), key,
	                  t->meta.uuid, &p, &n);
	if (r == 0 && n > MAX_PAYLOAD)
		r = -EDQUOT;                    /* else the file would change and the key not */
	if (r == -EACCES) {
		free(d);
		return CKR_USER_NOT_LOGGED_IN;
	}
	if (r == 0)
		r = kt_obj_decode(p, n, d);
	if (r < 0)
		goto out;
	if (old->token) {
		r = change_begin(t);
		if (r < 0)
			goto out;
		locked = 1;
		/* log the intent first: if we die between the file and the key,
		 * kt_st_reconcile() finds the serial in kt:gen and rolls the key forward */
		r = kt_st_bump_gen(t, old->handle);
		if (r == 0)
			r = write_file(t, d, p, n);
	} else {
		pthread_rwlock_wrlock(&t->lock);
		locked = 2;
	}
	if (r == 0)
		r = kr_update(old->handle, p, n);
	if (r == 0 && old->token)
		r = kt_st_bump_gen(t, old->handle);
	if (r < 0)
		goto out;
	atomic_init(&d->refs, 1);
	d->handle = old->handle;
	d->token = old->token;
	d->owner = old->owner;
	d->app = old->app;
	r = kt_objmap_set(t->map, d);      /* the old one goes when its users let go */
	if (r == 0)
		d = NULL;
out:
	if (locked == 1)
		change_end(t);
	else if (locked == 2)
		pthread_rwlock_unlock(&t->lock);
	if (d != NULL) {
		atomic_init(&d->refs, 1);
		kt_obj_put(d);
	}
	free(p);
	return kt_rv_from_errno(r, "object store");
}

CK_RV kt_store_remove(kt_token *t, kt_object *o)
{
	char name[64];
	int r = 0;

	if (o->token) {
		r = change_begin(t);
		if (r < 0)
			return kt_rv_from_errno(r, "object store");
		kt_st_obj_file(name, sizeof name, o->objid);
		if (unlinkat(t->objfd, name, 0) < 0 && errno != ENOENT)
			r = -errno;
		else if (fsync(t->objfd) < 0)
			r = -errno;
	} else {
		pthread_rwlock_wrlock(&t->lock);
	}
	if (r == 0) {
		/* a token key is unlinked first: invalidation alone leaves it
		 * listed in the ring until the garbage collector runs.  A session
		 * key is ours alone (possessor-only: unlinked, we could no longer
		 * invalidate it). */
		if (o->token)
			(void)kr_unlink(o->handle, t->ring);
		r = kr_invalidate(o->handle);
		if (r == -ENOKEY || r == -EKEYREVOKED)
			r = 0;
	}
	if (r == 0 && o->token)
		r = kt_st_bump_gen(t, 0);
	if (r == 0)
		kt_obj_put(kt_objmap_take(t->map, o->handle));
	if (o->token)
		change_end(t);
	else
		pthread_rwlock_unlock(&t->lock);
	return kt_rv_from_errno(r, "object store");
}

CK_RV kt_store_lookup(kt_token *t, CK_OBJECT_HANDLE h, kt_object **out)
{
	kt_object *o;
	CK_RV rv;

	*out = NULL;
	if (h == 0 || h > INT32_MAX)
		return CKR_OBJECT_HANDLE_INVALID;
	rv = kt_st_store_sync(t, false);
	if (rv != CKR_OK)
		return rv;
	pthread_rwlock_rdlock(&t->lock);
	o = kt_objmap_get(t->map, (kr_serial)h);
	if (o != NULL)
		*out = kt_obj_get(o);
	pthread_rwlock_unlock(&t->lock);
	return o != NULL ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}

/* Visit every cached object (token objects after a sync, and session
 * objects) under the read lock; fn returns non-zero to stop. */
CK_RV kt_store_each(kt_token *t, int (*fn)(void *ud, kt_object *o), void *ud)
{
	CK_RV rv = kt_store_sync(t);
	size_t i;

	if (rv != CKR_OK)
		return rv;
	pthread_rwlock_rdlock(&t->lock);
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i);
		if (o != NULL && fn(ud, o) != 0)
			break;
	}
	pthread_rwlock_unlock(&t->lock);
	return CKR_OK;
}

/* C_CloseSession: its objects leave the cache; its keyring goes with it. */
void kt_store_drop_session(kt_token *t, kt_session *s)
{
	size_t i;

	pthread_rwlock_wrlock(&t->lock);
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i);
		if (o != NULL && o->owner == s) {
			kt_obj_put(kt_objmap_take(t->map, o->handle));
			i = (size_t)-1;
		}
	}
	pthread_rwlock_unlock(&t->lock);
}

/* The last login of this process to the token ended: key material opened
 * for operations (crypt.c parks it on the cached objects) must not outlive
 * it in ordinary heap.  The token objects that carry such a cache leave the
 * cache (an operation still running keeps its own reference until it ends);
 * the next sync reads them again, sealed, from the keyring. */
void kt_store_forget_opened(kt_token *t)
{
	size_t i;

	pthread_rwlock_wrlock(&t->lock);
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i);
		if (o != NULL && o->token && atomic_load(&o->cache.p) != NULL) {
			kt_obj_put(kt_objmap_take(t->map, o->handle));
			i = (size_t)-1;         /* the table shifted: rescan */
		}
	}
	/* session objects live only here: swap each opened one for a fresh
	 * parse of its key (ours: possessed), so the opened copy goes with the
	 * last operation that still holds it */
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i), *n;
		uint8_t *p;
		size_t len;
		if (o == NULL || o->token || atomic_load(&o->cache.p) == NULL)
			continue;
		if (kr_read(o->handle, &p, &len) < 0)
			continue;
		n = calloc(1, sizeof *n);
		if (n != NULL && kt_obj_decode(p, len, n) == 0) {
			atomic_init(&n->refs, 1);
			n->handle = o->handle;
			n->owner = o->owner;
			n->app = o->app;
			(void)kt_objmap_set(t->map, n);   /* replaces in place: no shift */
		} else {
			free(n);
		}
		kr_free_secret(p, len);
	}
	__atomic_store_n(&t->gen_seen, 0, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&t->lock);
}

/* C_InitToken on a live token: every object file and the ring go.  The
 * caller holds the store lock and rewrites token.meta afterwards (new uuid),
 * which makes every other process's cache stale. */
CK_RV kt_store_wipe_token(kt_token *t)
{
	struct dirent *e;
	DIR *d;
	int fd = dup(t->objfd);

	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL)
		return CKR_DEVICE_ERROR;
	rewinddir(d);                       /* the dup shares load_ring's offset */
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || strstr(e->d_name, ".tmp") != NULL)
			(void)unlinkat(t->objfd, e->d_name, 0);
	closedir(d);
	(void)fsync(t->objfd);
	if (t->ring != 0)
		(void)kr_invalidate(t->ring);
	t->dead = true;
	return CKR_OK;
}
