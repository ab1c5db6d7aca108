/* fuzz_meta.c - kt_meta_load (module/meta.c): token.meta, read from a token
 * directory.  The input is written to <tmp>/token.meta and loaded.
 *
 * token.meta carries an HMAC under a fixed, public key (it detects damage;
 * secrets are protected by GCM).  Mode byte bit 0 set: the target recomputes
 * that MAC (over 276 bytes for a version-1 file, 336 for version 2, as the
 * version field says; other versions: by the mode's bit 1), so the fuzzer
 * gets past it to the field checks.  Properties: a load either fails with -EBADMSG (or
 * -EFBIG / -ENOMEM) and leaves the struct zeroed, or succeeds with
 * max_tries > 0; what loads saves (kt_meta_save) and loads back identical. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "fz.h"
#include "kt.h"

#define META_LEN_V1 276  /* meta.c: everything before the MAC, version 1 */
#define META_LEN_V2 336  /* version 2: + protection, TPM copies, boot PCRs, check */
/* meta.c's meta_mac_key: public by design (damage detection only) */
static const uint8_t meta_mac_key[32] = "kerntok token.meta integrity v1";

static char dir1[64], dir2[64];
static int fd1 = -1, fd2 = -1;

static void cleanup(void)
{
	char p[128];

	snprintf(p, sizeof p, "%s/token.meta", dir1);
	unlink(p);
	snprintf(p, sizeof p, "%s/token.meta", dir2);
	unlink(p);
	rmdir(dir1);
	rmdir(dir2);
}

static int mkd(char *buf, size_t n)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(buf, n, "%s/kt-fuzz-meta.XXXXXX", base);
	return mkdtemp(buf) != NULL ? open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fd1 = mkd(dir1, sizeof dir1);
	fd2 = mkd(dir2, sizeof dir2);
	if (fd1 < 0 || fd2 < 0) {
		perror("kt fuzz_meta: temp dir");
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

static int write_meta(const uint8_t *p, size_t n)
{
	int fd = openat(fd1, "token.meta", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	return off == n ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint8_t buf[META_LEN_V2 + 32];
	const uint8_t *p = d + 1;
	size_t pn = n ? n - 1 : 0;
	kt_meta m, m2, zero;
	int r;

	if (fd1 < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	if (n == 0)
		return 0;
	if ((d[0] & 1) && pn >= 8) {
		uint32_t ver = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
		               (uint32_t)p[7] << 24;
		size_t len = ver == 1 ? META_LEN_V1 : ver == 2 ? META_LEN_V2 :
		             (d[0] & 2) ? META_LEN_V2 : META_LEN_V1;
		unsigned int l = 32;
		if (pn >= len) {
			memcpy(buf, p, len);
			HMAC(EVP_sha256(), meta_mac_key, 32, buf, len, buf + len, &l);
			p = buf;
			pn = len + 32;
		}
	}
	if (write_meta(p, pn) < 0)
		return 0;
	memset(&zero, 0, sizeof zero);
	r = kt_meta_load(fd1, &m);
	if (r < 0) {
		FZ_ASSERT(r == -EBADMSG || r == -EFBIG || r == -ENOMEM, "load rc %d", r);
		FZ_ASSERT(memcmp(&m, &zero, sizeof m) == 0, "a failed load left data behind");
		return 0;
	}
	FZ_ASSERT(m.max_tries > 0, "loaded a token that allows no PIN tries");
	FZ_ASSERT(kt_meta_save(fd2, &m) == 0, "save of a loaded meta failed");
	FZ_ASSERT(kt_meta_load(fd2, &m2) == 0, "saved meta does not load");
	FZ_ASSERT(memcmp(&m, &m2, sizeof m) == 0, "save/load changed the meta");
	kt_meta_wipe(&m);
	kt_meta_wipe(&m2);
	return 0;
}
