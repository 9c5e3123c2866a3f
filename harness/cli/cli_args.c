/* cli_args.c — option parsing shared by every command: getopt_long driven by each
 * command's table (cli.h shows the pattern), strict numbers, comma lists and choices.
 * Every usage error is one line on stderr naming the command and the option; the caller
 * returns CLI_USAGE. Nothing here exits. */
#define _GNU_SOURCE /* getopt_long's permutation and optind = 0 reset are glibc's */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tornpage/html.h"

void cli_init(cli *c, const char *cmd, const char *usage, const struct option *opts, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	c->cmd = cmd;
	c->usage = usage;
	c->opts = opts;
	c->argc = argc;
	c->argv = argv;
	/* ":" first: a missing value returns ':' instead of printing getopt's own message. */
	size_t n = 0;
	c->shortopts[n++] = ':';
	for (const struct option *o = opts; o->name && n + 3 < sizeof c->shortopts; o++) {
		if (o->val > 0 && o->val < CLI_OPT_FIRST && isalnum(o->val)) {
			c->shortopts[n++] = (char)o->val;
			if (o->has_arg == required_argument)
				c->shortopts[n++] = ':';
		}
	}
	c->shortopts[n] = '\0';
	optind = 0; /* glibc: start a fresh scan (main.c has parsed the top level) */
	opterr = 0;
}

