/* token.c - the slot table: which tokens exist in the store directory.
 *
 * A token is $KERNTOK_DIR/tokens/<slot>/ with a valid token.meta.  Slot ids
 * are the directory numbers, so every process agrees on them without talking.
 * The free slot is the lowest number without a token; C_InitToken there
 * claims it with mkdir.  Per process we keep one kt_token per live slot;
 * when another process re-initializes or deletes a token its uuid changes
 * and our old kt_token is marked dead (sessions on it then fail cleanly).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kt.h"
#include "objmap.h"

static struct {
	pthread_mutex_t lock;
	int rootfd, tokfd;                  /* $KERNTOK_DIR, $KERNTOK_DIR/tokens */
	kt_token *tok[KT_MAX_TOKENS];
	uint64_t present, damaged;
} reg = { PTHREAD_MUTEX_INITIALIZER, -1, -1 };

static CK_RV open_root_inlock(void)
{
	char root[PATH_MAX];
	int r;

	if (reg.tokfd >= 0)
		return CKR_OK;
	r = kt_disk_root(root, sizeof root);
	if (r < 0) {
		kt_debug("store directory: %s", strerror(-r));
		return CKR_DEVICE_ERROR;
	}
	reg.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (reg.rootfd < 0)
		return CKR_DEVICE_ERROR;
	if (mkdirat(reg.rootfd, "tokens", 0700) < 0 && errno != EEXIST)
		return CKR_DEVICE_ERROR;
	reg.tokfd = openat(reg.rootfd, "tokens", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return reg.tokfd < 0 ? CKR_DEVICE_ERROR : CKR_OK;
}

int kt_store_rootfd(void)
{
	return reg.rootfd;
}

static void token_free(kt_token *t)
{
	if (t->sk != NULL)
		kt_secret_free(t->sk, KT_SK_LEN);
	kt_objmap_free(t->map);
	kt_meta_wipe(&t->meta);
	if (t->objfd >= 0)
		close(t->objfd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	pthread_mutex_destroy(&t->meta_lock);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

void kt_token_put(kt_token *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1)
		token_free(t);
}

static kt_token *token_new(CK_SLOT_ID slot, int dirfd, const kt_meta *m)
{
	kt_token *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	atomic_init(&t->refs, 1);
	t->slot = slot;
	t->dirfd = dirfd;
	t->meta = *m;
	t->objfd = -1;
	pthread_mutex_init(&t->meta_lock, NULL);
	pthread_rwlock_init(&t->lock, NULL);
	t->map = kt_objmap_new();
	if (mkdirat(dirfd, "objects", 0700) < 0 && errno != EEXIST)
		goto fail;
	t->objfd = openat(dirfd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->objfd < 0 || t->map == NULL)
		goto fail;
	return t;
fail:
	t->dirfd = -1;                      /* the caller owns dirfd on failure */
	token_free(t);
	return NULL;
}

/* Only "." / "..", unfinished temporary files and (at top level) an empty
 * objects/ directory: what a C_InitToken that died before writing
 * token.meta leaves.  Takes its own fd. */
static bool dir_holds_nothing(int fd, bool top)
{
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	bool empty = d != NULL;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	rewinddir(d);
	while (empty && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_name[0] == '.' && l > 4 && !strcmp(e->d_name + l - 4, ".tmp"))
			continue;
		if (top && !strcmp(e->d_name, "objects") &&
		    dir_holds_nothing(openat(dirfd(d), "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC), false))
			continue;
		empty = false;
	}
	closedir(d);
	return empty;
}

/* Bring slot `i` in line with the disk.  reg.lock held. */
static void scan_slot_inlock(unsigned i)
{
	char name[16];
	kt_meta m;
	int fd, r;

	snprintf(name, sizeof name, "%u", i);
	reg.present &= ~(1ull << i);
	reg.damaged &= ~(1ull << i);
	fd = openat(reg.tokfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : kt_meta_load(fd, &m);
	if (r == -EBADMSG) {
		kt_log_line("kerntok: token %u: token.meta is damaged; slot skipped", i);
		reg.damaged |= 1ull << i;
	} else if (r < 0 && fd >= 0 && !(r == -ENOENT && dir_holds_nothing(dup(fd), true))) {
		/* a token's directory whose token.meta is gone or unreadable is
		 * not a free slot: C_InitToken there would bury its objects */
		kt_log_line("kerntok: token %u: token.meta %s (%s); slot skipped", i,
		            r == -ENOENT ? "is missing" : "is unreadable", strerror(-r));
		reg.damaged |= 1ull << i;
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		if (reg.tok[i] != NULL) {
			reg.tok[i]->dead = true;
			kt_token_put(reg.tok[i]);
			reg.tok[i] = NULL;
		}
		return;
	}
	reg.present |= 1ull << i;
	if (reg.tok[i] != NULL && memcmp(reg.tok[i]->meta.uuid, m.uuid, 16) == 0) {
		/* same token: take the fresh counters and wraps */
		pthread_mutex_lock(&reg.tok[i]->meta_lock);
		reg.tok[i]->meta = m;
		pthread_mutex_unlock(&reg.tok[i]->meta_lock);
		close(fd);
	} else {
		if (reg.tok[i] != NULL) {
			reg.tok[i]->dead = true;
			kt_token_put(reg.tok[i]);
		}
		reg.tok[i] = token_new(i, fd, &m);
		if (reg.tok[i] == NULL) {
			close(fd);
			reg.present &= ~(1ull << i);
		}
	}
	kt_meta_wipe(&m);
}

CK_RV kt_tokens_scan(void)
{
	CK_RV rv;
	unsigned i;

	pthread_mutex_lock(&reg.lock);
	rv = open_root_inlock();
	if (rv == CKR_OK)
		for (i = 0; i < KT_MAX_TOKENS; i++)
			scan_slot_inlock(i);
	pthread_mutex_unlock(&reg.lock);
	return rv;
}

static CK_SLOT_ID free_slot_inlock(void)
{
	unsigned i;

	for (i = 0; i < KT_MAX_TOKENS; i++)
		if (!((reg.present | reg.damaged) & (1ull << i)))
			return i;
	return KT_MAX_TOKENS;               /* store full: no free slot */
}

CK_SLOT_ID kt_free_slot(void)
{
	CK_SLOT_ID s;

	pthread_mutex_lock(&reg.lock);
	s = free_slot_inlock();
	pthread_mutex_unlock(&reg.lock);
	return s;
}

bool kt_slot_exists(CK_SLOT_ID slot)
{
	bool ok;

	if (slot >= KT_MAX_TOKENS)
		return false;
	pthread_mutex_lock(&reg.lock);
	ok = (reg.present & (1ull << slot)) || slot == free_slot_inlock();
	pthread_mutex_unlock(&reg.lock);
	return ok;
}

CK_RV kt_slot_list(CK_SLOT_ID *ids, CK_ULONG *n)
{
	CK_ULONG k = 0;
	CK_SLOT_ID fs;
	unsigned i;

	pthread_mutex_lock(&reg.lock);
	fs = free_slot_inlock();
	for (i = 0; i < KT_MAX_TOKENS; i++) {
		if (!(reg.present & (1ull << i)) && i != fs)
			continue;
		if (ids != NULL && k < *n)
			ids[k] = i;
		k++;
	}
	pthread_mutex_unlock(&reg.lock);
	if (ids != NULL && k > *n) {
		*n = k;
		return CKR_BUFFER_TOO_SMALL;
	}
	*n = k;
	return CKR_OK;
}

CK_RV kt_token_get(CK_SLOT_ID slot, kt_token **out)
{
	CK_RV rv = CKR_OK;

	*out = NULL;
	if (slot >= KT_MAX_TOKENS)
		return CKR_SLOT_ID_INVALID;
	pthread_mutex_lock(&reg.lock);
	if (reg.tok[slot] == NULL || reg.tok[slot]->dead) {
		if (open_root_inlock() == CKR_OK)
			scan_slot_inlock((unsigned)slot);
	}
	if (reg.tok[slot] != NULL) {
		atomic_fetch_add(&reg.tok[slot]->refs, 1);
		*out = reg.tok[slot];
	} else {
		rv = slot == free_slot_inlock() ? CKR_TOKEN_NOT_RECOGNIZED : CKR_SLOT_ID_INVALID;
	}
	pthread_mutex_unlock(&reg.lock);
	return rv;
}

/* Re-read token.meta (PIN counters, wraps) for this token; notices a
 * re-initialization by another process. */
CK_RV kt_token_refresh_meta(kt_token *t)
{
	kt_meta m;
	int r;

	r = kt_meta_load(t->dirfd, &m);
	if (r < 0 || memcmp(m.uuid, t->meta.uuid, 16) != 0) {
		kt_meta_wipe(&m);
		t->dead = true;
		return CKR_TOKEN_NOT_PRESENT;
	}
	pthread_mutex_lock(&t->meta_lock);
	t->meta = m;
	pthread_mutex_unlock(&t->meta_lock);
	kt_meta_wipe(&m);
	return CKR_OK;
}

CK_RV kt_token_save_meta(kt_token *t)
{
	return kt_rv_from_errno(kt_meta_save(t->dirfd, &t->meta), "token.meta");
}

/* C_InitToken: write a fresh token.meta into slot's directory (created if
 * needed) and make it the slot's live token.  The caller holds the store
 * lock (kt_disk_lock on the tokens directory). */
CK_RV kt_token_create(CK_SLOT_ID slot, const kt_meta *m, kt_token **out)
{
	char name[16];
	int fd = -1, r;
	CK_RV rv;

	*out = NULL;
	pthread_mutex_lock(&reg.lock);
	rv = open_root_inlock();
	if (rv != CKR_OK)
		goto out;
	snprintf(name, sizeof name, "%lu", slot);
	if (mkdirat(reg.tokfd, name, 0700) < 0 && errno != EEXIST) {
		rv = kt_rv_from_errno(-errno, "token directory");
		goto out;
	}
	fd = openat(reg.tokfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	r = kt_meta_save(fd, m);
	if (r < 0) {
		rv = kt_rv_from_errno(r, "token.meta");
		goto out;
	}
	close(fd);
	fd = -1;
	scan_slot_inlock((unsigned)slot);
	if (reg.tok[slot] == NULL) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	atomic_fetch_add(&reg.tok[slot]->refs, 1);
	*out = reg.tok[slot];
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&reg.lock);
	return rv;
}

int kt_tokens_dirfd(void)
{
	int fd;

	pthread_mutex_lock(&reg.lock);
	fd = open_root_inlock() == CKR_OK ? reg.tokfd : -1;
	pthread_mutex_unlock(&reg.lock);
	return fd;
}

/* After fork the child must not use anything of the parent's: forget the
 * table (memory is abandoned, secrets in it were wiped on fork by
 * MADV_WIPEONFORK) and re-initialize the lock, which another parent thread
 * may have held at fork time. */
/* the parent's, after fork: reachable (a leak checker sees them as ours), never used */
static kt_token *volatile abandoned[KT_MAX_TOKENS] __attribute__((used));

void kt_tokens_reset(void)
{
	int i;

	pthread_mutex_init(&reg.lock, NULL);
	for (i = 0; i < KT_MAX_TOKENS; i++)
		abandoned[i] = reg.tok[i];
	memset(reg.tok, 0, sizeof reg.tok);
	reg.present = reg.damaged = 0;
	if (reg.tokfd >= 0)
		close(reg.tokfd);
	if (reg.rootfd >= 0)
		close(reg.rootfd);
	reg.tokfd = reg.rootfd = -1;
}
