/* test_keyring.c — CUnit tests of keyring/ against the real kernel.
 *
 * Run inside a fresh session keyring (keyctl session -) as root.  Every key
 * lives under one fixture keyring in the session keyring, which the suite
 * cleanup clears and invalidates; tests that need another uid or session
 * fork a child that reports through its exit code.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <keyutils.h>

#include "../keyring/kr.h"

static kr_serial g_ring; /* fixture: KR_PERM_SHARED keyring in the session */

/* Unprivileged uids for the quota/persistent children: unlikely to be in
 * use and distinct per test process so parallel runs do not share quota. */
static uid_t test_uid(unsigned which)
{
	return 1900000000u + ((uid_t)getpid() % 1000000u) * 2u + which;
}

static int suite_init(void)
{
	char name[64];

	snprintf(name, sizeof(name), "kt-test-keyring.%d", (int)getpid());
	return kr_keyring_new(KR_SESSION, name, KR_PERM_SHARED, &g_ring) ? -1 : 0;
}

static int suite_clean(void)
{
	/* Clearing first frees the keys at once instead of at GC time. */
	kr_clear(g_ring);
	return kr_invalidate(g_ring) ? -1 : 0;
}

/* Fork, run fn in the child, return its exit status (128+sig if killed). */
static int run_child(int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Child: leave the parent's session so nothing of it is possessed. */
static int new_session(void)
{
	return keyctl_join_session_keyring(NULL) < 0 ? -1 : 0;
}

static int drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
		return -1;
	return new_session();
}

static kr_serial add(kr_serial ring, const char *desc, const char *s, uint32_t perm)
{
	kr_serial k = 0;

	CU_ASSERT_EQUAL_FATAL(kr_add(ring, "user", desc, s, strlen(s), perm, &k), 0);
	CU_ASSERT(k > 0);
	return k;
}

static int in_list(kr_serial ring, kr_serial k)
{
	kr_serial *ids = NULL;
	size_t n = 0, i;
	int found = 0;

	if (kr_list(ring, &ids, &n))
		return -1;
	for (i = 0; i < n; i++)
		found |= ids[i] == k;
	free(ids);
	return found;
}