static const struct option *opt_by_val(const cli *c, int val)
{
	for (const struct option *o = c->opts; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* "--name" of the option getopt just handled (long or short form). */
static void name_opt(cli *c, int longindex, int val)
{
	const struct option *o = longindex >= 0 ? &c->opts[longindex] : opt_by_val(c, val);
	if (o)
		snprintf(c->opt, sizeof c->opt, "--%s", o->name);
	else
		snprintf(c->opt, sizeof c->opt, "-%c", val);
}

/* The text of the option element getopt rejected, for the message. */
static void name_rejected(cli *c)
{
	const char *prev = optind > 0 && optind <= c->argc ? c->argv[optind - 1] : NULL;
	int is_short = optopt > 0 && optopt < CLI_OPT_FIRST && !opt_by_val(c, optopt);
	if (!is_short && prev && prev[0] == '-' && prev[1] == '-')
		snprintf(c->opt, sizeof c->opt, "%.*s", (int)strcspn(prev, "="), prev);
	else if (optopt > 0 && optopt < CLI_OPT_FIRST)
		snprintf(c->opt, sizeof c->opt, "-%c", optopt);
	else
		snprintf(c->opt, sizeof c->opt, "%s", prev ? prev : "?");
}

int cli_next(cli *c)
{
	for (;;) {
		int longindex = -1;
		c->arg = NULL;
		c->opt[0] = '\0';
		int v = getopt_long(c->argc, c->argv, c->shortopts, c->opts, &longindex);
		if (v == -1) {
			c->first = optind;
			return CLI_END;
		}
		if (v == '?') {
			name_rejected(c);
			const struct option *o = optopt ? opt_by_val(c, optopt) : NULL;
			if (o && o->has_arg == no_argument)
				c->rc = cli_err(c->cmd, "%s takes no value (tornpage %s --help)", c->opt, c->cmd);
			else
				c->rc = cli_err(c->cmd, "unknown option '%s' (tornpage %s --help)", c->opt, c->cmd);
			return CLI_STOP;
		}
		if (v == ':') {
			name_opt(c, -1, optopt);
			c->rc = cli_err(c->cmd, "%s needs a value", c->opt);
			return CLI_STOP;
		}
		name_opt(c, longindex, v);
		c->arg = optarg;
		if (c->arg && !*c->arg) {
			c->rc = cli_err(c->cmd, "%s needs a value", c->opt);
			return CLI_STOP;
		}
		if (v == 'h') {
			/* main.c checks stdout at exit: a failed write of the help is exit 2 */
			fputs(c->usage, stdout);
			c->rc = CLI_OK;
			return CLI_STOP;
		}
		if (v == 'q') {
			c->quiet = 1;
			continue;
		}
		return v;
	}
}

int cli_operands(cli *c, int min, int max, const char *what)
{
	int n = c->argc - c->first;
	if (n < min) {
		cli_err(c->cmd, "no %s given (tornpage %s --help)", what, c->cmd);
		return -1;
	}
	if (max >= 0 && n > max) {
		if (max == 0)
			cli_err(c->cmd, "unexpected argument '%s' (tornpage %s --help)", c->argv[c->first], c->cmd);
		else
			cli_err(c->cmd, "one %s at a time, not %d", what, n);
		return -1;
	}
	return n;
}

static int vmessage(const char *cmd, const char *opt, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* one line, whatever the message quotes */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (opt && *opt)
		fprintf(stderr, "tornpage %s: %s: %s\n", cmd, opt, msg);
	else
		fprintf(stderr, "tornpage %s: %s\n", cmd, msg);
	return CLI_USAGE;
}

int cli_bad(cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(c->cmd, c->opt, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(cmd, NULL, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int cli_u64_of(cli *c, const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[32];
	uint64_t v = 0;
	int ok = len > 0 && len < sizeof buf;
	for (size_t i = 0; ok && i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			ok = 0;
		else
			v = v * 10 + d;
	}
	if (ok && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	snprintf(buf, sizeof buf, "%.*s", (int)(len < 24 ? len : 24), s);
	if (max == UINT64_MAX)
		cli_bad(c, "expected a number >= %" PRIu64 ", not '%s%s'", min, buf, len >= 24 ? "..." : "");
	else
		cli_bad(c, "expected a number in %" PRIu64 "..%" PRIu64 ", not '%s%s'", min, max, buf, len >= 24 ? "..." : "");
	return -1;
}

int cli_u64(cli *c, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s = c->arg ? c->arg : "";
	return cli_u64_of(c, s, strlen(s), min, max, out);
}

int cli_choice(cli *c, const char *const *names, int *idx)
{
	char list[256] = "";
	size_t n = 0;
	for (int i = 0; names[i]; i++) {
		if (c->arg && !strcmp(c->arg, names[i])) {
			*idx = i;
			return 0;
		}
		n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s", i ? (names[i + 1] ? ", " : " or ") : "",
				      names[i]);
		if (n >= sizeof list)
			n = sizeof list - 1;
	}
	cli_bad(c, "expected %s, not '%s'", list, c->arg ? c->arg : "");
	return -1;
}

int cli_list(cli *c, int (*item)(cli *c, const char *item, void *arg), void *arg)
{
	const char *s = c->arg ? c->arg : "";
	char buf[256];
	for (;;) {
		size_t n = strcspn(s, ",");
		if (n == 0) {
			cli_bad(c, "empty item in the list '%s'", c->arg ? c->arg : "");
			return -1;
		}
		if (n >= sizeof buf) {
			cli_bad(c, "item of %zu bytes in the list (at most %zu)", n, sizeof buf - 1);
			return -1;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (item(c, buf, arg))
			return -1;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

int cli_atomic(cli *c, uint32_t *unit)
{
	static const char *const names[] = {"512", "1024", "2048", "4096", "page", NULL};
	static const uint32_t bytes[] = {512, 1024, 2048, 4096, 0};
	int i;
	if (cli_choice(c, names, &i))
		return -1;
	*unit = bytes[i];
	return 0;
}

void cli_diag_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

int cli_load_log(const char *path, oplog *log)
{
	return oplog_load(path, log, cli_diag_stderr, NULL) ? 1 : 0;
}

void cli_command_line(const cli *c, char *out, size_t n)
{
	size_t len = (size_t)snprintf(out, n, "tornpage");
	for (int i = 0; i < c->argc && len < n; i++) {
		/* Long lists of files end in a count: a title, not a transcript. */
		if (len + strlen(c->argv[i]) + 24 > n || (i >= 8 && c->argc - i > 2)) {
			snprintf(out + len, n - len, " ... (%d more)", c->argc - i);
			return;
		}
		len += (size_t)snprintf(out + len, n - len, strchr(c->argv[i], ' ') ? " '%s'" : " %s", c->argv[i]);
	}
}

int cli_html(html_report *h, const char *path)
{
	if (!strcmp(path, "-"))
		return html_write(h, stdout) || fflush(stdout) ? -1 : 0;
	return html_save(h, path);
}
