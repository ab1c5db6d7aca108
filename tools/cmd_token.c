/* cmd_token.c - kerntok delete-token: prove the SO PIN, then remove the
 * token's keyring and its directory.
 *
 * Removal runs under the store lock and then the token lock (the module's
 * order, see login.c kt_init_token): check the slot still holds the token we
 * were shown, rename its directory out of the slot (other processes see the
 * slot go at once), invalidate the keys, delete the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "kt.h"
#include "tpmkey.h"

static const char usage_text[] =
	"Usage: kerntok delete-token --token L (--so-pin P | --so-pin-file F | --force)\n"
	"Remove a token: its kernel keyring (every object key is invalidated) and\n"
	"its directory under the store.  This cannot be undone.\n"
	"  --token L        the token's label\n"
	"  --so-pin P       security officer PIN, checked by logging in\n"
	"  --so-pin-file F  read the SO PIN from the first line of F\n"
	"  --force          skip the SO PIN check\n";

struct del_opts {
	const char *token;
	bool force;
	pin_src so;
};

static int parse(int argc, char **argv, struct del_opts *o)
{
	static const struct option lo[] = {
		{ "token", required_argument, NULL, 't' },
		{ "so-pin", required_argument, NULL, 'S' },
		{ "so-pin-file", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->token = optarg; break;
		case 'S': pin_free(o->so.value); o->so.value = pin_take_arg(optarg); break;
		case 's': o->so.file = optarg; break;
		case 'f': o->force = true; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return cli_usage("delete-token", NULL);
		}
	}
	if (optind < argc)
		return cli_usage("delete-token", "unexpected argument");
	if (o->token == NULL)
		return cli_usage("delete-token", "--token is required");
	return 0;
}

static int so_check(CK_SLOT_ID slot, pin_src *src)
{
	_cleanup_(pin_freep) char *pin = NULL;
	CK_SESSION_HANDLE s;
	int r;

	r = pin_get(src, "SO PIN", false, &pin);
	if (r == 0)
		r = p11_session(slot, true, &s);
	if (r != 0)
		return r;
	r = p11_login(s, CKU_SO, pin);
	if (r == 0)
		(void)C_Logout(s);
	(void)C_CloseSession(s);
	return r;
}

/* Invalidate the object keys first (secrets unusable at once), then the
 * ring; unlink it from the store too, as the collector does that only later. */
static int drop_ring(kr_serial store, kr_serial ring, const char *desc)
{
	_cleanup_(freep) kr_serial *ids = NULL;
	size_t n = 0, i;
	int r;

	if (ring == 0) {
		printf("keyring %s: not loaded, nothing to remove\n", desc);
		return 0;
	}
	if (kr_list(ring, &ids, &n) == 0)
		for (i = 0; i < n; i++)
			(void)kr_invalidate(ids[i]);
	(void)kr_unlink(ring, store);
	r = kr_invalidate(ring);
	if (r < 0 && r != -ENOKEY) {
		cli_err("invalidate keyring %d: %s", ring, strerror(-r));
		return 1;
	}
	printf("removed keyring %d (%s) and its %zu key%s\n", ring, desc, n, n == 1 ? "" : "s");
	return 0;
}

static unsigned long rm_files;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0) {
		cli_err("remove %s: %s", path, strerror(errno));
		return -1;
	}
	rm_files += flag != FTW_DP;
	return 0;
}

/* With both locks held: is slot `t->slot` still the token we were shown? */
static bool same_token(int tokfd, const p11_token *t)
{
	kt_meta m;
	bool same;

	if (kt_meta_load(tokfd, &m) < 0)
		return false;
	same = memcmp(m.serial, t->info.serialNumber, sizeof m.serial) == 0;
	kt_meta_wipe(&m);
	return same;
}

static int remove_token(const char *dir, const p11_token *t, kr_serial store, kr_serial ring,
                        const char *rdesc)
{
	char tokens[4200], name[16], gone[64], path[4300];
	int dfd = -1, tfd = -1, r = 1, locked = 0;
	kt_meta m;

	snprintf(tokens, sizeof tokens, "%s/tokens", dir);
	snprintf(name, sizeof name, "%lu", t->slot);
	snprintf(gone, sizeof gone, ".deleted-%lu-%d", t->slot, (int)getpid());
	dfd = open(tokens, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		tfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0 || kt_disk_lock(dfd) < 0) {
		cli_err("%s/%s: %s", tokens, name, strerror(errno));
		goto out;
	}
	locked = 1;
	if (kt_disk_lock(tfd) < 0) {
		cli_err("%s/%s: %s", tokens, name, strerror(errno));
		goto out;
	}
	locked = 2;
	if (!same_token(tfd, t)) {
		cli_err("slot %lu changed meanwhile; nothing removed", t->slot);
		goto out;
	}
	if (renameat(dfd, name, dfd, gone) < 0) {
		cli_err("rename %s/%s: %s", tokens, name, strerror(errno));
		goto out;
	}
	r = drop_ring(store, ring, rdesc);
	/* a boot-unlocked token leaves its key in the persistent keyring */
	if (kt_meta_load(tfd, &m) == 0) {
		if (kt_unlock_remove(m.uuid) == 0)
			printf("removed its boot-unlock key\n");
		kt_meta_wipe(&m);
	}
	snprintf(path, sizeof path, "%s/%s", tokens, gone);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		r = 1;
	else
		printf("removed directory %s/%s (%lu file%s)\n", tokens, name, rm_files,
		       rm_files == 1 ? "" : "s");
out:
	if (locked == 2)
		kt_disk_unlock(tfd);
	if (locked >= 1)
		kt_disk_unlock(dfd);
	if (tfd >= 0)
		close(tfd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

int cmd_delete_token(int argc, char **argv)
{
	struct del_opts o = { 0 };
	char dir[4096], sdesc[32], rdesc[96];
	kr_serial store = 0, ring = 0;
	p11_token t;
	int r;

	r = parse(argc, argv, &o);
	if (r != 0) {
		pin_free(o.so.value);
		return r < 0 ? 0 : r;
	}
	r = p11_start();
	if (r == 0)
		r = p11_find(o.token, &t);
	if (r == 0 && !o.force)
		r = so_check(t.slot, &o.so);
	pin_free(o.so.value);
	if (r == 0)
		r = ring_store(dir, sizeof dir, &store, sdesc, sizeof sdesc);
	if (r == 0)
		r = ring_token(store, &t, &ring, rdesc, sizeof rdesc);
	p11_stop();                         /* the module holds nothing of the token now */
	if (r == 0)
		r = remove_token(dir, &t, store, ring, rdesc);
	if (r == 0)
		printf("token %s (slot %lu) deleted\n", t.label, t.slot);
	return r;
}
