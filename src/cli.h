#ifndef CRIER_CLI_H
#define CRIER_CLI_H
/*
 * What every command shares: global options, loading the config and the
 * site, and reporting. An app owns its config, site and diagnostics.
 */
#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "site.h"

struct app {
  const char *prog;
  const char *config_arg; /* -c */
  const char *now_arg;    /* --now */
  bool json, quiet;
  int verbose;
  time_t now;
  bool now_pinned;        /* --now or CRIER_NOW */
  bool strict;            /* check --strict: old events' problems count */
  char *config_path;
  struct config cfg;
  bool have_cfg;
  struct site site;
  bool have_site;
  struct diags diags;
};

/* Option parsing. Each command lists its options; global options (-c,
 * --json, -q, -v, --now, --help) are accepted anywhere. */
struct opt {
  const char *name;  /* "--notice" */
  char short_name;   /* 0 if none */
  bool has_arg;
  const char **value; /* where the argument goes (has_arg) */
  bool *flag;         /* set when present (!has_arg) */
  const char ***multi; /* repeatable: appended NULL-terminated list */
};

/* Parses argv[1..] (argv[0] is the command name). Positional arguments are
 * collected in *pos (NULL-terminated, caller frees the array). Returns 0,
 * -1 after printing a usage error, or 1 when --help was printed. */
int cli_parse(struct app *a, int argc, char **argv, const struct opt *opts,
              const char *usage, const char ***pos, int *npos);

/* cli_parse for a command that takes between min and max positional
 * arguments. Returns true to go on; false when the command is done (help
 * printed, or a usage error), with its exit status in *rc. */
bool cli_args(struct app *a, int argc, char **argv, const struct opt *opts,
              const char *usage, int min, int max, const char ***pos,
              int *npos, int *rc);


/* Loads the config (-c or the default places) and sets the time zone and
 * "now". Prints the problems; returns an exit status (0 on success). */
int cli_load_config(struct app *a);
/* Loads config and site. Problems are kept in a->diags (printed by the
 * caller); returns an exit status for fatal problems, else 0. */
int cli_load_site(struct app *a, bool progress);
/* The start of a command without positional arguments that works on the
 * site: cli_args, then cli_load_site, then its problems printed. Returns
 * true to go on; false with the exit status in *rc. */
bool cli_start_site(struct app *a, int argc, char **argv,
                    const struct opt *opts, const char *usage, bool progress,
                    int *rc);
void app_release(struct app *a);

/* Prints "crier: error: ..." (or warning) to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const struct app *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_info(const struct app *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes a JSON value to stdout with a newline. Steals v. */
void cli_json_out(json_t *v);

/* Appends a table of delivery results to $GITHUB_STEP_SUMMARY when it is
 * set (GitHub Actions). */
void cli_step_summary(const struct app *a, json_t *results);

/* Plans and sends the due notices (run, changed, serve); see cmd_run.c.
 * collect: if not NULL, the result records are appended there instead of
 * being printed with --json. */
struct schedule_opts;
int run_schedule(struct app *a, bool dry, const struct schedule_opts *so,
                 json_t *collect);

/* Sends ev's announcement to its channels (all, or those named). */
int announce_event(struct app *a, const struct event *ev,
                   const char *const *channels, bool dry, bool force,
                   int verbose, json_t *results);

/* The changed-files logic for a git range (changed, serve). */
int changed_range(struct app *a, const char *base, const char *head,
                  bool dry, json_t *collect);

int cmd_serve(struct app *a, int argc, char **argv);

int cmd_check(struct app *a, int argc, char **argv);
int cmd_changed(struct app *a, int argc, char **argv);
int cmd_list(struct app *a, int argc, char **argv);
int cmd_preview(struct app *a, int argc, char **argv);
int cmd_run(struct app *a, int argc, char **argv);
int cmd_announce(struct app *a, int argc, char **argv);
int cmd_status(struct app *a, int argc, char **argv);
int cmd_webhook(struct app *a, int argc, char **argv);

#endif
