/* cmd_bench.c - kerntok bench: throughput and latency of kerntok through
 * PKCS#11, of any other module by path (SoftHSMv2, ...), and of the same
 * primitive on OpenSSL directly, in one run; text or a Markdown table.
 *
 * The bench works in a store of its own (a temporary one, or --store DIR to
 * keep its tokens and their 10,000 objects between runs): KERNTOK_DIR and,
 * for SoftHSM, SOFTHSM2_CONF are pointed there, never at your tokens. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "cli.h"

#define MAX_MODS 4
#define MAX_RUNS 99

static const char usage_text[] =
	"Usage: kerntok bench [--module PATH|kerntok]... [--raw] [--ops LIST]\n"
	"                     [--threads N] [--shared-session] [--seconds S] [--runs N]\n"
	"                     [--store DIR] [--markdown] [--list]\n"
	"Measure operations through PKCS#11 and, with --raw, on OpenSSL directly.\n"
	"  --module M        a PKCS#11 library to measure (repeatable, up to 4); \"kerntok\"\n"
	"                    (the default) is the module built into this program\n"
	"  --raw             also run each primitive on OpenSSL, and print the ratio\n"
	"  --ops LIST        comma-separated operation names or prefixes (see --list),\n"
	"                    or \"headline\" (the `make bench` set) or \"all\" (default)\n"
	"  --threads N       N threads, a session each (default 1; latency ops: 1)\n"
	"  --shared-session  the threads share one session (the application serializes)\n"
	"  --seconds S       per operation and run (default 1)\n"
	"  --runs N          repeat, report the median (default 1)\n"
	"  --store DIR       keep the bench tokens in DIR (default: a temporary store)\n"
	"  --markdown        a Markdown table on stdout\n"
	"  --list            list the operations\n"
	"Tokens \"ktbench\", \"ktbench-1k\" and \"ktbench-10k\" are created in the bench store\n"
	"(SO PIN ktbench-so-pin, user PIN ktbench-pin).  For SoftHSMv2 the bench writes\n"
	"its own softhsm2.conf in the store and points SOFTHSM2_CONF at it.  Operations\n"
	"a module lacks are reported n/a with the reason.\n";

typedef struct {
	const char *path[MAX_MODS];          /* NULL: built in */
	int nmods;
	bool raw, markdown;
	const char *ops, *store;
	int runs;
	bench_cfg cfg;
} opts;

static bool selected(const bench_op *op, const char *list)
{
	char buf[1024], *save = NULL, *w;

	if (list == NULL || strcmp(list, "all") == 0)
		return true;
	snprintf(buf, sizeof buf, "%s", list);
	for (w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "headline") == 0 && op->headline)
			return true;
		if (strncmp(op->name, w, strlen(w)) == 0)
			return true;
	}
	return false;
}

/* ---- the store ---- */

static char store_dir[PATH_MAX];
static bool store_temp;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	remove(p);
	return 0;
}