static unsigned long sysctl_ul(const char *name)
{
	char path[128];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/keys/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* ---- resolve ---------------------------------------------------------- */

static int child_resolve(void *arg)
{
	kr_serial a = 0, b = 0;

	(void)arg;
	/* A fresh process has no process keyring until asked to create one. */
	if (kr_resolve(KR_PROCESS, 0, &a) != -ENOKEY)
		return 1;
	if (kr_resolve(KR_PROCESS, 1, &a) || a <= 0)
		return 2;
	if (kr_resolve(KR_PROCESS, 0, &b) || b != a)
		return 3;
	return 0;
}

static void test_resolve(void)
{
	kr_serial s = 0;

	CU_ASSERT_EQUAL(kr_resolve(KR_SESSION, 0, &s), 0);
	CU_ASSERT(s > 0);
	CU_ASSERT_EQUAL(run_child(child_resolve, NULL), 0);
}

/* ---- keyring_new / find ---------------------------------------------- */

static void test_find(void)
{
	kr_serial r = 0, nest = 0, k, deep, got = 0, skip_direct, skip_nested, rev;
	/* no SEARCH bit, so the kernel search skips it (and nobody possesses
	 * it: possession itself means "found by searching"); viewable as
	 * owner so kr_find can still describe it */
	const uint32_t nosearch = (KR_POS_ALL & ~KR_POS_SEARCH) | KR_USR_VIEW;

	CU_ASSERT_EQUAL_FATAL(kr_keyring_new(g_ring, "kt-r", KR_PERM_SHARED, &r), 0);
	CU_ASSERT_EQUAL_FATAL(kr_keyring_new(r, "nested", KR_PERM_SHARED, &nest), 0);
	k = add(r, "obj;1:x", "v", KR_PERM_SHARED);
	deep = add(nest, "deep", "v", KR_PERM_SHARED);

	CU_ASSERT_EQUAL(kr_find(r, "user", "obj;1:x", &got), 0);
	CU_ASSERT_EQUAL(got, k);
	CU_ASSERT_EQUAL(kr_find(r, "keyring", "nested", &got), 0);
	CU_ASSERT_EQUAL(got, nest);
	CU_ASSERT_EQUAL(kr_find(g_ring, "keyring", "kt-r", &got), 0);
	CU_ASSERT_EQUAL(got, r);
	/* present only in a nested ring: the kernel search finds it, but it
	 * is not a direct child */
	CU_ASSERT_EQUAL(kr_find(r, "user", "deep", &got), -ENOKEY);
	CU_ASSERT_EQUAL(kr_find(nest, "user", "deep", &got), 0);
	CU_ASSERT_EQUAL(got, deep);
	CU_ASSERT_EQUAL(kr_find(r, "user", "absent", &got), -ENOKEY);
	CU_ASSERT_EQUAL(kr_find(r, "keyring", "obj;1:x", &got), -ENOKEY);
	/* the kernel search matches the top ring itself */
	CU_ASSERT_EQUAL(kr_find(r, "keyring", "kt-r", &got), -ENOKEY);
	/* not a keyring */
	CU_ASSERT_EQUAL(kr_find(k, "user", "x", &got), -ENOTDIR);

	/* A direct child the search skips (no SEARCH bit) while a nested
	 * twin is searchable: the search returns the twin, kr_find must
	 * still return the direct child. */
	skip_nested = add(nest, "twin", "nested", KR_PERM_SHARED);
	skip_direct = add(r, "twin", "direct", nosearch);
	CU_ASSERT_EQUAL(kr_find(r, "user", "twin", &got), 0);
	CU_ASSERT_EQUAL(got, skip_direct);
	CU_ASSERT_NOT_EQUAL(got, skip_nested);

	/* A revoked direct child is unusable: treated as absent. */
	rev = add(r, "revoked", "v", KR_PERM_SHARED);
	CU_ASSERT_EQUAL(keyctl_revoke(rev), 0);
	CU_ASSERT_EQUAL(kr_find(r, "user", "revoked", &got), -ENOKEY);

	CU_ASSERT_EQUAL(kr_clear(nest), 0);
	CU_ASSERT_EQUAL(kr_clear(r), 0);
	CU_ASSERT_EQUAL(kr_invalidate(r), 0);
}

/* ---- read / update ---------------------------------------------------- */

static void test_read_update(void)
{
	kr_serial k = add(g_ring, "kt-rw", "v1", KR_PERM_SHARED);
	uint8_t *d = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(kr_read(k, &d, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(memcmp(d, "v1", 3), 0); /* NUL terminated */
	kr_free_secret(d, n);

	CU_ASSERT_EQUAL(kr_update(k, "version-2", 9), 0);
	CU_ASSERT_EQUAL_FATAL(kr_read(k, &d, &n), 0);
	CU_ASSERT_EQUAL(n, 9);
	CU_ASSERT_EQUAL(memcmp(d, "version-2", 10), 0);
	kr_free_secret(d, n);

	/* "user" keys cannot be empty (kernel: 1..32767 bytes) */
	CU_ASSERT_EQUAL(kr_update(k, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
	/* a zero-length read: an empty keyring */
	CU_ASSERT_EQUAL_FATAL(kr_keyring_new(g_ring, "kt-empty", KR_PERM_SHARED, &k), 0);
	CU_ASSERT_EQUAL_FATAL(kr_read(k, &d, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(d[0], 0);
	kr_free_secret(d, n);
	kr_free_secret(NULL, 5); /* NULL-safe */

	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
}

static void test_read_large(void)
{
	enum { N = 20000 };
	uint8_t *src = malloc(N), *d = NULL;
	kr_serial k = 0;
	size_t n = 0, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	for (i = 0; i < N; i++)
		src[i] = (uint8_t)(i * 131 + 7);
	CU_ASSERT_EQUAL_FATAL(kr_add(g_ring, "user", "kt-large", src, N, KR_PERM_SHARED, &k), 0);
	CU_ASSERT_EQUAL_FATAL(kr_read(k, &d, &n), 0);
	CU_ASSERT_EQUAL(n, N);
	CU_ASSERT_EQUAL(memcmp(d, src, N), 0);
	CU_ASSERT_EQUAL(d[N], 0);
	kr_free_secret(d, n);
	/* larger than a page through the one-syscall path too */
	d = malloc(N);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(kr_read_into(k, d, N, &n), 0);
	CU_ASSERT_EQUAL(n, N);
	CU_ASSERT_EQUAL(memcmp(d, src, N), 0);
	kr_free_secret(d, N);
	free(src);
	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
}

static void test_read_into(void)
{
	kr_serial k = add(g_ring, "kt-gen", "0123456789", KR_PERM_SHARED);
	uint8_t buf[16];
	size_t n = 0, i;
	int untouched = 1;

	/* size probe */
	CU_ASSERT_EQUAL(kr_read_into(k, NULL, 0, &n), 0);
	CU_ASSERT_EQUAL(n, 10);

	/* truncation: success, full size reported, nothing past cap */
	memset(buf, 0xAA, sizeof(buf));
	CU_ASSERT_EQUAL(kr_read_into(k, buf, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 10);
	for (i = 4; i < sizeof(buf); i++)
		CU_ASSERT_EQUAL(buf[i], 0xAA);
	for (i = 0; i < 4; i++)
		untouched &= buf[i] == 0xAA;
	/* Either is allowed by kr.h; record what this kernel does. */
	CU_ASSERT(untouched || memcmp(buf, "0123", 4) == 0);
	fprintf(stderr, "\n  [info] truncated KEYCTL_READ %s the buffer\n",
		untouched ? "leaves untouched" : "copies a prefix into");

	/* exact fit */
	memset(buf, 0xAA, sizeof(buf));
	CU_ASSERT_EQUAL(kr_read_into(k, buf, 10, &n), 0);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(memcmp(buf, "0123456789", 10), 0);
	CU_ASSERT_EQUAL(buf[10], 0xAA);

	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
}

/* ---- list / describe / link ------------------------------------------- */

static void test_list_clear(void)
{
	kr_serial r = 0, k[3], *ids = NULL;
	size_t n = 0, i, j, hits = 0;

	CU_ASSERT_EQUAL_FATAL(kr_keyring_new(g_ring, "kt-list", KR_PERM_SHARED, &r), 0);
	CU_ASSERT_EQUAL(kr_list(r, &ids, &n), 0);
	CU_ASSERT_PTR_NOT_NULL(ids);
	CU_ASSERT_EQUAL(n, 0);
	free(ids);

	k[0] = add(r, "a", "1", KR_PERM_SHARED);
	k[1] = add(r, "b", "2", KR_PERM_PRIVATE);
	k[2] = add(r, "c", "3", KR_PERM_SHARED);
	CU_ASSERT_EQUAL_FATAL(kr_list(r, &ids, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0; i < n; i++)
		for (j = 0; j < 3; j++)
			hits += ids[i] == k[j];
	CU_ASSERT_EQUAL(hits, 3);
	free(ids);

	/* a plain key's payload must not be read as a list */
	CU_ASSERT_EQUAL(kr_list(k[0], &ids, &n), -ENOTDIR);

	CU_ASSERT_EQUAL(kr_clear(r), 0);
	CU_ASSERT_EQUAL(kr_list(r, &ids, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(ids);
	CU_ASSERT_EQUAL(kr_invalidate(r), 0);
}

static void test_describe(void)
{
	char longdesc[301];
	kr_serial k = add(g_ring, "a;b:c;;d:", "x", KR_PERM_SHARED), l, got = 0;
	kr_desc d;

	CU_ASSERT_EQUAL_FATAL(kr_describe(k, &d), 0);
	CU_ASSERT_STRING_EQUAL(d.type, "user");
	CU_ASSERT_STRING_EQUAL(d.desc, "a;b:c;;d:");
	CU_ASSERT_EQUAL(d.uid, geteuid());
	CU_ASSERT_EQUAL(d.gid, getegid());
	CU_ASSERT_EQUAL(d.perm, KR_PERM_SHARED);

	CU_ASSERT_EQUAL_FATAL(kr_describe(g_ring, &d), 0);
	CU_ASSERT_STRING_EQUAL(d.type, "keyring");
	CU_ASSERT_EQUAL(strncmp(d.desc, "kt-test-keyring.", 16), 0);

	CU_ASSERT_EQUAL(kr_setperm(k, KR_PERM_PRIVATE), 0);
	CU_ASSERT_EQUAL(kr_describe(k, &d), 0);
	CU_ASSERT_EQUAL(d.perm, KR_PERM_PRIVATE);

	/* too long for kr_desc: reported, not truncated; kr_find still works */
	memset(longdesc, 'L', 300);
	longdesc[300] = 0;
	l = add(g_ring, longdesc, "x", KR_PERM_SHARED);
	CU_ASSERT_EQUAL(kr_describe(l, &d), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(kr_find(g_ring, "user", longdesc, &got), 0);
	CU_ASSERT_EQUAL(got, l);

	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
	CU_ASSERT_EQUAL(kr_invalidate(l), 0);
}

static void test_link_unlink(void)
{
	kr_serial r = 0, k = add(g_ring, "kt-link", "x", KR_PERM_SHARED);

	CU_ASSERT_EQUAL_FATAL(kr_keyring_new(g_ring, "kt-link-ring", KR_PERM_SHARED, &r), 0);
	CU_ASSERT_EQUAL(kr_link(k, r), 0);
	CU_ASSERT_EQUAL(in_list(r, k), 1);
	CU_ASSERT_EQUAL(kr_unlink(k, r), 0);
	CU_ASSERT_EQUAL(in_list(r, k), 0);
	CU_ASSERT_EQUAL(in_list(g_ring, k), 1);
	CU_ASSERT_EQUAL(kr_unlink(k, r), -ENOENT);
	CU_ASSERT_EQUAL(kr_link(k, k), -ENOTDIR);
	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
	CU_ASSERT_EQUAL(kr_invalidate(r), 0);
}

/* Same type+desc twice: kr_add displaces, a bare add_key updates. */
static void test_duplicate_desc(void)
{
	kr_serial a, b, ra = 0, rb = 0;
	key_serial_t x, y;
	uint8_t *d = NULL;
	size_t n = 0;
	int i, ret = 0;

	a = add(g_ring, "kt-dup", "first", KR_PERM_SHARED);
	b = add(g_ring, "kt-dup", "second", KR_PERM_SHARED);
	CU_ASSERT_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(in_list(g_ring, a), 0);
	CU_ASSERT_EQUAL(in_list(g_ring, b), 1);
	CU_ASSERT_EQUAL_FATAL(kr_read(b, &d, &n), 0);
	CU_ASSERT_STRING_EQUAL((char *)d, "second");
	kr_free_secret(d, n);
	/* The displaced key lost its only link, but the kernel drops that
	 * reference after an RCU grace period and then garbage collects:
	 * the old serial stays readable for a moment. */
	for (i = 0; i < 200 && (ret = kr_read(a, &d, &n)) == 0; i++) {
		kr_free_secret(d, n);
		usleep(5000);
	}
	CU_ASSERT_EQUAL(ret, -ENOKEY);
	fprintf(stderr, "\n  [info] displaced key readable for ~%d ms, then %s\n",
		i * 5, strerror(-ret));

	CU_ASSERT_EQUAL(kr_keyring_new(g_ring, "kt-dupring", KR_PERM_SHARED, &ra), 0);
	CU_ASSERT_EQUAL(kr_keyring_new(g_ring, "kt-dupring", KR_PERM_SHARED, &rb), 0);
	CU_ASSERT_NOT_EQUAL(ra, rb);
	CU_ASSERT_EQUAL(in_list(g_ring, ra), 0);
	CU_ASSERT_EQUAL(in_list(g_ring, rb), 1);

	/* kernel behaviour kr_add avoids: add_key() updates in place */
	x = add_key("user", "kt-bare", "1", 1, g_ring);
	y = add_key("user", "kt-bare", "22", 2, g_ring);
	CU_ASSERT(x > 0);
	CU_ASSERT_EQUAL(x, y);
	CU_ASSERT_EQUAL(kr_read_into(x, NULL, 0, &n), 0);
	CU_ASSERT_EQUAL(n, 2);

	CU_ASSERT_EQUAL(kr_invalidate(b), 0);
	CU_ASSERT_EQUAL(kr_invalidate(rb), 0);
	CU_ASSERT_EQUAL(kr_invalidate(x), 0);
}

/* ---- invalidate / revoke / expire -------------------------------------- */

static void test_dead_keys(void)
{
	kr_serial s = add(g_ring, "kt-inv-shared", "x", KR_PERM_SHARED);
	kr_serial p = add(g_ring, "kt-inv-private", "x", KR_PERM_PRIVATE);
	kr_serial r = add(g_ring, "kt-revoked", "x", KR_PERM_SHARED);
	kr_serial e = add(g_ring, "kt-expiring", "x", KR_PERM_SHARED);
	uint8_t *d = NULL, b[4];
	size_t n = 0;
	kr_desc ds;
	int ret = 0, i;

	CU_ASSERT_EQUAL(kr_invalidate(s), 0);
	CU_ASSERT_EQUAL(kr_read(s, &d, &n), -ENOKEY);
	CU_ASSERT_EQUAL(kr_read_into(s, b, sizeof(b), &n), -ENOKEY);
	CU_ASSERT_EQUAL(kr_describe(s, &ds), -ENOKEY);
	CU_ASSERT_EQUAL(kr_find(g_ring, "user", "kt-inv-shared", &s), -ENOKEY);

	/* Not user-readable: the invalidated key is no longer possessed and
	 * the kernel checks permission before state, so -EACCES until the
	 * garbage collector destroyed it, -ENOKEY afterwards. */
	CU_ASSERT_EQUAL(kr_invalidate(p), 0);
	ret = kr_read(p, &d, &n);
	CU_ASSERT(ret == -EACCES || ret == -ENOKEY);
	fprintf(stderr, "\n  [info] read of invalidated private key: %s\n", strerror(-ret));

	CU_ASSERT_EQUAL(keyctl_revoke(r), 0);
	CU_ASSERT_EQUAL(kr_read(r, &d, &n), -EKEYREVOKED);
	CU_ASSERT_EQUAL(kr_describe(r, &ds), -EKEYREVOKED);
	CU_ASSERT_EQUAL(kr_update(r, "y", 1), -EKEYREVOKED);

	CU_ASSERT_EQUAL(kr_set_timeout(e, 100), 0);
	CU_ASSERT_EQUAL(kr_set_timeout(e, 0), 0); /* cleared */
	CU_ASSERT_EQUAL(kr_set_timeout(e, 1), 0);
	for (i = 0; i < 40; i++) {
		ret = kr_read_into(e, b, sizeof(b), &n);
		if (ret)
			break;
		usleep(100000);
	}
	CU_ASSERT_EQUAL(ret, -EKEYEXPIRED);
	CU_ASSERT_EQUAL(kr_read(e, &d, &n), -EKEYEXPIRED);

	/* Revoked/expired keys cannot be invalidated (-EKEY*), but unlinking
	 * only needs the ring, and drops their last link. */
	CU_ASSERT_EQUAL(kr_unlink(r, g_ring), 0);
	CU_ASSERT_EQUAL(kr_unlink(e, g_ring), 0);
}

/* ---- permissions across sessions --------------------------------------- */

struct perm_arg {
	kr_serial key;
	int want; /* expected kr_read result */
};

static int child_read(void *p)
{
	struct perm_arg *a = p;
	uint8_t *d = NULL;
	size_t n = 0;
	kr_serial got = 0;
	kr_desc ds;
	int ret;

	if (new_session())
		return 10;
	ret = kr_read(a->key, &d, &n);
	if (ret != a->want)
		return ret == -EACCES ? 11 : 12;
	if (!ret && (n != 6 || memcmp(d, "s3cret", 6)))
		return 13;
	kr_free_secret(d, n);
	if (kr_read_into(a->key, NULL, 0, &n) != a->want)
		return 14;
	/* view is granted either way; the ring is KR_PERM_SHARED */
	if (kr_describe(a->key, &ds))
		return 15;
	if (kr_find(g_ring, "user", "kt-perm", &got) || got != a->key)
		return 16;
	return 0;
}

static void test_perms(void)
{
	kr_serial k = add(g_ring, "kt-perm", "s3cret", KR_PERM_PRIVATE);
	struct perm_arg a = { k, -EACCES };

	CU_ASSERT_EQUAL(run_child(child_read, &a), 0);
	CU_ASSERT_EQUAL(kr_setperm(k, KR_PERM_SHARED), 0);
	a.want = 0;
	CU_ASSERT_EQUAL(run_child(child_read, &a), 0);
	CU_ASSERT_EQUAL(kr_setperm(k, KR_PERM_PRIVATE), 0);
	a.want = -EACCES;
	CU_ASSERT_EQUAL(run_child(child_read, &a), 0);
	CU_ASSERT_EQUAL(kr_invalidate(k), 0);
}

/* From a fresh session the fixture ring is not possessed: kr_add must
 * still apply the mask, where add_key + setperm cannot. */
static int child_add_unpossessed(void *arg)
{
	kr_serial k = 0;
	key_serial_t bare;
	kr_desc d;
	int bad;

	(void)arg;
	if (new_session())
		return 10;
	bare = add_key("user", "kt-bare-unpossessed", "x", 1, g_ring);
	if (bare < 0)
		return 11;
	bad = keyctl_setperm(bare, KR_PERM_SHARED) != -1 || errno != EACCES;
	keyctl_unlink(bare, g_ring);
	if (bad)
		return 12;

	if (kr_add(g_ring, "user", "kt-unpossessed", "x", 1, KR_PERM_SHARED, &k))
		return 13;
	if (kr_describe(k, &d) || d.perm != KR_PERM_SHARED)
		return 14;
	if (kr_invalidate(k))
		return 15;
	if (kr_keyring_new(g_ring, "kt-unpossessed-ring", KR_PERM_SHARED, &k))
		return 16;
	if (kr_describe(k, &d) || d.perm != KR_PERM_SHARED)
		return 17;
	return kr_invalidate(k) ? 18 : 0;
}

static void test_add_unpossessed(void)
{
	CU_ASSERT_EQUAL(run_child(child_add_unpossessed, NULL), 0);
}

/* ---- quota -------------------------------------------------------------- */

static void test_quota(void)
{
	kr_quota q0, q1;
	kr_serial k = 0;
	int i, ok = 0;

	CU_ASSERT_EQUAL_FATAL(kr_quota_get(&q0), 0);
	CU_ASSERT(q0.keys > 0 && q0.keys <= q0.maxkeys);
	CU_ASSERT(q0.bytes <= q0.maxbytes);
	CU_ASSERT_EQUAL(q0.maxkeys, sysctl_ul(geteuid() ? "maxkeys" : "root_maxkeys"));
	CU_ASSERT_EQUAL(q0.maxbytes, sysctl_ul(geteuid() ? "maxbytes" : "root_maxbytes"));

	/* Other root processes may add/free keys meanwhile: accept the
	 * first of a few attempts that saw exactly our key. */
	for (i = 0; i < 5 && !ok; i++) {
		CU_ASSERT_EQUAL_FATAL(kr_quota_get(&q0), 0);
		CU_ASSERT_EQUAL_FATAL(kr_add(g_ring, "user", "kt-quota", "0123456789", 10,
					     KR_PERM_SHARED, &k), 0);
		CU_ASSERT_EQUAL_FATAL(kr_quota_get(&q1), 0);
		ok = q1.keys == q0.keys + 1 && q1.bytes >= q0.bytes + 10;
		if (!ok)
			fprintf(stderr, "\n  [info] quota moved %lu->%lu keys, %lu->%lu bytes\n",
				q0.keys, q1.keys, q0.bytes, q1.bytes);
		CU_ASSERT_EQUAL(kr_invalidate(k), 0);
	}
	CU_ASSERT(ok);
}

static int child_edquot(void *arg)
{
	enum { PAYLOAD = 1000 };
	char buf[PAYLOAD], desc[32];
	kr_serial *ids, k = 0;
	kr_quota q;
	unsigned long max;
	size_t n;
	int ret = 0, tries;

	(void)arg;
	if (drop_to(test_uid(0)))
		return 10;
	if (kr_quota_get(&q))
		return 11;
	if (q.maxbytes != sysctl_ul("maxbytes") || q.maxkeys != sysctl_ul("maxkeys"))
		return 12;
	max = q.maxbytes / PAYLOAD + 10;
	if (max > q.maxkeys + 10)
		max = q.maxkeys + 10;
	ids = calloc(max, sizeof(*ids));
	if (!ids)
		return 13;
	memset(buf, 'q', sizeof(buf));
	for (n = 0; n < max; n++) {
		snprintf(desc, sizeof(desc), "kt-q.%zu", n);
		ret = kr_add(KR_SESSION, "user", desc, buf, PAYLOAD, KR_PERM_PRIVATE, &ids[n]);
		if (ret)
			break;
	}
	if (ret != -EDQUOT)
		return ret ? 14 : 15;
	if (n == 0)
		return 16;
	/* The numbers must explain the refusal. */
	if (kr_quota_get(&q))
		return 17;
	if (q.bytes + PAYLOAD <= q.maxbytes && q.keys < q.maxkeys)
		return 18;
	fprintf(stderr, "\n  [info] uid %u: EDQUOT after %zu keys of %d bytes (%lu/%lu keys, %lu/%lu bytes)\n",
		(unsigned)test_uid(0), n, PAYLOAD, q.keys, q.maxkeys, q.bytes, q.maxbytes);

	/* Room comes back once the garbage collector destroyed the key. */
	if (kr_invalidate(ids[0]))
		return 19;
	for (tries = 0; tries < 200; tries++) {
		ret = kr_add(KR_SESSION, "user", "kt-q.again", buf, PAYLOAD, KR_PERM_PRIVATE, &k);
		if (ret != -EDQUOT)
			break;
		usleep(10000);
	}
	if (ret)
		return 20;
	fprintf(stderr, "  [info] quota freed after ~%d ms\n", tries * 10);
	free(ids);
	return kr_clear(KR_SESSION) ? 21 : 0;
}

static void test_edquot(void)
{
	CU_ASSERT_EQUAL(run_child(child_edquot, NULL), 0);
}

/* ---- persistent ---------------------------------------------------------- */

static int child_persistent(void *arg)
{
	kr_serial p = 0, p2 = 0;
	char want[64];
	kr_desc d;
	int ret;

	(void)arg;
	/* A private uid, so the persistent keyring is ours to destroy. */
	if (drop_to(test_uid(1)))
		return 10;
	ret = kr_get_persistent((uid_t)-1, KR_SESSION, &p);
	if (ret == -EOPNOTSUPP)
		return 77;
	if (ret)
		return 11;
	if (kr_get_persistent(test_uid(1), KR_SESSION, &p2) || p2 != p)
		return 12;
	snprintf(want, sizeof(want), "_persistent.%u", (unsigned)test_uid(1));
	if (kr_describe(p, &d) || strcmp(d.type, "keyring") || strcmp(d.desc, want) ||
	    d.uid != test_uid(1))
		return 13;
	/* Another uid's persistent keyring needs CAP_SETUID. */
	if (kr_get_persistent(0, KR_SESSION, &p2) != -EPERM)
		return 14;
	return kr_invalidate(p) ? 15 : 0;
}

static void test_persistent(void)
{
	int st = run_child(child_persistent, NULL);

	if (st == 77)
		fprintf(stderr, "\n  [info] no persistent keyrings in this kernel\n");
	CU_ASSERT(st == 0 || st == 77);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "resolve", test_resolve },
		{ "keyring_new + find (direct children only)", test_find },
		{ "read/update round trip", test_read_update },
		{ "read 20000-byte payload", test_read_large },
		{ "read_into truncation", test_read_into },
		{ "list + clear", test_list_clear },
		{ "describe parse", test_describe },
		{ "link/unlink", test_link_unlink },
		{ "duplicate description", test_duplicate_desc },
		{ "invalidated/revoked/expired errno", test_dead_keys },
		{ "perms across sessions", test_perms },
		{ "add into unpossessed ring", test_add_unpossessed },
		{ "quota accounting", test_quota },
		{ "EDQUOT as unprivileged uid", test_edquot },
		{ "persistent keyring", test_persistent },
	};
	CU_pSuite s;
	unsigned fails;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("keyring", suite_init, suite_clean);
	if (!s)
		goto err;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			goto err;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
err:
	CU_cleanup_registry();
	return 2;
}
