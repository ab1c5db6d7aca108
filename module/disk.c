/* disk.c - the store directory and atomic files.
 *
 * Every file is replaced whole: write a temporary, fsync it, rename it over
 * the name, fsync the directory.  A crash leaves the old file or the new one,
 * never half of either.  Locks are flock(2) on a directory itself, so there
 * are no lock files to go stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include "kt.h"

static int mkdir_p(char *path)
{
	char *s;

	for (s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*s = '/';
			return -errno;
		}
		*s = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int kt_disk_root(char *buf, size_t n)
{
	const char *d = getenv("KERNTOK_DIR"), *x;
	int r;

	if (d != NULL && *d != '\0')
		r = snprintf(buf, n, "%s", d);
	else if (geteuid() == 0)
		r = snprintf(buf, n, "/var/lib/kerntok");
	else if ((x = getenv("XDG_DATA_HOME")) != NULL && *x == '/')
		r = snprintf(buf, n, "%s/kerntok", x);
	else if ((x = getenv("HOME")) != NULL)
		r = snprintf(buf, n, "%s/.local/share/kerntok", x);
	else
		return -ENOENT;
	if (r < 0 || (size_t)r >= n)
		return -ENAMETOOLONG;
	return mkdir_p(buf);
}

int kt_disk_write(int dirfd, const char *name, const uint8_t *p, size_t n)
{
	char tmp[NAME_MAX + 1];
	int fd, r = 0;
	size_t off = 0;

	if (snprintf(tmp, sizeof tmp, ".%s.%d.tmp", name, (int)getpid()) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		goto out;
	}
	if (fsync(dirfd) < 0)
		r = -errno;
out:
	close(fd);
	if (r < 0)
		(void)unlinkat(dirfd, tmp, 0);
	return r;
}

int kt_disk_read(int dirfd, const char *name, uint8_t **out, size_t *outlen, size_t max)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t off = 0;
	int fd, r = 0;

	*out = NULL;
	*outlen = 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t g = read(fd, p + off, (size_t)st.st_size - off);
		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0)
			break;
		off += (size_t)g;
	}
	*out = p;
	*outlen = off;
	p = NULL;
out:
	free(p);
	close(fd);
	return r;
}

/* flock(2) locks belong to an open file description, which all threads of a
 * process share: on its own it would let two threads of one process in at
 * once, and one thread's unlock would free the other's lock.  So each lock
 * also takes an in-process mutex (recursive: a thread may nest the store lock
 * and a token lock, whose fds may share a bucket). */
#define LOCK_BUCKETS 64
static pthread_mutex_t buckets[LOCK_BUCKETS];
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void)
{
	pthread_mutexattr_t at;
	int i;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	for (i = 0; i < LOCK_BUCKETS; i++)
		pthread_mutex_init(&buckets[i], &at);
	pthread_mutexattr_destroy(&at);
}

int kt_disk_lock(int dirfd)
{
	pthread_once(&buckets_once, buckets_init);
	pthread_mutex_lock(&buckets[(unsigned)dirfd % LOCK_BUCKETS]);
	while (flock(dirfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = -errno;
			pthread_mutex_unlock(&buckets[(unsigned)dirfd % LOCK_BUCKETS]);
			return e;
		}
	}
	return 0;
}

void kt_disk_unlock(int dirfd)
{
	(void)flock(dirfd, LOCK_UN);
	pthread_mutex_unlock(&buckets[(unsigned)dirfd % LOCK_BUCKETS]);
}

/* After fork a parent thread may have held a bucket: start afresh. */
void kt_disk_reset(void)
{
	buckets_init();
}
