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
#include <openssl/sha.h>
#include "kt.h"
#include "objmap.h"

#define GEN_MODS 32
typedef struct {
	uint8_t magic[4];                   /* "KTG1" */
	uint8_t uuid[16];
	uint64_t gen;
	uint32_t nmods, pad;
	struct { uint64_t gen; int32_t serial; uint32_t pad; } mods[GEN_MODS];
} gen_rec;

#define MAX_OBJ_FILE (64u * 1024)
#define MAX_PAYLOAD 32767u              /* what a "user" key holds */

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static char store_desc[64];             /* "kerntok:<16 hex>" */
static atomic_bool store_ready;
static uint8_t *session_key;            /* seals this process's session objects */

/* ---------- names ---------- */

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char *class_word(CK_OBJECT_CLASS c)
{
	switch (c) {
	case CKO_DATA: return "data";
	case CKO_CERTIFICATE: return "cert";
	case CKO_PUBLIC_KEY: return "pubkey";
	case CKO_PRIVATE_KEY: return "privkey";
	case CKO_SECRET_KEY: return "secret";
	default: return "object";
	}
}

static void obj_desc(char *out, size_t n, const kt_object *o)
{
	char h[2 * KT_OBJID_LEN + 1];

	hex(h, o->objid, KT_OBJID_LEN);
	snprintf(out, n, "kt:%s:%s", o->priv ? "private" : class_word(o->cls), h);
}

static void obj_file(char *out, size_t n, const uint8_t objid[KT_OBJID_LEN])
{
	char h[2 * KT_OBJID_LEN + 1];

	hex(h, objid, KT_OBJID_LEN);
	snprintf(out, n, "%s.obj", h);
}

/* kt:gen names its store and slot, so that one search from @u finds it only
 * while the whole chain @u -> store -> token ring -> kt:gen is linked. */
static void gen_desc(char *out, size_t n, const kt_token *t)
{
	snprintf(out, n, "kt:gen:%.16s:%lu", store_desc + 8, t->slot);
}

static void token_desc(char *out, size_t n, const kt_token *t)
{
	char label[33];
	int i;

	memcpy(label, t->meta.label, 32);
	for (i = 32; i > 0 && label[i - 1] == ' '; i--)
		;
	label[i] = '\0';
	snprintf(out, n, "kt:token:%lu:%s", t->slot, label);
}

const uint8_t *kt_session_key(void)
{
	pthread_mutex_lock(&store_lock);
	if (session_key == NULL) {
		session_key = kt_secret_alloc(KT_SK_LEN);
		if (session_key != NULL && kt_random(session_key, KT_SK_LEN) < 0) {
			kt_secret_free(session_key, KT_SK_LEN);
			session_key = NULL;
		}
	}
	pthread_mutex_unlock(&store_lock);
	return session_key;
}

void kt_store_reset(void)
{
	pthread_mutex_init(&store_lock, NULL);
	session_key = NULL;                 /* its pages were wiped on fork */
	store_desc[0] = '\0';
	atomic_store(&store_ready, false);
}

/* ---------- the store ring ---------- */

static int store_desc_init(void)
{
	char root[PATH_MAX], real[PATH_MAX];
	uint8_t md[SHA256_DIGEST_LENGTH];
	int r = 0;

	if (atomic_load_explicit(&store_ready, memory_order_acquire))
		return 0;                       /* hot path: computed once */
	pthread_mutex_lock(&store_lock);
	if (store_desc[0] == '\0') {
		r = kt_disk_root(root, sizeof root);
		if (r == 0 && realpath(root, real) == NULL)
			r = -errno;
		if (r == 0) {
			SHA256((const uint8_t *)real, strlen(real), md);
			memcpy(store_desc, "kerntok:", 8);
			hex(store_desc + 8, md, 8);
			atomic_store_explicit(&store_ready, true, memory_order_release);
		}
	}
	pthread_mutex_unlock(&store_lock);
	return r;
}

/* "kerntok:<16 hex>": the store keyring's name, for tools that show it */
const char *kt_store_ring_desc(void)
{
	return store_desc_init() == 0 ? store_desc : NULL;
}

