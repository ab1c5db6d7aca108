/* store_sync.c - keeping this process's object cache in step with the
 * token keyring, and putting files and keys back in agreement after a crash.
 * See store.c for the layout and the rules of change. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_int.h"

/* ---------- cache sync ---------- */

int kt_st_cache_read(kt_token *t, kr_serial k)
{
	kt_object *o;
	uint8_t *p;
	size_t n;
	int r;

	r = kr_read(k, &p, &n);
	if (r < 0)
		return r == -ENOKEY || r == -EKEYREVOKED || r == -EACCES ? 0 : r;
	o = calloc(1, sizeof *o);
	if (o == NULL) {
		kr_free_secret(p, n);
		return -ENOMEM;
	}
	r = kt_obj_decode(p, n, o);
	kr_free_secret(p, n);
	if (r < 0) {
		free(o);
		return 0;                       /* not one of ours (kt:gen) or damaged */
	}
	atomic_init(&o->refs, 1);
	o->handle = k;
	o->token = true;
	r = kt_objmap_set(t->map, o);
	if (r < 0)
		kt_obj_put(o);
	return r;
}

static int cmp_serial(const void *a, const void *b)
{
	kr_serial x = *(const kr_serial *)a, y = *(const kr_serial *)b;
	return (x > y) - (x < y);
}

int kt_st_full_sync(kt_token *t, const gen_rec *g)
{
	kr_serial *ids = NULL;
	size_t n, i, j;
	int r;
	uint32_t m;

	r = kr_list(t->ring, &ids, &n);
	if (r < 0)
		return r;
	qsort(ids, n, sizeof *ids, cmp_serial);
	/* drop cached token objects no longer in the ring */
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i);
		if (o == NULL || !o->token)
			continue;
		if (bsearch(&o->handle, ids, n, sizeof *ids, cmp_serial) == NULL) {
			kt_obj_put(kt_objmap_take(t->map, o->handle));
			i = (size_t)-1;
		}
	}
	/* re-read what changed since we looked, read what is new */
	for (m = 0; m < g->nmods && m < GEN_MODS; m++)
		if (g->mods[m].gen > t->gen_seen && kt_objmap_get(t->map, g->mods[m].serial) != NULL)
			kt_obj_put(kt_objmap_take(t->map, g->mods[m].serial));
	if (t->gen_seen != 0 && g->nmods == GEN_MODS && g->mods[0].gen > t->gen_seen + 1) {
		/* the log does not reach back to us: re-read everything */
		for (j = 0; j < n; j++)
			if (kt_objmap_get(t->map, ids[j]) != NULL)
				kt_obj_put(kt_objmap_take(t->map, ids[j]));
	}
	for (j = 0; j < n && r == 0; j++)
		if (ids[j] != t->gen_key && kt_objmap_get(t->map, ids[j]) == NULL)
			r = kt_st_cache_read(t, ids[j]);
	free(ids);
	if (r == 0) {
		__atomic_store_n(&t->ring_keys, n, __ATOMIC_RELEASE);
		__atomic_store_n(&t->gen_seen, g->gen, __ATOMIC_RELEASE);
	}
	return r;
}

/* ---------- crash recovery ---------- */


static int cmp_objid(const void *a, const void *b)
{
	return memcmp(a, b, KT_OBJID_LEN);
}

static int unhex(uint8_t *out, const char *h, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		int c = h[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] << 4 | v : v);
	}
	return 0;
}

/* Once per process and ring, under t->lock and the directory lock: make the
 * files and the keys agree.  A create is "file, then key", a destroy "file,
 * then key", both under the directory lock, so a process killed in the
 * middle leaves a file without a key (a create that never returned: roll it
 * back) or a key without a file (a destroy that never returned: finish it),
 * plus perhaps a temporary file.  Nobody else can be mid-change now. */
