/* crier calendar: the iCalendar feed of the site's events (calendar.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "util.h"

static const struct cmd_help help = {
    "calendar", "[options]",
    "Writes an iCalendar feed (RFC 5545) of the upcoming and recent events:\n"
    "those that start from calendar.past (default 90d) before now on, up to\n"
    "calendar.future ahead (default: all). Cancelled events, and announced\n"
    "events whose files are gone, stay in it as STATUS:CANCELLED. Times are\n"
    "local with the zone's VTIMEZONE (calendar.times: local) or UTC. Each\n"
    "event keeps its UID; its SEQUENCE, DTSTAMP and LAST-MODIFIED come from\n"
    "the journal, so that the same events give the same bytes. --json gives\n"
    "the same entries as JSON.\n",
    "Exit status: 0 written (or unchanged), 65 an event file is broken (the\n"
    "feed is written without it), 73 FILE cannot be written, 75 another\n"
    "crier holds the journal.\n"};

/* Replaces path with data unless it holds exactly that already; *same
 * tells which. */
static int write_if_changed(const char *path, const struct buf *data,
                            bool *same, struct err *e)
{
  struct buf old = BUF_INIT;
  struct err re;
  *same = access(path, F_OK) == 0 && file_read(path, BUF_MAX, &old, &re) == 0 &&
          old.len == data->len && memcmp(old.data, data->data, data->len) == 0;
  buf_release(&old);
  return *same ? 0 : file_replace(path, data->data, data->len, 0644, e);
}

int cmd_calendar(struct app *a, int argc, char **argv)
{
  const char *output = NULL;
  const struct opt opts[] = {
      OPT_STRING('o', "--output", &output, "FILE",
                 "write to FILE (default calendar.output, else\n"
                 "standard output; '-' is standard output); FILE is\n"
                 "replaced at once, and left alone when unchanged"),
      OPT_END()};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, &help, false, &rc))
    return rc;
  if (!output)
    output = a->cfg.cal_output;
  struct err e;
  struct journal *j = journal_open(a->cfg.journal, 5000, &e);
  if (!j) {
    cli_error("%s", e.msg);
    return e.code;
  }
  journal_set_clock(j, a->now);
  struct buf out = BUF_INIT;
  rc = calendar_feed(&a->cfg, &a->site, j, a->now, a->json, &out, &e);
  journal_close(j);
  if (rc < 0) {
    cli_error("%s", e.msg);
    rc = e.code;
    goto out;
  }
  if (!output || strcmp(output, "-") == 0) {
    fwrite(out.data, 1, out.len, stdout);
  } else {
    bool same;
    if (write_if_changed(output, &out, &same, &e) < 0) {
      cli_error("%s", e.msg);
      rc = e.code;
      goto out;
    }
    cli_info(a, "calendar: %s %s", output, same ? "unchanged" : "written");
  }
  /* a broken event file is reported (it is not in the feed) */
  rc = a->diags.errors ? EX_DATAERR : 0;
out:
  buf_release(&out);
  return rc;
}
