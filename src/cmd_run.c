/* crier run: the cron entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci.h"
#include "cli.h"
#include "deliver.h"
#include "render.h"
#include "schedule.h"
#include "when.h"

static const struct cmd_help help = {
    "run", "[options]",
    "Sends every notice that is due now, once: for each upcoming event and\n"
    "channel the announcement (from schedule.announce_lead before the\n"
    "start), each reminder (from its offset before the start), an update\n"
    "when an announced event's date, time, place or title changed, and a\n"
    "cancellation when an announced event is cancelled or its file is gone\n"
    "(a file that exists but does not load cancels nothing; a renamed file\n"
    "is the same event). Never after the start. When several are due (the\n"
    "machine was off, the file came late), only the latest goes out and the\n"
    "others are recorded as skipped; no reminder within schedule.min_gap of\n"
    "the previous notice. A reminder that went out more than an hour\n"
    "after it was due is reported (under GitHub Actions also as an\n"
    "annotation and in the step summary).\n",
    "SIGTERM or SIGINT: nothing new starts; what is under way finishes and\n"
    "is recorded (exit 75).\n"
    "\n"
    "Exit status: 0 all sent, 1 a delivery failed, 65 an event file is\n"
    "broken (the others still went out) or vanished events were not\n"
    "cancelled, 74 the journal could not record an outcome, 75 every\n"
    "failure was temporary, 78 configuration error.\n"};

/* Plans, then sends (or prints) what is due. collect: if not NULL, the
 * result records are appended there instead of printed with --json. late:
 * warn of reminders that went out late (ci.h). Nothing due builds no
 * renderer and no results: a cron run that sends nothing loads neither
 * the renderer's libraries nor Jansson (lazy.h). */
static int plan_and_send(struct app *a, int dry, const struct schedule_opts *so,
                         json_t *collect, bool late)
{
  struct err e;
  struct journal *j;
  int jrc = cli_open_journal(a, dry, &j);
  if (jrc)
    return jrc;
  struct schedule_opts o = *so;
  o.dry = dry;
  struct schedule s;
  struct diags d;
  diags_init(&d);
  int rc = schedule_plan(&s, &a->cfg, &a->site, j, a->now, &o, &d, &e);
  diags_print(&d);
  diags_move(&a->diags, &d);
  diags_release(&d);
  if (rc < 0) {
    cli_error("%s", e.msg);
    schedule_release(&s);
    journal_close(j);
    return e.code;
  }
  struct deliver_summary sum = {0};
  json_t *results = NULL;
  if (s.n) {
    struct renderer *r = renderer_new(&a->cfg);
    renderer_set_site(r, &a->site);
    results = json_array();
    struct deliver_opts dopt = {.dry = (enum deliver_dry)dry,
                                .quiet = a->quiet,
                                .json = a->json,
                                .verbose = a->verbose,
                                .now = a->now,
                                .journal = j};
    rc = deliver_run(&a->cfg, r, s.items, s.n, &dopt, results, &sum);
    renderer_free(r);
    cli_step_summary(a, results);
  }
  if (collect && results)
    json_array_extend(collect, results);
  if (!a->quiet) {
    struct buf now = BUF_INIT;
    when_rfc3339(a->now, &now);
    if (dry)
      fprintf(stderr,
              "crier: dry run at %s: %d notice%s due, %d skipped, "
              "%d failed to render; nothing was sent\n",
              now.data, sum.dry, sum.dry == 1 ? "" : "s", sum.skipped,
              sum.failed);
    else
      fprintf(stderr,
              "crier: %s: %d sent, %d skipped, %d failed, %d "
              "uncertain\n",
              now.data, sum.sent, sum.skipped, sum.failed, sum.uncertain);
    buf_release(&now);
  }
  schedule_release(&s);
  journal_close(j);
  if (late && results)
    ci_late_reminders(a, results);
  if (a->json && !collect)
    cli_json_out(results ? results : json_array());
  else
    json_decref(results);
  /* a broken event file is reported and the others still go out */
  if (rc == 0 && a->diags.errors)
    rc = EX_DATAERR;
  return rc;
}

int run_schedule(struct app *a, bool dry, const struct schedule_opts *so,
                 json_t *collect)
{
  return plan_and_send(a, dry ? DRY_MESSAGES : DRY_NONE, so, collect, false);
}

int cmd_run(struct app *a, int argc, char **argv)
{
  bool dry = false, confirm = false, summary = false;
  const struct opt opts[] = {
      OPT_BOOL('n', "--dry-run", &dry,
               "print what would be sent; send nothing, write\nnothing"),
      OPT_BOOL(0, "--summary", &summary,
               "with --dry-run: one line per notice (its subject,\n"
               "or why it is skipped) instead of the messages"),
      OPT_BOOL(0, "--confirm-cancel", &confirm,
               "cancel announced events whose files vanished,\n"
               "also when more vanished at once than\n"
               "schedule.max_vanished allows"),
      OPT_END()};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, &help, true, &rc))
    return rc;
  if (summary && !dry) {
    cli_error("--summary goes with --dry-run");
    return EX_USAGE;
  }
  struct schedule_opts so = {.confirm_cancel = confirm};
  return plan_and_send(a,
                       !dry      ? DRY_NONE
                       : summary ? DRY_SUMMARY
                                 : DRY_MESSAGES,
                       &so, NULL, !dry);
}
