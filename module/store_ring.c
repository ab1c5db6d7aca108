/* store_ring.c - finding a token's keyring, or rebuilding it from disk.
 * See store.c for the layout and the rules of change. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "store_int.h"

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
char kt_st_store_desc[64];               /* "kerntok:<16 hex>" */
static atomic_bool store_ready;
static uint8_t *session_key;            /* seals this process's session objects */

/* ---------- names ---------- */

void kt_st_hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char *kt_st_class_word(CK_OBJECT_CLASS c)
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

void kt_st_obj_desc(char *out, size_t n, const kt_object *o)
{
	char h[2 * KT_OBJID_LEN + 1];

	kt_st_hex(h, o->objid, KT_OBJID_LEN);
	snprintf(out, n, "kt:%s:%s", o->priv ? "private" : kt_st_class_word(o->cls), h);
}

void kt_st_obj_file(char *out, size_t n, const uint8_t objid[KT_OBJID_LEN])
{
	char h[2 * KT_OBJID_LEN + 1];

	kt_st_hex(h, objid, KT_OBJID_LEN);
	snprintf(out, n, "%s.obj", h);
}

/* kt:gen names its store and slot, so that one search from @u finds it only
 * while the whole chain @u -> store -> token ring -> kt:gen is linked. */
void kt_st_gen_desc(char *out, size_t n, const kt_token *t)
{
	snprintf(out, n, "kt:gen:%.16s:%lu", kt_st_store_desc + 8, t->slot);
}

static void kt_st_token_desc(char *out, size_t n, const kt_token *t)
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
	kt_st_store_desc[0] = '\0';
	atomic_store(&store_ready, false);
}

/* ---------- the store ring ---------- */

int kt_st_store_desc_init(void)
{
	char root[PATH_MAX], real[PATH_MAX];
	uint8_t md[SHA256_DIGEST_LENGTH];
	int r = 0;

	if (atomic_load_explicit(&store_ready, memory_order_acquire))
		return 0;                       /* hot path: computed once */
	pthread_mutex_lock(&store_lock);
	if (kt_st_store_desc[0] == '\0') {
		r = kt_disk_root(root, sizeof root);
		if (r == 0 && realpath(root, real) == NULL)
			r = -errno;
		if (r == 0) {
			SHA256((const uint8_t *)real, strlen(real), md);
			memcpy(kt_st_store_desc, "kerntok:", 8);
			kt_st_hex(kt_st_store_desc + 8, md, 8);
			atomic_store_explicit(&store_ready, true, memory_order_release);
		}
	}
	pthread_mutex_unlock(&store_lock);
	return r;
}

/* "kerntok:<16 hex>": the store keyring's name, for tools that show it */
const char *kt_store_ring_desc(void)
{
	return kt_st_store_desc_init() == 0 ? kt_st_store_desc : NULL;
}

static int kt_st_store_ring(kr_serial *out)
{
	int r = kt_st_store_desc_init();

	if (r < 0)
		return r;
	r = kr_find(KR_USER, "keyring", kt_st_store_desc, out);
	if (r != -ENOKEY)
		return r;
	/* create once: two processes racing here would displace each other */
	r = kt_disk_lock(kt_store_rootfd());
	if (r < 0)
		return r;
	r = kr_find(KR_USER, "keyring", kt_st_store_desc, out);
	if (r == -ENOKEY)
		r = kr_keyring_new(KR_USER, kt_st_store_desc, KR_PERM_SHARED, out);
	kt_disk_unlock(kt_store_rootfd());
	return r;
}

/* ---------- loading a token ring from disk ---------- */

int kt_st_read_obj_file(kt_token *t, const char *name, uint8_t **payload, size_t *plen)
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
	r = kt_st_read_obj_file(t, name, &p, &n);
	if (r == 0)
		r = kt_obj_decode(p, n, &o);
	if (r == 0) {
		/* a whole, valid file of another object under this name */
		char id[2 * KT_OBJID_LEN + 1];
		kt_st_hex(id, o.objid, KT_OBJID_LEN);
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
	kt_st_obj_desc(desc, sizeof desc, &o);
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
	kt_st_token_desc(desc, sizeof desc, t);
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
	kt_st_gen_desc(gd, sizeof gd, t);
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

int kt_st_read_gen(kr_serial gk, gen_rec *g)
{
	size_t n;
	int r = kr_read_into(gk, g, sizeof *g, &n);

	if (r == 0 && (n != sizeof *g || memcmp(g->magic, "KTG1", 4) != 0))
		r = -EBADMSG;
	return r;
}

/* Find (or rebuild) the token's keyring; t->lock held for writing. */
int kt_st_resolve_ring(kt_token *t)
{
	char desc[96], gd[64];
	kr_serial store, ring, gk;
	gen_rec g;
	int r, locked = 0;

	kt_st_token_desc(desc, sizeof desc, t);
	r = kt_st_store_ring(&store);
	if (r < 0)
		return r;
	kt_st_gen_desc(gd, sizeof gd, t);
	for (;;) {
		r = kr_find(store, "keyring", desc, &ring);
		if (r == 0)
			r = kr_find(ring, "user", gd, &gk);
		if (r == 0)
			r = kt_st_read_gen(gk, &g);
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
		if (r == 0 && kr_find(ring, "user", gd, &gk) == 0 && kt_st_read_gen(gk, &g) == 0 &&
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
