/*
 * kc_rand.c - random bytes straight from the kernel CSPRNG (getrandom(2)),
 * which blocks only until the pool is first initialised.
 */
#include <errno.h>
#include <sys/random.h>
#include "kc_priv.h"

int kc_random(uint8_t *out, size_t n)
{
	size_t done = 0;

	if (!out && n)
		return -EINVAL;
	while (done < n) {
		/* requests over 32 MiB come back short: loop */
		ssize_t r = getrandom(out + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)r;
	}
	return 0;
}
