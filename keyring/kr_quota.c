/* kr_quota.c — the calling uid's key quota, as the kernel reports it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kr_internal.h"

/* Read one unsigned long from a sysctl file. */
static int read_ulong(const char *path, unsigned long *v)
{
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f)
		return kr__errno();
	ret = fscanf(f, "%lu", v) == 1 ? 0 : -EPROTO;
	fclose(f);
	return ret;
}

/* Limits for a uid the kernel holds no accounting record for. */
static int sysctl_limits(uid_t uid, kr_quota *q)
{
	int ret;

	ret = read_ulong(uid == 0 ? "/proc/sys/kernel/keys/root_maxkeys"
				  : "/proc/sys/kernel/keys/maxkeys", &q->maxkeys);
	if (ret)
		return ret;
	return read_ulong(uid == 0 ? "/proc/sys/kernel/keys/root_maxbytes"
				   : "/proc/sys/kernel/keys/maxbytes", &q->maxbytes);
}

int kr_quota_get(kr_quota *q)
{
	/* Keys are charged to the fsuid, which follows the euid. */
	uid_t uid = geteuid();
	kr_quota r = { 0, 0, 0, 0 };
	char *line = NULL;
	size_t cap = 0;
	unsigned long u;
	FILE *f;
	int ret, found = 0;

	f = fopen("/proc/key-users", "re");
	if (!f) {
		ret = kr__errno();
		goto out;
	}
	/* "%5u: %5d %d/%d %d/%d %d/%d": uid: usage nkeys/nikeys
	 * qnkeys/maxkeys qnbytes/maxbytes; the kernel already prints
	 * root_max* for uid 0. */
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%lu: %*d %*d/%*d %lu/%lu %lu/%lu", &u, &r.keys,
			   &r.maxkeys, &r.bytes, &r.maxbytes) == 5 && u == uid) {
			found = 1;
			break;
		}
	}
	fclose(f);
	ret = found ? 0 : sysctl_limits(uid, &r);
	if (ret)
		goto out;
	*q = r;
out:
	free(line);
	return ret;
}
