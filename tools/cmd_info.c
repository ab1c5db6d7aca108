/* cmd_info.c - kerntok info: where things are and how much room is left. */
#include <getopt.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "kt.h"
#include "kcapi/kc.h"

static const char usage_text[] =
	"Usage: kerntok info [--json]\n"
	"Show the store directory and keyring, every token's keyring, object\n"
	"count, protection and PIN counters, the kernel key quota of this user\n"
	"and the crypto engine.\n"
	"  --json   one JSON document\n";

typedef struct {
	p11_token t;
	kr_serial ring;
	char ring_desc[96];
	size_t objects;
	uint32_t user_fails, so_fails, max_tries;
	bool tpm;
	bool counters;
} tok_info;

/* PIN counters are not in CK_TOKEN_INFO (only the COUNT_LOW/FINAL_TRY/LOCKED
 * flags are), so read them from the module's token metadata. */
static void pin_counters(tok_info *ti)
{
	kt_token *t;

	if (kt_token_get(ti->t.slot, &t) != CKR_OK)
		return;
	pthread_mutex_lock(&t->meta_lock);
	ti->user_fails = t->meta.user_fails;
	ti->so_fails = t->meta.so_fails;
	ti->max_tries = t->meta.max_tries;
	ti->tpm = t->meta.protection == KT_PROT_TPM;
	pthread_mutex_unlock(&t->meta_lock);
	ti->counters = true;
	kt_token_put(t);
}

/* A search through PKCS#11 makes the module load the ring if nobody had. */
static int token_info(tok_info *ti, kr_serial *store, char *dir, size_t dlen, char *sdesc, size_t slen)
{
	_cleanup_(freep) CK_OBJECT_HANDLE *h = NULL;
	_cleanup_(freep) ring_entry *e = NULL;
	CK_SESSION_HANDLE s;
	size_t nh;
	int r;

	r = p11_session(ti->t.slot, false, &s);
	if (r != 0)
		return r;
	r = p11_objects(s, &h, &nh);
	(void)C_CloseSession(s);
	if (r == 0 && *store == 0)
		r = ring_store(dir, dlen, store, sdesc, slen);
	if (r == 0)
		r = ring_token(*store, &ti->t, &ti->ring, ti->ring_desc, sizeof ti->ring_desc);
	if (r == 0 && ti->ring != 0)
		r = ring_objects(ti->ring, &e, &ti->objects);
	pin_counters(ti);
	return r;
}

static bool quota_high(const kr_quota *q)
{
	return q->keys * 10 > q->maxkeys * 8 || q->bytes * 10 > q->maxbytes * 8;
}

/* Damage the module refused to load: a token.meta that fails its MAC (the
 * slot is skipped) and object files kept as *.damaged. */
static void print_damage(const char *dir)
{
	char path[4096 + 2 * 256 + 32];
	struct dirent *e, *f;
	DIR *d, *od;
	kt_meta m;
	int fd;

	snprintf(path, sizeof path, "%s/tokens", dir);
	d = opendir(path);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (kt_meta_load(fd, &m) == -EBADMSG)
			printf("damage:   slot %s: token.meta is damaged (slot skipped)\n", e->d_name);
		kt_meta_wipe(&m);
		snprintf(path, sizeof path, "%s/tokens/%s/objects", dir, e->d_name);
		od = opendir(path);
		while (od != NULL && (f = readdir(od)) != NULL)
			if (strstr(f->d_name, ".damaged") != NULL)
				printf("damage:   slot %s: objects/%s (not loaded)\n", e->d_name, f->d_name);
		if (od != NULL)
			closedir(od);
		close(fd);
	}
	if (d != NULL)
		closedir(d);
}