int kt_st_reconcile(kt_token *t)
{
	uint8_t (*ids)[KT_OBJID_LEN] = NULL, id[KT_OBJID_LEN];
	size_t n = 0, i;
	struct dirent *e;
	gen_rec g;
	DIR *d = NULL;
	int r, fd, changed = 0;

	r = kt_st_read_gen(t->gen_key, &g);
	if (r == 0)
		r = kt_st_full_sync(t, &g);
	if (r < 0)
		return r;
	ids = malloc((kt_objmap_count(t->map) + 1) * sizeof *ids);
	if (ids == NULL)
		return -ENOMEM;
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i);
		if (o != NULL && o->token)
			memcpy(ids[n++], o->objid, KT_OBJID_LEN);
	}
	qsort(ids, n, sizeof *ids, cmp_objid);
	fd = dup(t->objfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		free(ids);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' && l > 4 && strcmp(e->d_name + l - 4, ".tmp") == 0) {
			(void)unlinkat(t->objfd, e->d_name, 0);   /* a write that never finished */
			continue;
		}
		if (l != 2 * KT_OBJID_LEN + 4 || strcmp(e->d_name + l - 4, ".obj") != 0 ||
		    unhex(id, e->d_name, KT_OBJID_LEN) < 0)
			continue;
		if (bsearch(id, ids, n, sizeof *ids, cmp_objid) == NULL) {
			uint8_t *fp = NULL;
			size_t fl;
			if (kt_st_read_obj_file(t, e->d_name, &fp, &fl) == 0) {
				kt_log_line("kerntok: token %lu: %s: rolled back an interrupted create",
				            t->slot, e->d_name);
				(void)unlinkat(t->objfd, e->d_name, 0);
			} else {
				/* damage is reported and kept for the admin, never deleted */
				char dn[NAME_MAX + 16];
				snprintf(dn, sizeof dn, "%s.damaged", e->d_name);
				kt_log_line("kerntok: token %lu: %s is damaged; kept as %s",
				            t->slot, e->d_name, dn);
				(void)renameat(t->objfd, e->d_name, t->objfd, dn);
			}
			free(fp);
			changed = 1;
		}
	}
	closedir(d);
	for (i = 0; i < kt_objmap_cap(t->map); i++) {
		kt_object *o = kt_objmap_slot(t->map, i);
		char name[64];
		if (o == NULL || !o->token)
			continue;
		kt_st_obj_file(name, sizeof name, o->objid);
		if (faccessat(t->objfd, name, F_OK, 0) == 0 || errno != ENOENT)
			continue;
		kt_log_line("kerntok: token %lu: object %d: finished an interrupted destroy",
		            t->slot, o->handle);
		(void)kr_unlink(o->handle, t->ring);
		(void)kr_invalidate(o->handle);
		kt_obj_put(kt_objmap_take(t->map, o->handle));
		i = (size_t)-1;
		changed = 1;
	}
	free(ids);
	/* a C_SetAttributeValue killed between its file and its key: the file
	 * is complete (atomic), so the key follows it */
	for (i = 0; i < g.nmods && i < GEN_MODS; i++) {
		kt_object *o = kt_objmap_get(t->map, g.mods[i].serial);
		uint8_t *fp = NULL, *kp = NULL;
		size_t fl = 0, kl = 0;
		char name[64];
		if (o == NULL || !o->token)
			continue;
		kt_st_obj_file(name, sizeof name, o->objid);
		if (kt_st_read_obj_file(t, name, &fp, &fl) == 0 && kr_read(o->handle, &kp, &kl) == 0 &&
		    (fl != kl || memcmp(fp, kp, fl) != 0) && kr_update(o->handle, fp, fl) == 0) {
			kr_serial h = o->handle;
			kt_log_line("kerntok: token %lu: object %d: finished an interrupted change",
			            t->slot, h);
			kt_obj_put(kt_objmap_take(t->map, h));
			(void)kt_st_cache_read(t, h);
			changed = 1;
		}
		free(fp);
		if (kp != NULL)
			kr_free_secret(kp, kl);
	}
	if (changed) {
		(void)fsync(t->objfd);
		r = kt_st_bump_gen(t, 0);
		if (r == 0 && kt_st_read_gen(t->gen_key, &g) == 0)
			__atomic_store_n(&t->gen_seen, g.gen, __ATOMIC_RELEASE);
	}
	return r;
}