static int mkdir_p(const char *d)
{
	char b[PATH_MAX], *p;

	snprintf(b, sizeof b, "%s", d);
	for (p = b + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(b, 0700);
			*p = '/';
		}
	return mkdir(b, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static int store_setup(const opts *o)
{
	char p[PATH_MAX + 32];
	FILE *f;

	if (o->store != NULL) {
		if (mkdir_p(o->store) < 0 || realpath(o->store, store_dir) == NULL) {
			cli_err("bench: --store %s: %s", o->store, strerror(errno));
			return 1;
		}
	} else {
		snprintf(store_dir, sizeof store_dir, "/tmp/kerntok-bench.XXXXXX");
		if (mkdtemp(store_dir) == NULL) {
			cli_err("bench: temporary store: %s", strerror(errno));
			return 1;
		}
		store_temp = true;
	}
	snprintf(p, sizeof p, "%s/kerntok", store_dir);
	if (mkdir_p(p) < 0 || setenv("KERNTOK_DIR", p, 1) < 0)
		return 1;
	snprintf(p, sizeof p, "%s/softhsm/tokens", store_dir);
	if (mkdir_p(p) < 0)
		return 1;
	snprintf(p, sizeof p, "%s/softhsm/softhsm2.conf", store_dir);
	f = fopen(p, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "directories.tokendir = %s/softhsm/tokens\nobjectstore.backend = file\n"
	        "log.level = ERROR\nslots.removable = false\n", store_dir);
	fclose(f);
	return setenv("SOFTHSM2_CONF", p, 1) < 0;
}

/* A temporary store goes, with its keyrings (they hang off @u). */
static void store_cleanup(void)
{
	char dir[PATH_MAX], desc[96];
	kr_serial ring = 0;

	if (!store_temp)
		return;
	if (ring_store(dir, sizeof dir, &ring, desc, sizeof desc) == 0 && ring != 0)
		(void)kr_invalidate(ring);
	nftw(store_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- running ---- */

/* "kerntok": the kerntok-pkcs11.so next to this program (what applications
 * load), else the module linked into it. */
static const char *kerntok_path(void)
{
	static char p[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", p, sizeof p - 32);
	char *slash;

	if (n <= 0)
		return NULL;
	p[n] = '\0';
	slash = strrchr(p, '/');
	if (slash == NULL)
		return NULL;
	strcpy(slash + 1, "kerntok-pkcs11.so");
	return access(p, R_OK) == 0 ? p : NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void median(const double *v0, int n, bool latency, bench_res *out)
{
	double v[MAX_RUNS], med;

	memcpy(v, v0, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_d);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out->ok = true;
	out->latency = latency;
	out->sec = latency ? med : 0;
	out->ops_s = latency ? (med > 0 ? 1 / med : 0) : med;
}

/* One op on every column, the columns taking turns run by run, so that a
 * change in the machine's load hits them alike; per column the median of
 * its runs, or the first reason a run did not work. */
static void measure(bench_mod **mods, int ncols, const bench_op *op, const opts *o,
                    char names[][33], bench_res *out)
{
	double v[MAX_MODS + 1][MAX_RUNS];
	bool failed[MAX_MODS + 1] = { false }, lat[MAX_MODS + 1] = { false };
	bench_res r;
	int run, c;

	for (run = 0; run < o->runs; run++)
		for (c = 0; c < ncols; c++) {
			if (failed[c])
				continue;
			fprintf(stderr, "bench: %s %s, run %d\n", names[c], op->name, run + 1);
			if (mods[c] != NULL)
				bench_p11_run(mods[c], op, &o->cfg, &r);
			else
				bench_raw_run(op, &o->cfg, &r);
			if (!r.ok) {
				out[c] = r;
				failed[c] = true;
				continue;
			}
			lat[c] = r.latency;
			v[c][run] = r.latency ? r.sec : r.ops_s;
		}
	for (c = 0; c < ncols; c++)
		if (!failed[c])
			median(v[c], o->runs, lat[c], &out[c]);
}

/* ---- output ---- */

static void fmt_num(char *b, size_t n, double v)
{
	if (v >= 100)
		snprintf(b, n, "%.0f", v);
	else if (v >= 10)
		snprintf(b, n, "%.1f", v);
	else
		snprintf(b, n, "%.2f", v);
	/* thousands separators for readability */
	char *dot = strchr(b, '.');
	size_t ilen = dot ? (size_t)(dot - b) : strlen(b);
	if (ilen > 3) {
		char t[64];
		size_t i, k = 0;
		for (i = 0; i < ilen; i++) {
			if (i > 0 && (ilen - i) % 3 == 0)
				t[k++] = ',';
			t[k++] = b[i];
		}
		snprintf(t + k, sizeof t - k, "%s", b + ilen);
		k = strlen(t) < n ? strlen(t) : n - 1;
		memcpy(b, t, k);
		b[k] = '\0';
	}
}

static void cell_rate(char *b, size_t n, const bench_res *r)
{
	char num[32];

	if (!r->ok) {
		snprintf(b, n, "n/a");
		return;
	}
	if (r->latency) {
		double s = r->sec;
		fmt_num(num, sizeof num, s >= 1 ? s : s >= 1e-3 ? s * 1e3 : s * 1e6);
		snprintf(b, n, "%s %s", num, s >= 1 ? "s" : s >= 1e-3 ? "ms" : "µs");
		return;
	}
	fmt_num(num, sizeof num, r->ops_s);
	snprintf(b, n, "%s/s", num);
}

static void cell_mb(char *b, size_t n, const bench_op *op, const bench_res *r)
{
	bool data = op->kind == BK_SIGN || op->kind == BK_VERIFY || op->kind == BK_ENCRYPT ||
	            op->kind == BK_DIGEST || op->kind == BK_HMAC || op->kind == BK_RANDOM;

	if (!r->ok || r->latency || !data || op->len < 1024) {
		b[0] = '\0';
		return;
	}
	fmt_num(b, n, r->ops_s * op->len / 1e6);
}

static void cell_ratio(char *b, size_t n, const bench_res *x, const bench_res *y)
{
	if (!x->ok || !y->ok || x->latency || y->ops_s <= 0)
		b[0] = '\0';
	else
		snprintf(b, n, "%.2f", x->ops_s / y->ops_s);
}

static void cpu_model(char *b, size_t n)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(b, n, "unknown CPU");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
			snprintf(b, n, "%s", strchr(line, ':') + 2);
			b[strcspn(b, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
}

static void print_header(const opts *o, char names[][33], char files[][PATH_MAX], int ncols)
{
	char cpu[128], date[32];
	struct utsname u;
	time_t now = time(NULL);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	cpu_model(cpu, sizeof cpu);
	uname(&u);
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
	if (o->markdown) {
		printf("<!-- kerntok bench --markdown; generated, do not edit -->\n"
		       "%s, %s, %ld CPUs, Linux %s; %d thread%s%s, %.1f s per op, median of %d run%s.  "
		       "Latency rows show time per operation; ratio = %s ÷ %s.\n",
		       date, cpu, ncpu, u.release, o->cfg.threads, o->cfg.threads > 1 ? "s" : "",
		       o->cfg.shared ? " (one shared session)" : "", o->cfg.seconds, o->runs,
		       o->runs > 1 ? "s" : "", names[0], o->raw ? "OpenSSL" : names[1]);
		for (int c = 0; c < o->nmods; c++)
			printf("%s`%s`: %s", c ? ", " : "Modules: ", names[c], files[c]);
		printf(".\n\n| operation |");
		for (int c = 0; c < ncols; c++)
			printf(" %s | MB/s |", names[c]);
		printf("%s\n|---|", ncols > 1 ? " ratio |" : "");
		for (int c = 0; c < ncols; c++)
			printf("--:|--:|");
		printf("%s\n", ncols > 1 ? "--:|" : "");
	} else {
		printf("kerntok bench: %s; %s, %ld CPUs; %d thread%s%s, %.1f s per op, median of %d\n",
		       date, cpu, ncpu, o->cfg.threads, o->cfg.threads > 1 ? "s" : "",
		       o->cfg.shared ? " (shared session)" : "", o->cfg.seconds, o->runs);
		for (int c = 0; c < o->nmods; c++)
			printf("  %s: %s\n", names[c], files[c]);
		printf("\n");
		printf("%-44s", "operation");
		for (int c = 0; c < ncols; c++)
			printf(" %14s %9s", names[c], "MB/s");
		printf("%s\n", ncols > 1 ? "   ratio" : "");
	}
}

/* ratio: the first module against OpenSSL (--raw), else against the second */
static void print_row(const opts *o, const bench_op *op, const bench_res *res, int ncols)
{
	char rate[48], mb[32], ratio[16];

	cell_ratio(ratio, sizeof ratio, &res[0], &res[o->raw ? ncols - 1 : 1 < ncols ? 1 : 0]);
	if (o->markdown) {
		printf("| %s |", op->title);
		for (int c = 0; c < ncols; c++) {
			cell_rate(rate, sizeof rate, &res[c]);
			cell_mb(mb, sizeof mb, op, &res[c]);
			printf(" %s | %s |", rate, mb);
		}
		printf("%s%s%s\n", ncols > 1 ? " " : "", ncols > 1 ? ratio : "", ncols > 1 ? " |" : "");
		return;
	}
	printf("%-44.44s", op->title);
	for (int c = 0; c < ncols; c++) {
		cell_rate(rate, sizeof rate, &res[c]);
		cell_mb(mb, sizeof mb, op, &res[c]);
		printf(" %14s %9s", rate, mb);
	}
	printf("%s%7s\n", ncols > 1 ? " " : "", ncols > 1 ? ratio : "");
}

static void print_notes(const bench_op *const *sel, int nsel, bench_res (*res)[MAX_MODS + 1],
                        char names[][33], int ncols, bool md)
{
	bool any = false;

	for (int i = 0; i < nsel; i++)
		for (int c = 0; c < ncols; c++) {
			if (res[i][c].ok || strcmp(res[i][c].why, "module only") == 0)
				continue;
			if (!any)
				printf("\n%s", md ? "n/a:\n\n" : "n/a:\n");
			any = true;
			printf("%s%s, %s: %s\n", md ? "- " : "  ", sel[i]->name, names[c], res[i][c].why);
		}
}

static int run(opts *o)
{
	const bench_op *sel[64];
	static bench_res res[64][MAX_MODS + 1];
	char names[MAX_MODS + 1][33], files[MAX_MODS][PATH_MAX];
	bench_mod *mods[MAX_MODS + 1] = { NULL };
	int nsel = 0, ncols, i, c, rc = 0;

	for (size_t k = 0; k < bench_nops && nsel < 64; k++)
		if (selected(&bench_ops[k], o->ops))
			sel[nsel++] = &bench_ops[k];
	if (nsel == 0)
		return cli_usage("bench", "--ops selects nothing (see --list)");
	if (o->nmods == 0)
		o->path[o->nmods++] = NULL;
	ncols = o->nmods + (o->raw ? 1 : 0);
	for (c = 0; c < o->nmods; c++) {
		const char *path = o->path[c] ? o->path[c] : kerntok_path();
		mods[c] = bench_mod_open(path, &o->cfg);
		if (mods[c] == NULL) {
			rc = 1;
			goto out;
		}
		snprintf(names[c], sizeof names[c], "%s", bench_mod_name(mods[c]));
		snprintf(files[c], sizeof files[c], "%s", path ? path : "built into kerntok");
	}
	if (o->raw)
		snprintf(names[ncols - 1], sizeof names[0], "OpenSSL");
	for (i = 0; i < nsel; i++)
		measure(mods, ncols, sel[i], o, names, res[i]);
	print_header(o, names, files, ncols);
	for (i = 0; i < nsel; i++)
		print_row(o, sel[i], res[i], ncols);
	print_notes(sel, nsel, res, names, ncols, o->markdown);
	if (o->markdown)
		printf("\nOne operation is what an application does per use: `C_SignInit` + "
		       "`C_Sign`, `C_EncryptInit` + `C_Encrypt`, `C_DigestInit` + `C_Digest`; "
		       "OpenSSL does the same work per call (a fresh `EVP_PKEY_CTX` per "
		       "signature, a cipher, digest or MAC context re-keyed per message).  "
		       "ECDSA signs a 32/48-byte hash (`CKM_ECDSA`), RSA and Ed25519 a 64-byte "
		       "message.  Keys are token objects; key generation makes session objects "
		       "and destroys them untimed.  `C_Login` includes the PIN's PBKDF2 (kerntok: "
		       "PBKDF2-HMAC-SHA256, 200,000 iterations).  `C_Initialize` is measured in "
		       "one process with the library already loaded.  Cross-process visibility: "
		       "from the start of `C_CreateObject` (a token object: file + fsync + key) "
		       "until another process's `C_FindObjects` returns it.  Regenerate with "
		       "`make bench`.\n");
out:
	for (c = 0; c < o->nmods; c++)
		bench_mod_close(mods[c]);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "module", required_argument, NULL, 'm' }, { "raw", no_argument, NULL, 'r' },
		{ "ops", required_argument, NULL, 'o' }, { "threads", required_argument, NULL, 't' },
		{ "shared-session", no_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 's' }, { "runs", required_argument, NULL, 'n' },
		{ "store", required_argument, NULL, 'd' }, { "markdown", no_argument, NULL, 'M' },
		{ "list", no_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	opts o = { .runs = 1, .cfg = { .seconds = 1, .threads = 1,
	                               .so_pin = "ktbench-so-pin", .pin = "ktbench-pin" } };
	unsigned long v;
	int c, rc;

	if (argc > 1 && strcmp(argv[1], "--watcher") == 0)
		return bench_watcher(argc, argv);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (o.nmods == MAX_MODS)
				return cli_usage("bench", "at most 4 modules");
			o.path[o.nmods++] = strcmp(optarg, "kerntok") == 0 ? NULL : optarg;
			break;
		case 'r': o.raw = true; break;
		case 'o': o.ops = optarg; break;
		case 'S': o.cfg.shared = true; break;
		case 'M': o.markdown = true; break;
		case 'd': o.store = optarg; break;
		case 't':
			if (!cli_parse_uint(optarg, 256, &v) || v == 0)
				return cli_usage("bench", "--threads: 1..256");
			o.cfg.threads = (int)v;
			break;
		case 'n':
			if (!cli_parse_uint(optarg, MAX_RUNS, &v) || v == 0)
				return cli_usage("bench", "--runs: 1..99");
			o.runs = (int)v;
			break;
		case 's':
			o.cfg.seconds = strtod(optarg, NULL);
			if (!(o.cfg.seconds > 0 && o.cfg.seconds <= 3600))
				return cli_usage("bench", "--seconds: a number above 0");
			break;
		case 'l':
			for (size_t k = 0; k < bench_nops; k++)
				printf("%-22s %s%s\n", bench_ops[k].name, bench_ops[k].title,
				       bench_ops[k].headline ? "  [headline]" : "");
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_usage("bench", NULL);
		}
	}
	if (optind != argc)
		return cli_usage("bench", "unexpected argument");
	if (store_setup(&o) != 0) {
		store_cleanup();
		return 1;
	}
	rc = run(&o);
	store_cleanup();
	return rc;
}