static int store_ring(kr_serial *out)
{
	int r = store_desc_init();

	if (r < 0)
		return r;
	r = kr_find(KR_USER, "keyring", store_desc, out);
	if (r != -ENOKEY)
		return r;
	/* create once: two processes racing here would displace each other */
	r = kt_disk_lock(kt_store_rootfd());
	if (r < 0)
		return r;
	r = kr_find(KR_USER, "keyring", store_desc, out);
	if (r == -ENOKEY)
		r = kr_keyring_new(KR_USER, store_desc, KR_PERM_SHARED, out);
	kt_disk_unlock(kt_store_rootfd());
	return r;
}

/* ---------- loading a token ring from disk ---------- */

static int read_obj_file(kt_token *t, const char *name, uint8_t **payload, size_t *plen)
{
	uint8_t *p = NULL, mac[32];
	size_t n;
	int r;

	r = kt_disk_read(t->objfd, name, &p, &n, MAX_OBJ_FILE);
	if (r < 0)
		return r;
	if (n < 32 || kt_mac(t->meta.mac_key, p, n - 32, mac) < 0 ||
	    !kt_memeq(mac, p + n - 32, 32)) {
		free(p);
		return -EBADMSG;
	}
	*payload = p;
	*plen = n - 32;
	return 0;
}

static int load_one(kt_token *t, kr_serial ring, const char *name)
{
	char desc[96];
	kt_object o;
	uint8_t *p = NULL;
	size_t n;
	kr_serial k;
	int r;

	memset(&o, 0, sizeof o);
	r = read_obj_file(t, name, &p, &n);
	if (r == 0)
		r = kt_obj_decode(p, n, &o);
	if (r == 0) {
		/* a whole, valid file of another object under this name */
		char id[2 * KT_OBJID_LEN + 1];
		hex(id, o.objid, KT_OBJID_LEN);
		if (strncmp(id, name, 2 * KT_OBJID_LEN) != 0) {
			kt_attrs_free(&o.attrs);
			free(o.sealed);
			r = -EBADMSG;
		}
	}
	if (r < 0) {
		kt_log_line("kerntok: token %lu: object file %s is damaged (%s); skipped",
		            t->slot, name, strerror(-r));
		goto out;
	}
	obj_desc(desc, sizeof desc, &o);
	r = kr_add(ring, "user", desc, p, n, KR_PERM_SHARED, &k);
	kt_attrs_free(&o.attrs);
	free(o.sealed);
out:
	free(p);
	/* this file is bad (MAC, format, not a regular file, a symlink, too
	 * big): the others are still served.  Anything else (no memory, no
	 * fds, I/O) fails the whole load, to be tried again. */
	return r == -EBADMSG || r == -EINVAL || r == -ELOOP || r == -EFBIG ? 0 : r;
}

static int load_ring(kt_token *t, kr_serial store, kr_serial *ring_out)
{
	char desc[96], gd[64];
	gen_rec g;
	kr_serial ring = 0, gk;
	struct dirent *e;
	DIR *d = NULL;
	int r, fd;

	memset(&g, 0, sizeof g);
	token_desc(desc, sizeof desc, t);
	r = kr_keyring_new(KR_PROCESS, desc, KR_PERM_SHARED, &ring);
	if (r < 0)
		return r;
	fd = dup(t->objfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		r = -errno;
		goto out;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l != 2 * KT_OBJID_LEN + 4 || strcmp(e->d_name + l - 4, ".obj") != 0)
			continue;
		r = load_one(t, ring, e->d_name);
		if (r < 0)
			goto out;
	}
	memcpy(g.magic, "KTG1", 4);
	memcpy(g.uuid, t->meta.uuid, 16);
	g.gen = 1;
	gen_desc(gd, sizeof gd, t);
	r = kr_add(ring, "user", gd, &g, sizeof g, KR_PERM_SHARED, &gk);
	if (r == 0)
		r = kr_link(ring, store);       /* complete: now others may see it */
out:
	if (d != NULL)
		closedir(d);
	(void)kr_unlink(ring, KR_PROCESS);
	if (r == 0)
		*ring_out = ring;
	else
		(void)kr_invalidate(ring);
	return r;
}

