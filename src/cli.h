#ifndef CRIER_CLI_H
#define CRIER_CLI_H
/*
 * What every command shares: global options, loading the config and the
 * site, and reporting. An app owns its config, site and diagnostics.
 */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "site.h"

struct journal;

struct app {
  const char *prog;
  const char *config_arg; /* -c */
  const char *now_arg;    /* --now */
  bool json, quiet;
  int verbose;
  time_t now;
  bool now_pinned; /* --now or CRIER_NOW */
  bool strict;     /* check --strict: old events' problems count */
  char *config_path;
  struct config cfg;
  bool have_cfg;
  struct site site;
  bool have_site;
  struct diags diags;
};

/* Option parsing, from tables (git's OPT_* style). Each command lists its
 * options; the global options (-c, --now, --json, -q, -v, --trace, -h,
 * --version) are accepted before the command and anywhere after it. The
 * usage text is made from the same tables. */
enum opt_kind { OPT_KIND_BOOL, OPT_KIND_STRING, OPT_KIND_LIST, OPT_KIND_COUNT };

struct opt {
  const char *name; /* "--notice" */
  char short_name;  /* 0 if none */
  enum opt_kind kind;
  void *dest;       /* bool *, const char **, const char *** (a list,
                       NULL-terminated, the caller frees the array), int */
  const char *arg;  /* the value's name in the usage: "KIND" */
  const char *help; /* what it does; '\n' starts another line */
};

#define OPT_BOOL(s, l, p, h)                                                   \
  {                                                                            \
    l, s, OPT_KIND_BOOL, p, NULL, h                                            \
  }
#define OPT_STRING(s, l, p, a, h)                                              \
  {                                                                            \
    l, s, OPT_KIND_STRING, p, a, h                                             \
  }
#define OPT_LIST(s, l, p, a, h)                                                \
  {                                                                            \
    l, s, OPT_KIND_LIST, p, a, h                                               \
  }
#define OPT_COUNT(s, l, p, h)                                                  \
  {                                                                            \
    l, s, OPT_KIND_COUNT, p, NULL, h                                           \
  }
#define OPT_END()                                                              \
  {                                                                            \
    NULL, 0, OPT_KIND_BOOL, NULL, NULL, NULL                                   \
  }

/* What `crier NAME --help` says around the options. */
struct cmd_help {
  const char *name;     /* "preview" */
  const char *synopsis; /* after "usage: crier NAME "; lines after the first
                           start with "crier NAME " themselves */
  const char *about;    /* what the command does (may be NULL) */
  const char *more;     /* after the options: exit status, notes (or NULL) */
};

/* Prints the usage of a command (opts may be NULL) to f. */
void cli_usage(FILE *f, const struct cmd_help *h, const struct opt *opts);
/* The global options, for crier's own usage. */
void cli_global_usage(FILE *f);

/* Parses argv[1..] (argv[0] is the command name). Positional arguments are
 * collected in *pos (NULL-terminated, caller frees the array). Returns 0,
 * -1 after printing a usage error, or 1 when --help was printed. */
int cli_parse(struct app *a, int argc, char **argv, const struct opt *opts,
              const struct cmd_help *h, const char ***pos, int *npos);

/* Parses the global options before the command (argv[1..]); returns the
 * index of the command (argc when there is none), -1 after a usage error,
 * -2 after --version, -3 for --help (the caller prints crier's usage). */
int cli_parse_globals(struct app *a, int argc, char **argv);

/* cli_parse for a command that takes between min and max positional
 * arguments. Returns true to go on; false when the command is done (help
 * printed, or a usage error), with its exit status in *rc. */
bool cli_args(struct app *a, int argc, char **argv, const struct opt *opts,
              const struct cmd_help *h, int min, int max, const char ***pos,
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
                    const struct opt *opts, const struct cmd_help *h,
                    bool progress, int *rc);
/* Prints what loading the site found: errors always; warnings unless -q,
 * and not those about events that have started (only `check` reports
 * everything — a cron run should not repeat an old file's quirks). */
void cli_print_site_diags(struct app *a);
/* Loads the site and finds the event `what` names (an id, a unique part
 * of one, or a path), printing the problems. NULL with the exit status in
 * *rc when the site does not load or there is no such event. */
const struct event *cli_site_event(struct app *a, const char *what, int *rc);
/* The start of a command whose one positional argument names an event:
 * cli_args, then cli_site_event. NULL with the exit status in *rc. */
const struct event *cli_start_event(struct app *a, int argc, char **argv,
                                    const struct opt *opts,
                                    const struct cmd_help *h, int *rc);
/* Opens the config's journal for a command that sends (dry false: the
 * run's clock is a->now) or only looks (dry: only when the file exists;
 * *j stays NULL otherwise). Returns 0, or the exit status after printing
 * why it cannot be opened. */
int cli_open_journal(struct app *a, bool dry, struct journal **j);
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

/* Plans and sends the due notices (changed, retry); see cmd_run.c.
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
int changed_range(struct app *a, const char *base, const char *head, bool dry,
                  json_t *collect);

int cmd_serve(struct app *a, int argc, char **argv);

int cmd_calendar(struct app *a, int argc, char **argv);
int cmd_check(struct app *a, int argc, char **argv);
int cmd_changed(struct app *a, int argc, char **argv);
int cmd_list(struct app *a, int argc, char **argv);
int cmd_preview(struct app *a, int argc, char **argv);
int cmd_run(struct app *a, int argc, char **argv);
int cmd_announce(struct app *a, int argc, char **argv);
int cmd_state(struct app *a, int argc, char **argv);
int cmd_status(struct app *a, int argc, char **argv);
int cmd_retry(struct app *a, int argc, char **argv);
int cmd_webhook(struct app *a, int argc, char **argv);

#endif
