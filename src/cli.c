#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "when.h"
#include "xalloc.h"

void cli_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("crier: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void cli_warn(const struct app *a, const char *fmt, ...)
{
  if (a->quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  fputs("crier: warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void cli_info(const struct app *a, const char *fmt, ...)
{
  if (a->quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  fputs("crier: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
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

int cli_parse(struct app *a, int argc, char **argv, const struct opt *opts,
              const char *usage, const char ***pos, int *npos)
{
  bool help = false, version = false;
  const struct opt globals[] = {
      {"--config", 'c', true, &a->config_arg, NULL, NULL},
      {"--now", 0, true, &a->now_arg, NULL, NULL},
      {"--json", 0, false, NULL, &a->json, NULL},
      {"--quiet", 'q', false, NULL, &a->quiet, NULL},
      {"--help", 'h', false, NULL, &help, NULL},
      {"--version", 0, false, NULL, &version, NULL},
      {NULL, 0, false, NULL, NULL, NULL}};
  *pos = xcalloc((size_t)argc + 1, sizeof(char *));
  *npos = 0;
  bool only_pos = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (only_pos || arg[0] != '-' || !arg[1]) {
      (*pos)[(*npos)++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_pos = true;
      continue;
    }
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
      a->verbose++;
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
      if (arg[2]) {
        inline_val = arg + 2;
      }
      o = find_opt(opts, NULL, 0, arg[1]);
      if (!o)
        o = find_opt(globals, NULL, 0, arg[1]);
    }
    if (!o) {
      fprintf(stderr, "crier %s: unknown option '%s'\n%s", argv[0], arg,
              usage);
      goto fail;
    }
    if (!o->has_arg) {
      if (inline_val) {
        fprintf(stderr, "crier %s: option '%s' takes no value\n", argv[0],
                o->name);
        goto fail;
      }
      *o->flag = true;
      continue;
    }
    const char *val = inline_val;
    if (!val) {
      if (i + 1 >= argc) {
        fprintf(stderr, "crier %s: option '%s' needs a value\n%s", argv[0],
                o->name, usage);
        goto fail;
      }
      val = argv[++i];
    }
    if (o->multi) {
      size_t n = 0;
      while (*o->multi && (*o->multi)[n])
        n++;
      *o->multi = xrealloc(*o->multi, (n + 2) * sizeof(char *));
      (*o->multi)[n] = val;
      (*o->multi)[n + 1] = NULL;
    } else {
      *o->value = val;
    }
  }
  if (help) {
    fputs(usage, stdout);
    free(*pos);
    *pos = NULL;
    return 1;
  }
  if (version) {
    printf("crier %s\n", CRIER_VERSION);
    free(*pos);
    *pos = NULL;
    return 1;
  }
  return 0;
fail:
  free(*pos);
  *pos = NULL;
  return -1;
}

bool cli_args(struct app *a, int argc, char **argv, const struct opt *opts,
              const char *usage, int min, int max, const char ***pos,
              int *npos, int *rc)
{
  int r = cli_parse(a, argc, argv, opts, usage, pos, npos);
  if (r) {
    *rc = r < 0 ? EX_USAGE : 0;
    return false;
  }
  if (*npos < min || *npos > max) {
    fprintf(stderr, "crier %s: %s\n%s", argv[0],
            *npos < min ? "missing argument" : "unexpected argument", usage);
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
  struct site_opts so = {.progress = progress && !a->quiet, .now = a->now,
                         .strict = a->strict};
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
        "| --- | --- | --- | --- | --- | --- |\n", f);
  size_t i;
  json_t *r;
  json_array_foreach(results, i, r) {
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

bool cli_start_site(struct app *a, int argc, char **argv,
                    const struct opt *opts, const char *usage, bool progress,
                    int *rc)
{
  const char **pos;
  int npos;
  if (!cli_args(a, argc, argv, opts, usage, 0, 0, &pos, &npos, rc))
    return false;
  free(pos);
  *rc = cli_load_site(a, progress);
  diags_print(&a->diags);
  return *rc == 0;
}