static int read_gen(kr_serial gk, gen_rec *g)
{
	size_t n;
	int r = kr_read_into(gk, g, sizeof *g, &n);

	if (r == 0 && (n != sizeof *g || memcmp(g->magic, "KTG1", 4) != 0))
		r = -EBADMSG;
	return r;
}

/* Find (or rebuild) the token's keyring; t->lock held for writing. */
static int resolve_ring(kt_token *t)
{
	char desc[96], gd[64];
	kr_serial store, ring, gk;
	gen_rec g;
	int r, locked = 0;

	token_desc(desc, sizeof desc, t);
	r = store_ring(&store);
	if (r < 0)
		return r;
	gen_desc(gd, sizeof gd, t);
	for (;;) {
		r = kr_find(store, "keyring", desc, &ring);
		if (r == 0)
			r = kr_find(ring, "user", gd, &gk);
		if (r == 0)
			r = read_gen(gk, &g);
		if (r == 0 && memcmp(g.uuid, t->meta.uuid, 16) != 0)
			r = -ESTALE;
		if (r == 0 || locked || (r != -ENOKEY && r != -EBADMSG && r != -ESTALE &&
		                         r != -EKEYREVOKED))
			break;
		r = kt_disk_lock(t->dirfd);
		if (r < 0)
			return r;
		locked = 1;
		r = kr_find(store, "keyring", desc, &ring);
		if (r == 0 && kr_find(ring, "user", gd, &gk) == 0 && read_gen(gk, &g) == 0 &&
		    memcmp(g.uuid, t->meta.uuid, 16) == 0)
			break;                      /* someone else loaded it meanwhile */
		/* never rebuild a token that was deleted or re-initialized meanwhile */
		{
			kt_meta m;
			int same = kt_meta_load(t->dirfd, &m) == 0 && memcmp(m.uuid, t->meta.uuid, 16) == 0;
			kt_meta_wipe(&m);
			if (!same) {
				t->dead = true;
				r = -ESTALE;
				break;
			}
		}
		r = load_ring(t, store, &ring);
		if (r == 0)
			r = kr_find(ring, "user", gd, &gk);
		break;
	}
	if (locked)
		kt_disk_unlock(t->dirfd);
	if (r < 0)
		return r;
	if (t->ring != ring) {
		/* a new ring: every cached token object is stale */
		size_t i;
		for (i = 0; i < kt_objmap_cap(t->map); i++) {
			kt_object *o = kt_objmap_slot(t->map, i);
			if (o != NULL && o->token) {
				kt_obj_put(kt_objmap_take(t->map, o->handle));
				i = (size_t)-1;         /* the table shifted: rescan */
			}
		}
		__atomic_store_n(&t->gen_seen, 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&t->ring, ring, __ATOMIC_RELEASE);
	__atomic_store_n(&t->gen_key, gk, __ATOMIC_RELEASE);
	return 0;
}

/* ---------- cache sync ---------- */

static int cache_read(kt_token *t, kr_serial k)
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

static int full_sync(kt_token *t, const gen_rec *g)
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
			r = cache_read(t, ids[j]);
	free(ids);
	if (r == 0) {
		__atomic_store_n(&t->ring_keys, n, __ATOMIC_RELEASE);
		__atomic_store_n(&t->gen_seen, g->gen, __ATOMIC_RELEASE);
	}
	return r;
}

/* ---------- crash recovery ---------- */

