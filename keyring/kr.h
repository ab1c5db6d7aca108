/* kr — thin, testable wrapper over libkeyutils (kernel key retention service).
 *
 * This layer knows keys, keyrings and quotas, nothing about tokens or
 * cryptography.  Every int-returning function returns 0 upon success or a
 * negative errno value; errno from the kernel is passed through unchanged,
 * in particular:
 *   -ENOKEY       key/keyring absent (or invalidated and already collected)
 *   -EKEYREVOKED  key revoked
 *   -EKEYEXPIRED  key timed out (kr_set_timeout)
 *   -EACCES       permission mask forbids the operation for this caller
 *   -EDQUOT       the uid's key quota (count or bytes) is exhausted
 *   -ENOMEM       allocation in this library failed
 * Out-parameters are only written on success.
 *
 * Possession: a key is "possessed" when it is reachable from the calling
 * thread's thread/process/session keyrings; possessed keys get the
 * possessor (KR_POS_*) bits, otherwise the caller gets the user (KR_USR_*)
 * bits if it owns the key.  A process in a fresh session keyring does not
 * possess keys in, say, the user keyring when reaching them by serial.
 */
#ifndef KR_H
#define KR_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

typedef int32_t kr_serial;

/* Well-known keyrings, usable wherever a ring/parent serial is expected.
 * Same numbers as keyutils.h KEY_SPEC_* so callers need not include it. */
#define KR_PROCESS (-2) /* per process, created on demand, dies with it */
#define KR_SESSION (-3) /* per session (inherited across fork/exec) */
#define KR_USER    (-4) /* per uid, shared by every process of the uid */

/* Permission bits (same values as keyutils.h KEY_POS_* / KEY_USR_*).
 * Group and other bits are deliberately not offered: this layer never
 * grants access outside the owning uid.  Beware: possession means "found
 * by searching the caller's keyrings", so a mask without KR_POS_SEARCH
 * makes a key un-possessable and leaves only the KR_USR_* bits to anyone. */
#define KR_POS_VIEW    0x01000000u
#define KR_POS_READ    0x02000000u
#define KR_POS_WRITE   0x04000000u
#define KR_POS_SEARCH  0x08000000u
#define KR_POS_LINK    0x10000000u
#define KR_POS_SETATTR 0x20000000u
#define KR_POS_ALL     0x3f000000u
#define KR_USR_VIEW    0x00010000u
#define KR_USR_READ    0x00020000u
#define KR_USR_WRITE   0x00040000u
#define KR_USR_SEARCH  0x00080000u
#define KR_USR_LINK    0x00100000u
#define KR_USR_SETATTR 0x00200000u
#define KR_USR_ALL     0x003f0000u

/* Token-wide keys: every process of the uid must reach them by serial or
 * by kr_find even from a fresh session keyring (where nothing is
 * possessed), so the owner gets everything a possessor gets.  Group and
 * other get nothing: other uids (root included — the kernel has no
 * capability override for key permissions) cannot see them. */
#define KR_PERM_SHARED  (KR_POS_ALL | KR_USR_ALL)           /* 0x3f3f0000 */
/* Process/session-scoped keys: only possessors (this process, or this
 * session) may use them; other processes of the uid may only view the
 * description (so listings stay explainable) but never read the payload. */
#define KR_PERM_PRIVATE (KR_POS_ALL | KR_USR_VIEW)          /* 0x3f010000 */

/* Serial of a well-known ring (KR_USER, KR_SESSION, ...).  create != 0
 * creates it if absent; otherwise -ENOKEY when it does not exist yet. */
int kr_resolve(kr_serial spec, int create, kr_serial *out);

/* Find the key of `type` named `desc` linked DIRECTLY in `ring` (nested
 * keyrings are not considered, nor `ring` itself).  Uses one
 * keyctl_search plus a listing to check the hit is a direct child; falls
 * back to describing every entry when the search skipped candidates
 * (no search permission, revoked, expired).  -ENOKEY when absent;
 * revoked, expired, invalidated entries and entries the caller may not
 * view count as absent.  -ENOTDIR when `ring` is not a keyring. */
int kr_find(kr_serial ring, const char *type, const char *desc, kr_serial *out);

/* One keyctl_search syscall: the key of `type` named `desc` reachable from
 * `ring` (nested rings included).  For rings the caller knows to be flat it
 * tells, cheaply, whether the key is still linked there: -ENOKEY once it was
 * unlinked (keyctl clear), even while the key itself still lives. */
int kr_search(kr_serial ring, const char *type, const char *desc, kr_serial *out);

/* Create keyring `desc` in `parent` with permission mask `perm`.
 * A keyring of the same name already in `parent` is displaced (unlinked
 * from `parent`, atomically replaced); it is NOT reused. */
int kr_keyring_new(kr_serial parent, const char *desc, uint32_t perm, kr_serial *out);

