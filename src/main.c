/* crier: meetup announcements and reminders, exactly once. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "secret.h"
#include "term.h"

static const char usage[] =
    "usage: crier [-c FILE] [--now TIME] [--json] [-q] [-v] COMMAND [ARGS]\n"
    "\n"
    "Announces meetups from a website's event files (Markdown with YAML\n"
    "front matter) in German and English.\n"
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
    "  calendar [-o FILE]   write the iCalendar feed of the events\n"
    "  webhook keygen|sign|verify   webhook signature helpers\n"
    "\n"
    "global options:\n"
    "  -c, --config FILE    the config (default ./crier.yaml, then\n"
    "                       /etc/crier/crier.yaml)\n"
    "  --now TIME           pretend it is TIME (RFC 3339); also CRIER_NOW\n"
    "  --json               machine-readable results on stdout\n"
    "  -q, --quiet          only errors on stderr\n"
    "  -v, --verbose        more detail on stderr\n"
    "  --version            print the version\n"
    "  -h, --help           this help; 'crier COMMAND --help' for a command\n"
    "\n"
    "exit status: 0 done, 1 a delivery failed, 64 usage, 65 bad input data,\n"
    "75 temporary failure, 78 configuration error. See crier(1).\n";

static const struct {
  const char *name;
  int (*fn)(struct app *, int, char **);
} commands[] = {
    {"check", cmd_check},
    {"list", cmd_list},
    {"preview", cmd_preview},
    {"run", cmd_run},
    {"announce", cmd_announce},
    {"changed", cmd_changed},
    {"serve", cmd_serve},
    {"status", cmd_status},
    {"calendar", cmd_calendar},
    {"webhook", cmd_webhook},
};

int main(int argc, char **argv)
{
  term_guard_stdio();
  struct app a = {.prog = "crier"};
  diags_init(&a.diags);
  /* global options before the command */
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *o = argv[i];
    if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(o, "--version") == 0) {
      printf("crier %s\n", CRIER_VERSION);
      return 0;
    }
    if (strcmp(o, "--json") == 0) {
      a.json = true;
    } else if (strcmp(o, "-q") == 0 || strcmp(o, "--quiet") == 0) {
      a.quiet = true;
    } else if (strcmp(o, "-v") == 0 || strcmp(o, "--verbose") == 0) {
      a.verbose++;
    } else if ((strcmp(o, "-c") == 0 || strcmp(o, "--config") == 0 ||
                strcmp(o, "--now") == 0) && i + 1 < argc) {
      if (o[1] == 'c' || o[2] == 'c')
        a.config_arg = argv[++i];
      else
        a.now_arg = argv[++i];
    } else if (strncmp(o, "--config=", 9) == 0) {
      a.config_arg = o + 9;
    } else if (strncmp(o, "--now=", 6) == 0) {
      a.now_arg = o + 6;
    } else if (strncmp(o, "-c", 2) == 0 && o[2]) {
      a.config_arg = o + 2;
    } else {
      fprintf(stderr, "crier: unknown option '%s'\n\n%s", o, usage);
      return EX_USAGE;
    }
  }
  if (i >= argc) {
    fputs(usage, stderr);
    return EX_USAGE;
  }
  const char *cmd = argv[i];
  if (strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  for (size_t k = 0; k < sizeof(commands) / sizeof(*commands); k++) {
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
  fprintf(stderr, "crier: unknown command '%s'\n\n%s", cmd, usage);
  return EX_USAGE;
}
