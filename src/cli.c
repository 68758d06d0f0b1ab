#include "cli.h"
#include "hooks.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "when.h"
#include "xalloc.h"

void cli_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(LOG_ERROR, fmt, ap);
  va_end(ap);
}

void cli_warn(const struct app *a, const char *fmt, ...)
{
  if (a->quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(LOG_WARNING, fmt, ap);
  va_end(ap);
}

void cli_info(const struct app *a, const char *fmt, ...)
{
  if (a->quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(LOG_INFO, fmt, ap);
  va_end(ap);
}

void cli_json_out(json_t *v)
{
  char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
  }
  json_decref(v);
}

static const struct opt *find_opt(const struct opt *opts, const char *arg,
                                  size_t len, char short_name)
{
  for (const struct opt *o = opts; o && o->name; o++) {
    if (short_name ? o->short_name == short_name
                   : strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
      return o;
  }
  return NULL;
}

/* The global options of every command, pointing into a. */
#define GLOBAL_OPTS(a, help, version, trace)                                   \
  {                                                                            \
    OPT_STRING('c', "--config", &(a)->config_arg, "FILE",                      \
               "the config (default ./crier.yaml, then\n"                      \
               "/etc/crier/crier.yaml)"),                                      \
        OPT_STRING(0, "--now", &(a)->now_arg, "TIME",                          \
                   "pretend it is TIME (RFC 3339); also CRIER_NOW"),           \
        OPT_BOOL(0, "--json", &(a)->json,                                      \
                 "machine-readable results on stdout"),                        \
        OPT_BOOL('q', "--quiet", &(a)->quiet, "only errors on stderr"),        \
        OPT_COUNT('v', "--verbose", &(a)->verbose,                             \
                  "a line per request (twice: headers and bodies)"),           \
        OPT_BOOL(0, "--trace", (trace),                                        \
                 "requests and answers with headers and bodies\n"              \
                 "(secrets redacted)"),                                        \
        OPT_BOOL('h', "--help", (help), "this help"),                          \
        OPT_BOOL(0, "--version", (version), "print the version"), OPT_END()    \
  }

/* Prints one table of options. */
static void print_opts(FILE *f, const struct opt *opts)
{
  for (const struct opt *o = opts; o && o->name; o++) {
    char left[64];
    int n = snprintf(
        left, sizeof(left), "  %s%c%s%s%s%s", o->short_name ? "-" : "",
        o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
        o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    if (!o->short_name) /* "      --name" */
      n = snprintf(left, sizeof(left), "      %s%s%s", o->name,
                   o->arg ? " " : "", o->arg ? o->arg : "");
    fputs(left, f);
    const char *h = o->help ? o->help : "";
    int col = 26;
    if (n >= col - 1) {
      fputc('\n', f);
      n = 0;
    }
    fprintf(f, "%*s", col - n, "");
    for (; *h; h++) {
      fputc(*h, f);
      if (*h == '\n')
        fprintf(f, "%*s", col, "");
    }
    fputc('\n', f);
  }
}

void cli_global_usage(FILE *f)
{
  struct app a = {0};
  bool b = false;
  const struct opt globals[] = GLOBAL_OPTS(&a, &b, &b, &b);
  print_opts(f, globals);
}

void cli_usage(FILE *f, const struct cmd_help *h, const struct opt *opts)
{
  fprintf(f, "usage: crier %s %s\n", h->name, h->synopsis);
  if (h->about)
    fprintf(f, "\n%s", h->about);
  if (opts && opts->name) {
    fputs("\noptions:\n", f);
    print_opts(f, opts);
  }
  fputs("\nglobal options: -c FILE, --now TIME, --json, -q, -v, --trace "
        "(see crier --help)\n",
        f);
  if (h->more)
    fprintf(f, "\n%s", h->more);
}

/* Parses argv[first..] against opts and the globals; positional arguments
 * go to pos (when not NULL; else the first one ends the parse). Returns
 * the index after the last argument taken, -1 after a usage error (printed
 * with prog), -2 after --help/--version. */
static int parse(struct app *a, int argc, char **argv, int first,
                 const struct opt *opts, const char *prog, const char ***pos,
                 int *npos, bool *help)
{
  bool version = false, trace = false;
  const struct opt globals[] = GLOBAL_OPTS(a, help, &version, &trace);
  bool only_pos = false;
  int i = first;
  for (; i < argc; i++) {
    const char *arg = argv[i];
    if (only_pos || arg[0] != '-' || !arg[1]) {
      if (!pos)
        break;
      (*pos)[(*npos)++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_pos = true;
      continue;
    }
    const struct opt *o;
    const char *inline_val = NULL;
    if (arg[1] == '-') {
      const char *eq = strchr(arg, '=');
      size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
      o = find_opt(opts, arg, len, 0);
      if (!o)
        o = find_opt(globals, arg, len, 0);
      if (eq)
        inline_val = eq + 1;
    } else {
      if (arg[2])
        inline_val = arg + 2;
      o = find_opt(opts, NULL, 0, arg[1]);
      if (!o)
        o = find_opt(globals, NULL, 0, arg[1]);
      /* -vv: a count repeated */
      if (o && o->kind == OPT_KIND_COUNT && inline_val &&
          strspn(inline_val, (char[]){arg[1], 0}) == strlen(inline_val)) {
        *(int *)o->dest += (int)strlen(inline_val);
        inline_val = NULL;
      }
    }
    if (!o) {
      fprintf(stderr,
              "crier%s%s: unknown option '%s' (crier%s%s --help "
              "lists them)\n",
              prog ? " " : "", prog ? prog : "", arg, prog ? " " : "",
              prog ? prog : "");
      return -1;
    }
    if (o->kind == OPT_KIND_BOOL || o->kind == OPT_KIND_COUNT) {
      if (inline_val) {
        fprintf(stderr, "crier%s%s: option '%s' takes no value\n",
                prog ? " " : "", prog ? prog : "", o->name);
        return -1;
      }
      if (o->kind == OPT_KIND_BOOL)
        *(bool *)o->dest = true;
      else
        (*(int *)o->dest)++;
      continue;
    }
    const char *val = inline_val;
    if (!val) {
      if (i + 1 >= argc) {
        fprintf(stderr, "crier%s%s: option '%s' needs a value (%s)\n",
                prog ? " " : "", prog ? prog : "", o->name, o->arg);
        return -1;
      }
      val = argv[++i];
    }
    if (o->kind == OPT_KIND_LIST) {
      const char ***list = o->dest;
      size_t n = 0;
      while (*list && (*list)[n])
        n++;
      *list = xrealloc(*list, (n + 2) * sizeof(char *));
      (*list)[n] = val;
      (*list)[n + 1] = NULL;
    } else {
      *(const char **)o->dest = val;
    }
  }
  if (trace && a->verbose < 2)
    a->verbose = 2;
  if (version) {
    printf("crier %s\n", CRIER_VERSION);
    return -2;
  }
  return i;
}

int cli_parse_globals(struct app *a, int argc, char **argv)
{
  bool help = false;
  int i = parse(a, argc, argv, 1, NULL, NULL, NULL, NULL, &help);
  if (i >= 0 && help)
    return -3;
  return i;
}

int cli_parse(struct app *a, int argc, char **argv, const struct opt *opts,
              const struct cmd_help *h, const char ***pos, int *npos)
{
  bool help = false;
  *pos = xcalloc((size_t)argc + 1, sizeof(char *));
  *npos = 0;
  int r = parse(a, argc, argv, 1, opts, argv[0], pos, npos, &help);
  if (r >= 0 && help) {
    cli_usage(stdout, h, opts);
    r = -2;
  }
  if (r >= 0)
    return 0;
  free(*pos);
  *pos = NULL;
  return r == -2 ? 1 : -1;
}

bool cli_args(struct app *a, int argc, char **argv, const struct opt *opts,
              const struct cmd_help *h, int min, int max, const char ***pos,
              int *npos, int *rc)
{
  int r = cli_parse(a, argc, argv, opts, h, pos, npos);
  if (r) {
    *rc = r < 0 ? EX_USAGE : 0;
    return false;
  }
  if (*npos < min || *npos > max) {
    fprintf(stderr, "crier %s: %s (crier %s --help says more)\n", argv[0],
            *npos < min ? "missing argument" : "unexpected argument", argv[0]);
    cli_usage(stderr, h, opts);
    free(*pos);
    *pos = NULL;
    *rc = EX_USAGE;
    return false;
  }
  return true;
}

int cli_load_config(struct app *a)
{
  struct err e;
  if (a->have_cfg)
    return 0;
  a->config_path = config_find(a->config_arg, &e);
  if (!a->config_path) {
    cli_error("%s", e.msg);
    return EX_CONFIG;
  }
  struct diags d;
  diags_init(&d);
  int rc = config_load(&a->cfg, a->config_path, &d);
  a->have_cfg = true;
  if (rc < 0) {
    diags_print(&d);
    diags_release(&d);
    return EX_CONFIG;
  }
  diags_move(&a->diags, &d);
  if (a->now_arg) {
    if (when_parse_now(a->now_arg, &a->now, &e) < 0) {
      cli_error("--now: %s", e.msg);
      return EX_USAGE;
    }
    a->now_pinned = true;
  } else {
    if (when_now(&a->now, &e) < 0) {
      cli_error("%s", e.msg);
      return EX_USAGE;
    }
    a->now_pinned = getenv("CRIER_NOW") && *getenv("CRIER_NOW");
  }
  return 0;
}

int cli_load_site(struct app *a, bool progress)
{
  int rc = cli_load_config(a);
  if (rc)
    return rc;
  struct site_opts so = {
      .progress = progress && !a->quiet, .now = a->now, .strict = a->strict};
  if (site_load(&a->site, &a->cfg, &so, &a->diags) < 0) {
    a->have_site = true;
    return EX_NOINPUT;
  }
  a->have_site = true;
  return 0;
}

void app_release(struct app *a)
{
  if (a->have_site)
    site_release(&a->site);
  if (a->have_cfg)
    config_release(&a->cfg);
  free(a->config_path);
  diags_release(&a->diags);
}

void cli_step_summary(const struct app *a, json_t *results)
{
  (void)a;
  const char *path = getenv("GITHUB_STEP_SUMMARY");
  if (!path || !*path || !json_array_size(results))
    return;
  FILE *f = fopen(path, "a");
  if (!f)
    return;
  fputs("| event | notice | channel | lang | result | where / why |\n"
        "| --- | --- | --- | --- | --- | --- |\n",
        f);
  size_t i;
  json_t *r;
  json_array_foreach(results, i, r)
  {
    const char *url = json_string_value(json_object_get(r, "url"));
    const char *err = json_string_value(json_object_get(r, "error"));
    struct buf why = BUF_INIT;
    for (const char *p = url ? url : err ? err : ""; *p; p++)
      if (*p == '|')
        buf_adds(&why, "\\|");
      else if (*p != '\n')
        buf_addc(&why, *p);
    fprintf(f, "| %s | %s | %s | %s | %s | %s |\n",
            json_string_value(json_object_get(r, "event")),
            json_string_value(json_object_get(r, "notice")),
            json_string_value(json_object_get(r, "channel")),
            json_string_value(json_object_get(r, "lang")),
            json_string_value(json_object_get(r, "result")), why.data);
    buf_release(&why);
  }
  fputc('\n', f);
  fclose(f);
}

/* Whether path is the file of an event that has started. */
static bool past_event_file(const struct app *a, const char *path)
{
  for (size_t i = 0; path && i < a->site.n; i++)
    if (strcmp(a->site.events[i]->path, path) == 0)
      return a->site.events[i]->start < a->now;
  return false;
}

void cli_print_site_diags(struct app *a)
{
  struct diags shown;
  diags_init(&shown);
  for (size_t i = 0; i < a->diags.n; i++) {
    const struct diag *g = &a->diags.v[i];
    if (g->sev == DIAG_WARNING && (a->quiet || past_event_file(a, g->file)))
      continue;
    diag_add(&shown, g->sev, g->file, g->line, "%s", g->msg);
  }
  diags_print(&shown);
  diags_release(&shown);
}

bool cli_start_site(struct app *a, int argc, char **argv,
                    const struct opt *opts, const struct cmd_help *h,
                    bool progress, int *rc)
{
  const char **pos;
  int npos;
  if (!cli_args(a, argc, argv, opts, h, 0, 0, &pos, &npos, rc))
    return false;
  free(pos);
  *rc = cli_load_site(a, progress);
  cli_print_site_diags(a);
  return *rc == 0;
}

const struct event *cli_site_event(struct app *a, const char *what, int *rc)
{
  *rc = cli_load_site(a, false);
  cli_print_site_diags(a);
  if (*rc)
    return NULL;
  struct err e;
  struct diags d;
  diags_init(&d);
  const struct event *ev = site_find(&a->site, what, &d, &e);
  diags_print(&d);
  diags_release(&d);
  if (!ev) {
    cli_error("%s", e.msg);
    *rc = e.code;
  }
  return ev;
}

const struct event *cli_start_event(struct app *a, int argc, char **argv,
                                    const struct opt *opts,
                                    const struct cmd_help *h, int *rc)
{
  const char **pos;
  int npos;
  if (!cli_args(a, argc, argv, opts, h, 1, 1, &pos, &npos, rc))
    return NULL;
  const struct event *ev = cli_site_event(a, pos[0], rc);
  free(pos);
  return ev;
}

int cli_open_journal(struct app *a, bool dry, struct journal **j)
{
  *j = NULL;
  if (dry && access(a->cfg.journal, F_OK) != 0)
    return 0;
  struct err e;
  *j = journal_open(a->cfg.journal, 5000, &e);
  if (!*j) {
    cli_error("%s", e.msg);
    return e.code;
  }
  if (!dry)
    journal_set_clock(*j, a->now);
  return 0;
}

struct test_hooks test_hooks;

/* A positive number from a CRIER_TEST_* variable, else 0. */
static double hook_value(const char *name)
{
  const char *v = getenv(name);
  char *end;
  double d = v && *v ? strtod(v, &end) : 0;
  return v && *v && !*end && d > 0 ? d : 0;
}

void cli_read_test_hooks(void)
{
  test_hooks.retry_base = hook_value("CRIER_TEST_RETRY_BASE_MS") / 1000.0;
  test_hooks.github_gap = hook_value("CRIER_TEST_GITHUB_GAP");
  test_hooks.serve_timeout = (long)hook_value("CRIER_TEST_SERVE_TIMEOUT");
  test_hooks.serve_retry_ms = (long)hook_value("CRIER_TEST_SERVE_RETRY_MS");
  test_hooks.landing_window = (long)hook_value("CRIER_TEST_LANDING_S");
}