/* Add a NEW key to `ring` with permission mask `perm`; the key becomes
 * visible in `ring` only once `perm` is in place.
 * The caller guarantees `type`+`desc` is unique in `ring`: if an entry
 * with the same type and description exists it is displaced (atomically
 * replaced by the new key, which has a new serial).  (A bare add_key()
 * into `ring` would instead update the old key in place — see kr_add.c
 * for why we do not call it that way.)
 * Implementation note: the key is created in the calling thread's thread
 * keyring (created on first use, lives until the thread exits, costs one
 * key of quota), given `perm` there while possessed, linked into `ring`,
 * then unlinked from the thread keyring.  This makes it work even when
 * `ring` is not possessed (e.g. a ring under KR_USER reached from a fresh
 * session keyring), where setting perm after a plain add_key fails with
 * -EACCES.  -EDQUOT when the uid's quota is exhausted. */
int kr_add(kr_serial ring, const char *type, const char *desc, const void *data,
           size_t len, uint32_t perm, kr_serial *out);

/* Replace the payload of an existing key (same serial).  "user" payloads
 * must be 1..32767 bytes (-EINVAL otherwise, also in kr_add). */
int kr_update(kr_serial key, const void *data, size_t len);

/* Read the whole payload into a new buffer of *len + 1 bytes, NUL
 * terminated for convenience.  Buffers discarded on the way (payload grew
 * between size probe and read, errors) are wiped.  Free *data with
 * kr_free_secret(*data, *len). */
int kr_read(kr_serial key, uint8_t **data, size_t *len);

/* Exactly one keyctl(KEYCTL_READ) syscall into a caller buffer, no
 * allocation: for hot paths.  On success *len is the FULL payload size,
 * which may exceed cap: the caller detects truncation by *len > cap.  When
 * *len > cap the contents of buf are unspecified (current kernels copy
 * nothing, old ones copied a prefix); nothing beyond buf[cap-1] is
 * written.  buf may be NULL with cap 0 to ask for the size. */
int kr_read_into(kr_serial key, void *buf, size_t cap, size_t *len);

/* explicit_bzero(p, n) then free(p); NULL-safe. */
void kr_free_secret(void *p, size_t n);

/* Serials linked in keyring `ring`, in the kernel's order.  *ids is a
 * malloc'd array (non-NULL on success, even when *n == 0): free() it.
 * -ENOTDIR when `ring` is not a keyring. */
int kr_list(kr_serial ring, kr_serial **ids, size_t *n);

typedef struct {
	char type[32];
	uint32_t uid, gid, perm;
	char desc[256];
} kr_desc;

/* Parse the kernel description "type;uid;gid;perm;desc" (desc may contain
 * ';').  -ENAMETOOLONG when type or desc does not fit kr_desc. */
int kr_describe(kr_serial key, kr_desc *out);

/* Link `key` into `ring` (displacing a same type+desc entry there). */
int kr_link(kr_serial key, kr_serial ring);
/* Remove the link from `ring`; the key dies when its last link goes —
 * asynchronously: a key displaced or unlinked this way stays readable by
 * serial for a few tens of ms (measured ~20 ms); use kr_invalidate to
 * make it unusable at once. */
int kr_unlink(kr_serial key, kr_serial ring);

/* Invalidate: the key becomes unusable for every process at once and is
 * garbage collected (unlinked from every keyring) shortly after.
 * Afterwards a read by serial gives -ENOKEY if the caller's user bits
 * allow reading, but -EACCES for keys without KR_USR_READ until the
 * collector has run (the invalidated key is no longer possessed, and the
 * kernel checks permission before state). */
int kr_invalidate(kr_serial key);

/* Unlink everything from keyring `ring`. */
int kr_clear(kr_serial ring);

int kr_setperm(kr_serial key, uint32_t perm);

/* Expire the key `seconds` from now (0 clears the timeout).  Expired keys
 * give -EKEYEXPIRED until collected. */
int kr_set_timeout(kr_serial key, unsigned seconds);

/* The uid's persistent keyring (survives sessions, expires after
 * /proc/sys/kernel/keys/persistent_keyring_expiry seconds without use),
 * linked into `dest`.  uid (uid_t)-1 means the caller's own. */
int kr_get_persistent(uid_t uid, kr_serial dest, kr_serial *out);

typedef struct {
	unsigned long keys, maxkeys, bytes, maxbytes;
} kr_quota;

/* Quota usage of the calling uid (geteuid(), which is the uid keys are
 * charged to unless setfsuid() was used), from its /proc/key-users line
 * (the kernel already prints root's root_max* limits there).  A uid with
 * no line owns no keys: 0 usage and the limits from
 * /proc/sys/kernel/keys/{root_,}max{keys,bytes}.  Freed quota comes back
 * only after the kernel's key garbage collector ran (asynchronously). */
int kr_quota_get(kr_quota *q);

#endif /* KR_H */
