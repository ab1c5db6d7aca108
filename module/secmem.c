/* secmem.c - memory for key bytes: never in core dumps, locked in RAM when
 * RLIMIT_MEMLOCK allows, wiped before it is returned. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "kt.h"

void kt_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		explicit_bzero(p, n);
}

/* Whole pages, so madvise/mlock affect only this allocation. */
void *kt_secret_alloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, n, MADV_DONTDUMP);
	(void)madvise(p, n, MADV_WIPEONFORK);   /* a forked child starts with zeros */
	(void)mlock(p, n);                      /* best effort: limit may be 0 */
	return p;
}

void kt_secret_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	if (n == 0)
		n = 1;
	explicit_bzero(p, n);
	(void)munlock(p, n);
	munmap(p, n);
}
