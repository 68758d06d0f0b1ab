/* crier: meetup announcements and reminders, exactly once. */
#include <stdio.h>
#include "util.h"
#include <string.h>

#include "cli.h"
#include "hooks.h"
#include "secret.h"
#include "term.h"

static const char about[] =
    "usage: crier [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Announces meetups from a website's event files (Markdown with YAML\n"
    "front matter) in German and English, exactly once per notice.\n"
    "\n"
    "commands:\n"
    "  check [PATH...]      validate the config, event files and templates\n"
    "  list [--all]         upcoming events and the notices due for them\n"
    "  preview EVENT        print the message a notice would send\n"
    "  run [--dry-run]      send every notice that is due now (cron)\n"
    "  changed              announce added/changed event files (CI)\n"
    "  serve                receive signed webhooks that trigger them\n"
    "  announce EVENT       send an event's announcement now\n"
    "  status [EVENT]       what the journal says was sent, and where\n"
    "  retry EVENT          send an event's 'uncertain' deliveries again\n"
    "  calendar [-o FILE]   write the iCalendar feed of the events\n"
    "  state paths|seal|unseal   where the journal is; seal a file for CI\n"
    "  webhook keygen|sign|verify   webhook signature helpers\n"
    "\n"
    "global options (before or after the command):\n";

static const char exit_codes[] =
    "\n"
    "exit status: 0 done, 1 a delivery failed, 64 usage, 65 bad input data,\n"
    "66 no such event, 74 the journal could not record, 75 temporary\n"
    "failure (try again later), 78 configuration error. See crier(1).\n";

static void usage(FILE *f)
{
  fputs(about, f);
  cli_global_usage(f);
  fputs(exit_codes, f);
}

static const struct {
  const char *name;
  int (*fn)(struct app *, int, char **);
} commands[] = {
    {"check", cmd_check},       {"list", cmd_list},
    {"preview", cmd_preview},   {"run", cmd_run},
    {"announce", cmd_announce}, {"changed", cmd_changed},
    {"serve", cmd_serve},       {"status", cmd_status},
    {"retry", cmd_retry},       {"calendar", cmd_calendar},
    {"webhook", cmd_webhook},   {"state", cmd_state},
};

int main(int argc, char **argv)
{
  term_guard_stdio();
  cli_read_test_hooks();
  struct app a = {.prog = "crier"};
  diags_init(&a.diags);
  int i = cli_parse_globals(&a, argc, argv);
  if (i == -3 || (i > 0 && i < argc && strcmp(argv[i], "help") == 0)) {
    usage(stdout);
    return 0;
  }
  if (i == -2)
    return 0;
  if (i < 0)
    return EX_USAGE;
  if (i >= argc) {
    usage(stderr);
    return EX_USAGE;
  }
  const char *cmd = argv[i];
  for (size_t k = 0; k < ARRAY_SIZE(commands); k++) {
    if (strcmp(commands[k].name, cmd) == 0) {
      int rc = commands[k].fn(&a, argc - i, argv + i);
      app_release(&a);
      secret_forget_all();
      fflush(stdout);
      if (ferror(stdout)) {
        fprintf(stderr, "crier: error: cannot write to standard output\n");
        return rc ? rc : EX_IOERR;
      }
      return rc;
    }
  }
  fprintf(stderr, "crier: unknown command '%s' (crier --help lists them)\n",
          cmd);
  return EX_USAGE;
}
