/* meta.c - token.meta: the token's identity, PIN counters and how the
 * storage key is kept: wrapped under the SO and user PIN keys (software), or
 * sealed to the TPM in tpm.* files next to it (then wrap_* are zero).  A
 * fixed little-endian layout with a trailing MAC, so a damaged file is
 * refused rather than half-read.
 *
 *   "KTM1" u32 version | uuid[16] label[32] serial[16] |
 *   u32 max_tries u32 user_fails u32 so_fails u32 kdf_iter u32 flags |
 *   salt_so[16] salt_user[16] wrap_so[60] wrap_user[60] mac_key[32] |
 *   version 2 only: u32 protection u32 tpm_copies u32 boot_pcr_bank
 *                   u32 boot_pcr_mask check[44] |
 *   HMAC-SHA256(fixed key, all of the above)[32]
 *
 * Version 1 (no TPM fields) still loads, as a software token; saving always
 * writes version 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kt.h"

#define META_NAME "token.meta"
#define META_LEN_V1 (8 + 16 + 32 + 16 + 20 + 32 + 120 + 32)
#define META_LEN_V2 (META_LEN_V1 + 16 + 44)
#define META_VERSION 2
#define META_FLAG_USER_PIN 1u

/* Not a secret: the MAC only detects damage.  Secrets are protected by GCM. */
static const uint8_t meta_mac_key[32] = "kerntok token.meta integrity v1";

static void put32(uint8_t **p, uint32_t v)
{
	(*p)[0] = (uint8_t)v;
	(*p)[1] = (uint8_t)(v >> 8);
	(*p)[2] = (uint8_t)(v >> 16);
	(*p)[3] = (uint8_t)(v >> 24);
	*p += 4;
}

static uint32_t get32(const uint8_t **p)
{
	uint32_t v = (uint32_t)(*p)[0] | (uint32_t)(*p)[1] << 8 |
	             (uint32_t)(*p)[2] << 16 | (uint32_t)(*p)[3] << 24;
	*p += 4;
	return v;
}

static void putb(uint8_t **p, const void *src, size_t n)
{
	memcpy(*p, src, n);
	*p += n;
}

static void getb(const uint8_t **p, void *dst, size_t n)
{
	memcpy(dst, *p, n);
	*p += n;
}

int kt_meta_save(int tokfd, const kt_meta *m)
{
	uint8_t buf[META_LEN_V2 + 32], *p = buf;
	int r;

	_Static_assert(sizeof m->check == 44, "token.meta layout");
	putb(&p, "KTM1", 4);
	put32(&p, META_VERSION);
	putb(&p, m->uuid, 16);
	putb(&p, m->label, 32);
	putb(&p, m->serial, 16);
	put32(&p, m->max_tries);
	put32(&p, m->user_fails);
	put32(&p, m->so_fails);
	put32(&p, m->kdf_iter);
	put32(&p, m->user_pin_set ? META_FLAG_USER_PIN : 0);
	putb(&p, m->salt_so, 16);
	putb(&p, m->salt_user, 16);
	putb(&p, m->wrap_so, sizeof m->wrap_so);
	putb(&p, m->wrap_user, sizeof m->wrap_user);
	putb(&p, m->mac_key, 32);
	put32(&p, m->protection);
	put32(&p, m->tpm_copies);
	put32(&p, m->boot_pcr_bank);
	put32(&p, m->boot_pcr_mask);
	putb(&p, m->check, sizeof m->check);
	r = kt_mac(meta_mac_key, buf, META_LEN_V2, p);
	if (r == 0)
		r = kt_disk_write(tokfd, META_NAME, buf, sizeof buf);
	kt_wipe(buf, sizeof buf);
	return r;
}

int kt_meta_load(int tokfd, kt_meta *m)
{
	uint8_t *buf = NULL, mac[32];
	const uint8_t *p;
	size_t n, len;
	uint32_t ver;
	int r;

	memset(m, 0, sizeof *m);
	r = kt_disk_read(tokfd, META_NAME, &buf, &n, 4096);
	if (r < 0)
		return r;
	r = -EBADMSG;
	if (n < 8 || memcmp(buf, "KTM1", 4) != 0)
		goto out;
	p = buf + 4;
	ver = get32(&p);
	len = ver == 1 ? META_LEN_V1 : ver == 2 ? META_LEN_V2 : 0;
	if (len == 0 || n != len + 32)
		goto out;
	if (kt_mac(meta_mac_key, buf, len, mac) < 0 || !kt_memeq(mac, buf + len, 32))
		goto out;
	getb(&p, m->uuid, 16);
	getb(&p, m->label, 32);
	getb(&p, m->serial, 16);
	m->max_tries = get32(&p);
	m->user_fails = get32(&p);
	m->so_fails = get32(&p);
	m->kdf_iter = get32(&p);
	m->user_pin_set = (get32(&p) & META_FLAG_USER_PIN) != 0;
	getb(&p, m->salt_so, 16);
	getb(&p, m->salt_user, 16);
	getb(&p, m->wrap_so, sizeof m->wrap_so);
	getb(&p, m->wrap_user, sizeof m->wrap_user);
	getb(&p, m->mac_key, 32);
	if (ver >= 2) {
		m->protection = get32(&p);
		m->tpm_copies = get32(&p);
		m->boot_pcr_bank = get32(&p);
		m->boot_pcr_mask = get32(&p);
		getb(&p, m->check, sizeof m->check);
	}                                   /* version 1: zero = software, no copies */
	r = m->max_tries == 0 || m->protection > KT_PROT_TPM ? -EBADMSG : 0;
out:
	if (buf != NULL)
		kt_wipe(buf, n);
	free(buf);
	if (r < 0)
		kt_meta_wipe(m);
	return r;
}

void kt_meta_wipe(kt_meta *m)
{
	kt_wipe(m, sizeof *m);
}
