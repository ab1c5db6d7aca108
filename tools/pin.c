/* pin.c - PINs from the command line, a file, or the terminal without echo.
 *
 * Every PIN buffer is wiped before it is freed (explicit_bzero), and a PIN
 * given as an argument is blanked in argv once copied, so /proc/<pid>/cmdline
 * shows it only for the instant before (prefer --pin-file or the prompt).
 */
#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"

#define PIN_BUF 256   /* more than KT_PIN_MAX: too-long PINs reach the module and get CKR_PIN_LEN_RANGE */

void pin_free(char *pin)
{
	if (pin == NULL)
		return;
	explicit_bzero(pin, strlen(pin));
	free(pin);
}

char *pin_take_arg(char *arg)
{
	char *copy = strdup(arg);

	if (copy == NULL) {
		cli_err("out of memory");
		exit(1);
	}
	explicit_bzero(arg, strlen(arg));
	return copy;
}

static void chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* No stdio buffer (it is never wiped) holds PIN bytes: read unbuffered.
 * Must come before the stream's first use; we never read stdin otherwise. */
static void unbuffered(FILE *f)
{
	static bool stdin_done;

	if (f == stdin && stdin_done)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	if (f == stdin)
		stdin_done = true;
}

/* First line of `path` ("-": stdin).  A fixed buffer, not getline(): a
 * realloc there would free PIN bytes unwiped. */
static int from_file(const char *path, char **out)
{
	char buf[PIN_BUF];
	bool ok, whole;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");

	if (f == NULL) {
		cli_err("%s: %s", path, strerror(errno));
		return 1;
	}
	unbuffered(f);
	ok = fgets(buf, sizeof buf, f) != NULL;
	whole = ok && (strchr(buf, '\n') != NULL || feof(f));
	if (f != stdin)
		fclose(f);
	if (ok && whole) {
		chomp(buf);
		*out = strdup(buf);
	}
	explicit_bzero(buf, sizeof buf);
	if (!ok)
		cli_err("%s: no PIN in the file", path);
	else if (!whole)
		cli_err("%s: first line too long for a PIN", path);
	return *out != NULL ? 0 : 1;
}

/* Ask on the terminal with echo off; 0 or exit code. */
static int ask(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	bool ok;

	if (tcgetattr(STDIN_FILENO, &old) < 0) {
		cli_err("terminal: %s", strerror(errno));
		return 1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	fprintf(stderr, "%s: ", prompt);
	fflush(stderr);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0) {
		cli_err("terminal: %s", strerror(errno));
		return 1;
	}
	unbuffered(stdin);
	ok = fgets(buf, (int)n, stdin) != NULL;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	if (!ok) {
		cli_err("no PIN entered");
		return 1;
	}
	chomp(buf);
	return 0;
}

static int from_tty(const char *prompt, bool confirm, char **out)
{
	char a[PIN_BUF], b[PIN_BUF], p2[128];
	int r;

	r = ask(prompt, a, sizeof a);
	if (r == 0 && confirm) {
		snprintf(p2, sizeof p2, "%s (again)", prompt);
		r = ask(p2, b, sizeof b);
		if (r == 0 && strcmp(a, b) != 0) {
			cli_err("the PINs do not match");
			r = 1;
		}
	}
	if (r == 0 && (*out = strdup(a)) == NULL)
		r = 1;
	explicit_bzero(a, sizeof a);
	explicit_bzero(b, sizeof b);
	return r;
}

int pin_get(pin_src *src, const char *prompt, bool confirm, char **out)
{
	*out = NULL;
	if (src->value != NULL) {
		*out = src->value;          /* ownership moves to the caller */
		src->value = NULL;
		return 0;
	}
	if (src->file != NULL)
		return from_file(src->file, out);
	if (isatty(STDIN_FILENO))
		return from_tty(prompt, confirm, out);
	cli_err("%s needed: give it as an option, in a file, or run on a terminal", prompt);
	return EXIT_USAGE;
}