static void print_text(const char *dir, kr_serial store, const char *sdesc,
                       const tok_info *ti, size_t n, CK_SLOT_ID fs, const kr_quota *q, bool qok)
{
	const char *eng = kc_engine_describe(), *nl;
	size_t i;

	printf("store:    %s\n", dir);
	if (store != 0)
		printf("keyring:  %d %s (in @u)\n", store, sdesc);
	else
		printf("keyring:  not loaded (%s)\n", sdesc);
	for (i = 0; i < n; i++) {
		printf("token:    slot %lu \"", ti[i].t.slot);
		cli_put_safe(stdout, ti[i].t.label, strlen(ti[i].t.label));
		if (ti[i].ring != 0)
			printf("\" keyring %d, %zu object%s", ti[i].ring, ti[i].objects,
			       ti[i].objects == 1 ? "" : "s");
		else
			printf("\" keyring not loaded");
		printf(", protection %s", ti[i].tpm ? "tpm" : "software");
		if (ti[i].counters)
			printf(", wrong PINs: user %u/%u, SO %u/%u", ti[i].user_fails, ti[i].max_tries,
			       ti[i].so_fails, ti[i].max_tries);
		putchar('\n');
	}
	print_damage(dir);
	if (fs != CK_UNAVAILABLE_INFORMATION)
		printf("free:     slot %lu\n", fs);
	if (qok) {
		printf("quota:    keys %lu/%lu, bytes %lu/%lu\n", q->keys, q->maxkeys, q->bytes, q->maxbytes);
		if (quota_high(q))
			printf("          above 80%%: raise kernel.keys.maxkeys/maxbytes "
			       "(root: kernel.keys.root_maxkeys/root_maxbytes)\n");
	}
	for (i = 0; *eng; i++, eng = *nl ? nl + 1 : nl) {
		nl = strchrnul(eng, '\n');
		printf("%s%.*s\n", i ? "          " : "crypto:   ", (int)(nl - eng), eng);
	}
}

static void print_json(const char *dir, kr_serial store, const char *sdesc,
                       const tok_info *ti, size_t n, CK_SLOT_ID fs, const kr_quota *q, bool qok)
{
	const char *eng = kc_engine_describe(), *nl;
	json_w j;
	size_t i;

	json_begin(&j, stdout);
	json_obj(&j, NULL);
	json_str(&j, "store", dir);
	if (store != 0)
		json_num(&j, "keyring", (unsigned long long)store);
	else
		json_null(&j, "keyring");
	json_str(&j, "keyring_description", sdesc);
	json_arr(&j, "tokens");
	for (i = 0; i < n; i++) {
		json_obj(&j, NULL);
		json_num(&j, "slot", ti[i].t.slot);
		json_str(&j, "label", ti[i].t.label);
		if (ti[i].ring != 0) {
			json_num(&j, "keyring", (unsigned long long)ti[i].ring);
			json_num(&j, "objects", ti[i].objects);
		} else {
			json_null(&j, "keyring");
			json_null(&j, "objects");
		}
		json_str(&j, "keyring_description", ti[i].ring_desc);
		json_str(&j, "protection", ti[i].tpm ? "tpm" : "software");
		json_obj(&j, "pin_counters");
		if (ti[i].counters) {
			json_num(&j, "user_fails", ti[i].user_fails);
			json_num(&j, "so_fails", ti[i].so_fails);
			json_num(&j, "max_tries", ti[i].max_tries);
		}
		json_end_obj(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	if (fs != CK_UNAVAILABLE_INFORMATION)
		json_num(&j, "free_slot", fs);
	else
		json_null(&j, "free_slot");
	if (qok) {
		json_obj(&j, "quota");
		json_num(&j, "keys", q->keys);
		json_num(&j, "maxkeys", q->maxkeys);
		json_num(&j, "bytes", q->bytes);
		json_num(&j, "maxbytes", q->maxbytes);
		json_bool(&j, "high", quota_high(q));
		json_end_obj(&j);
	} else {
		json_null(&j, "quota");
	}
	json_arr(&j, "crypto");
	for (; *eng; eng = *nl ? nl + 1 : nl) {
		nl = strchrnul(eng, '\n');
		json_strn(&j, NULL, eng, (size_t)(nl - eng));
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_finish(&j);
}

int cmd_info(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	_cleanup_(freep) p11_token *toks = NULL;
	_cleanup_(freep) tok_info *ti = NULL;
	char dir[4096], sdesc[32];
	kr_serial store = 0;
	CK_SLOT_ID fs;
	kr_quota q;
	bool json = false, qok;
	size_t n = 0, i;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return cli_usage("info", NULL);
		}
	}
	if (optind < argc)
		return cli_usage("info", "unexpected argument");
	r = p11_start();
	if (r != 0)
		return r;
	r = p11_tokens(&toks, &n, &fs);
	if (r == 0 && (ti = calloc(n + 1, sizeof *ti)) == NULL)
		r = 1;
	if (r == 0)
		r = ring_store(dir, sizeof dir, &store, sdesc, sizeof sdesc);
	for (i = 0; r == 0 && i < n; i++) {
		ti[i].t = toks[i];
		r = token_info(&ti[i], &store, dir, sizeof dir, sdesc, sizeof sdesc);
	}
	qok = kr_quota_get(&q) == 0;
	if (r == 0 && json)
		print_json(dir, store, sdesc, ti, n, fs, &q, qok);
	else if (r == 0)
		print_text(dir, store, sdesc, ti, n, fs, &q, qok);
	p11_stop();
	return r;
}