/* Fast path: one read of kt:gen, no lock (plus, with `chain`, one search that
 * proves the ring is still linked).  Slow path under the write lock.
 * Enumerations (find) check the chain, so an admin's `keyctl clear` shows at
 * once; a lookup by handle (every C_*Init) reads kt:gen only: a cleared ring
 * is noticed there at the next enumeration or once the kernel collected it,
 * while a destroy in another process (which bumps kt:gen) is seen at once. */

CK_RV kt_store_sync(kt_token *t)
{
	return kt_st_store_sync(t, true);
}

CK_RV kt_st_store_sync(kt_token *t, bool chain)
{
	gen_rec g;
	int r;

	kr_serial gk = __atomic_load_n(&t->gen_key, __ATOMIC_ACQUIRE), found = 0;
	char gen_name[64];
	size_t rlen = 0;

	if (t->dead)
		return CKR_TOKEN_NOT_PRESENT;
	if (kt_st_store_desc_init() < 0)
		return CKR_DEVICE_ERROR;
	kt_st_gen_desc(gen_name, sizeof gen_name, t);
	/* uuid: fixed for a kt_token's life; gen_key/gen_seen: published atomically.
	 * The search from @u proves kt:gen is still linked through the store and
	 * token rings: after a `keyctl clear` or unlink the key stays readable
	 * until the kernel's garbage collector runs; we must not trust it then. */
	/* an enumeration also counts the ring's keys: a writer killed between
	 * its key and its kt:gen bump changed the ring but not the counter */
	if (gk != 0 && (!chain || (kr_search(KR_USER, "user", gen_name, &found) == 0 && found == gk &&
	                           kr_read_into(__atomic_load_n(&t->ring, __ATOMIC_ACQUIRE), NULL, 0,
	                                        &rlen) == 0 &&
	                           rlen / sizeof(kr_serial) == __atomic_load_n(&t->ring_keys,
	                                                                      __ATOMIC_ACQUIRE))) &&
	    kt_st_read_gen(gk, &g) == 0 && memcmp(g.uuid, t->meta.uuid, 16) == 0 &&
	    g.gen == __atomic_load_n(&t->gen_seen, __ATOMIC_ACQUIRE))
		return CKR_OK;
	pthread_rwlock_wrlock(&t->lock);
	r = t->gen_key != 0 ? kr_search(KR_USER, "user", gen_name, &found) : -ENOKEY;
	if (r == 0 && found != t->gen_key)
		r = -ESTALE;
	if (r == 0)
		r = kt_st_read_gen(t->gen_key, &g);
	if (r < 0 || memcmp(g.uuid, t->meta.uuid, 16) != 0) {
		r = kt_st_resolve_ring(t);
		if (r == 0)
			r = kt_st_read_gen(t->gen_key, &g);
	}
	if (r == 0 && (g.gen != t->gen_seen ||
	               (chain && kr_read_into(t->ring, NULL, 0, &rlen) == 0 &&
	                rlen / sizeof(kr_serial) != t->ring_keys)))
		r = kt_st_full_sync(t, &g);
	if (r == 0 && t->reconciled != t->ring && (r = kt_disk_lock(t->dirfd)) == 0) {
		r = kt_st_reconcile(t);
		kt_disk_unlock(t->dirfd);
		if (r == 0)
			t->reconciled = t->ring;
	}
	pthread_rwlock_unlock(&t->lock);
	if (t->dead)
		return CKR_TOKEN_NOT_PRESENT;
	return kt_rv_from_errno(r, "token keyring");
}