static int bump_gen(kt_token *t, kr_serial mod);

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
static int reconcile(kt_token *t)
{
	uint8_t (*ids)[KT_OBJID_LEN] = NULL, id[KT_OBJID_LEN];
	size_t n = 0, i;
	struct dirent *e;
	gen_rec g;
	DIR *d = NULL;
	int r, fd, changed = 0;

	r = read_gen(t->gen_key, &g);
	if (r == 0)
		r = full_sync(t, &g);
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
			if (read_obj_file(t, e->d_name, &fp, &fl) == 0) {
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
		obj_file(name, sizeof name, o->objid);
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
		obj_file(name, sizeof name, o->objid);
		if (read_obj_file(t, name, &fp, &fl) == 0 && kr_read(o->handle, &kp, &kl) == 0 &&
		    (fl != kl || memcmp(fp, kp, fl) != 0) && kr_update(o->handle, fp, fl) == 0) {
			kr_serial h = o->handle;
			kt_log_line("kerntok: token %lu: object %d: finished an interrupted change",
			            t->slot, h);
			kt_obj_put(kt_objmap_take(t->map, h));
			(void)cache_read(t, h);
			changed = 1;
		}
		free(fp);
		if (kp != NULL)
			kr_free_secret(kp, kl);
	}
	if (changed) {
		(void)fsync(t->objfd);
		r = bump_gen(t, 0);
		if (r == 0 && read_gen(t->gen_key, &g) == 0)
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
static CK_RV store_sync(kt_token *t, bool chain);

CK_RV kt_store_sync(kt_token *t)
{
	return store_sync(t, true);
}

static CK_RV store_sync(kt_token *t, bool chain)
{
	gen_rec g;
	int r;

	kr_serial gk = __atomic_load_n(&t->gen_key, __ATOMIC_ACQUIRE), found = 0;
	char gen_name[64];
	size_t rlen = 0;

	if (t->dead)
		return CKR_TOKEN_NOT_PRESENT;
	if (store_desc_init() < 0)
		return CKR_DEVICE_ERROR;
	gen_desc(gen_name, sizeof gen_name, t);
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
	    read_gen(gk, &g) == 0 && memcmp(g.uuid, t->meta.uuid, 16) == 0 &&
	    g.gen == __atomic_load_n(&t->gen_seen, __ATOMIC_ACQUIRE))
		return CKR_OK;
	pthread_rwlock_wrlock(&t->lock);
	r = t->gen_key != 0 ? kr_search(KR_USER, "user", gen_name, &found) : -ENOKEY;
	if (r == 0 && found != t->gen_key)
		r = -ESTALE;
	if (r == 0)
		r = read_gen(t->gen_key, &g);
	if (r < 0 || memcmp(g.uuid, t->meta.uuid, 16) != 0) {
		r = resolve_ring(t);
		if (r == 0)
			r = read_gen(t->gen_key, &g);
	}
	if (r == 0 && (g.gen != t->gen_seen ||
	               (chain && kr_read_into(t->ring, NULL, 0, &rlen) == 0 &&
	                rlen / sizeof(kr_serial) != t->ring_keys)))
		r = full_sync(t, &g);
	if (r == 0 && t->reconciled != t->ring && (r = kt_disk_lock(t->dirfd)) == 0) {
		r = reconcile(t);
		kt_disk_unlock(t->dirfd);
		if (r == 0)
			t->reconciled = t->ring;
	}
	pthread_rwlock_unlock(&t->lock);
	if (t->dead)
		return CKR_TOKEN_NOT_PRESENT;
	return kt_rv_from_errno(r, "token keyring");
}

/* ---------- changes ---------- */

/* under flock(t->dirfd): bump kt:gen, logging `mod` (0: none) */
static int bump_gen(kt_token *t, kr_serial mod)
{
	gen_rec g;
	int r = read_gen(t->gen_key, &g);

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
		gen_desc(gd, sizeof gd, t);
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
	obj_file(name, sizeof name, o->objid);
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
		hex(uid, o->objid, KT_OBJID_LEN);
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
	obj_desc(desc, sizeof desc, d);
	r = kr_add(tok ? t->ring : (kr_serial)s->handle, "user", desc, p, n,
	           tok ? KR_PERM_SHARED : KR_PERM_PRIVATE, &d->handle);
	if (r == -EINVAL && n > 32767)
		r = -EDQUOT;                    /* bigger than a user key can hold */
	if (r < 0)
		goto out;
	if (tok && (r = bump_gen(t, 0)) < 0) {
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
		obj_file(name, sizeof name, o->objid);
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
		 * reconcile() finds the serial in kt:gen and rolls the key forward */
		r = bump_gen(t, old->handle);
		if (r == 0)
			r = write_file(t, d, p, n);
	} else {
		pthread_rwlock_wrlock(&t->lock);
		locked = 2;
	}
	if (r == 0)
		r = kr_update(old->handle, p, n);
	if (r == 0 && old->token)
		r = bump_gen(t, old->handle);
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
		obj_file(name, sizeof name, o->objid);
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
		r = bump_gen(t, 0);
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
	rv = store_sync(t, false);
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
