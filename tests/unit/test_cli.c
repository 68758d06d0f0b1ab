/* The option parser: tables of flags, values, lists and counts; global
 * options before and after the command; '--'; errors for unknown options
 * and missing values; --help printed from the same table. */
#include "harness.h"

#include <stdlib.h>

#include "cli.h"

static const struct cmd_help help = {"demo", "ARG [options]",
                                     "Does demo things.\n", "Exit 0.\n"};

static int parse(struct app *a, const struct opt *opts, int argc, char **argv,
                 const char ***pos, int *npos)
{
  FILE *saved = stdout;
  stdout = fopen("/dev/null", "w"); /* --help output */
  int r = cli_parse(a, argc, argv, opts, &help, pos, npos);
  fclose(stdout);
  stdout = saved;
  return r;
}

static void values_flags_lists_counts(void)
{
  struct app a = {0};
  bool dry = false;
  const char *notice = NULL, **channels = NULL;
  const struct opt opts[] = {OPT_BOOL('n', "--dry-run", &dry, "d"),
                             OPT_STRING(0, "--notice", &notice, "KIND", "k"),
                             OPT_LIST(0, "--channel", &channels, "NAME", "c"),
                             OPT_END()};
  char *argv[] = {"demo",
                  "x",
                  "--notice=update",
                  "--channel",
                  "a",
                  "-n",
                  "--channel=b",
                  "-vv",
                  "--trace",
                  "-c",
                  "f.yaml",
                  "--",
                  "--not-an-option",
                  NULL};
  const char **pos;
  int npos;
  OK(parse(&a, opts, 13, argv, &pos, &npos) == 0, "parsed");
  OK(dry, "a flag");
  STR_EQ(notice, "update");
  OK(channels && channels[0] && channels[1] && !channels[2], "a list of 2");
  STR_EQ(channels[0], "a");
  STR_EQ(channels[1], "b");
  INT_EQ(a.verbose, 2);
  STR_EQ(a.config_arg, "f.yaml");
  INT_EQ(npos, 2);
  STR_EQ(pos[0], "x");
  STR_EQ(pos[1], "--not-an-option");
  free(pos);
  free(channels);
}

static void errors(void)
{
  struct app a = {0};
  const char *v = NULL, **pos;
  int npos;
  const struct opt opts[] = {OPT_STRING(0, "--value", &v, "V", "v"), OPT_END()};
  char *unknown[] = {"demo", "--bogus", NULL};
  OK(parse(&a, opts, 2, unknown, &pos, &npos) == -1 && !pos, "unknown option");
  char *missing[] = {"demo", "--value", NULL};
  OK(parse(&a, opts, 2, missing, &pos, &npos) == -1, "missing value");
  char *extra[] = {"demo", "--json=yes", NULL};
  OK(parse(&a, opts, 2, extra, &pos, &npos) == -1, "a flag with a value");
  char *h[] = {"demo", "-h", NULL};
  OK(parse(&a, opts, 2, h, &pos, &npos) == 1, "--help is handled");
}

static void globals_before_the_command(void)
{
  struct app a = {0};
  char *argv[] = {"crier",     "-q", "--now=2030-01-01T00:00:00Z", "-v", "run",
                  "--dry-run", NULL};
  INT_EQ(cli_parse_globals(&a, 6, argv), 4);
  OK(a.quiet && a.verbose == 1, "-q and -v");
  STR_EQ(a.now_arg, "2030-01-01T00:00:00Z");
  char *bad[] = {"crier", "--frob", "run", NULL};
  INT_EQ(cli_parse_globals(&a, 3, bad), -1);
  char *hlp[] = {"crier", "--help", NULL};
  INT_EQ(cli_parse_globals(&a, 2, hlp), -3);
}

static void usage_from_the_table(void)
{
  bool dry = false;
  const char *n = NULL;
  const struct opt opts[] = {
      OPT_BOOL('n', "--dry-run", &dry, "print; send nothing"),
      OPT_STRING(0, "--notice", &n, "KIND", "first line\nsecond line"),
      OPT_END()};
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cli_usage(f, &help, opts);
  fclose(f);
  OK(strstr(text, "usage: crier demo ARG [options]\n"), "%s", text);
  OK(strstr(text, "  -n, --dry-run           print; send nothing\n"), "%s",
     text);
  OK(strstr(text, "      --notice KIND       first line\n"
                  "                          second line\n"),
     "%s", text);
  OK(strstr(text, "Does demo things.") && strstr(text, "Exit 0."), "%s", text);
  free(text);
}

int main(void)
{
  CASE(values_flags_lists_counts);
  CASE(errors);
  CASE(globals_before_the_command);
  CASE(usage_from_the_table);
  return t_summary();
}
