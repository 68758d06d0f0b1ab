/* crier run: the cron entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deliver.h"
#include "render.h"
#include "schedule.h"
#include "when.h"

static const char usage[] =
    "usage: crier run [--dry-run] [--now TIME] [--json] [-v] [-c FILE]\n"
    "\n"
    "Sends every notice that is due now, once: for each upcoming event and\n"
    "channel the announcement (from schedule.announce_lead before the\n"
    "start), each reminder (from its offset before the start), an update\n"
    "when an announced event's date, time, place or title changed, and a\n"
    "cancellation when an announced event is cancelled or its file is gone.\n"
    "Never after the start. When several are due (the machine was off, the\n"
    "file came late), only the latest goes out and the others are recorded\n"
    "as skipped; no reminder within schedule.min_gap of the previous one.\n"
    "\n"
    "  --dry-run   print what would be sent; send nothing, write nothing\n"
    "\n"
    "Exit status: 0 all sent, 1 a delivery failed, 65 an event file is\n"
    "broken (the others still went out), 75 every failure was temporary,\n"
    "78 configuration error.\n";

/* Plans, then sends (or prints). Shared by run and changed. */
int run_schedule(struct app *a, bool dry, const char *const *only,
                 bool mode_changed, const char *const *gone, json_t *collect)
{
  struct err e;
  struct journal *j = NULL;
  if (!dry || access(a->cfg.journal, F_OK) == 0) {
    j = journal_open(a->cfg.journal, 5000, &e);
    if (!j) {
      cli_error("%s", e.msg);
      return e.code;
    }
  }
  struct schedule s;
  if (schedule_plan(&s, &a->cfg, &a->site, j, a->now, only, mode_changed,
                    gone, &e) < 0) {
    cli_error("%s", e.msg);
    schedule_release(&s);
    journal_close(j);
    return e.code;
  }
  struct renderer *r = renderer_new(&a->cfg);
  json_t *results = json_array();
  struct deliver_summary sum = {0};
  int rc = 0;
  if (dry) {
    for (size_t i = 0; i < s.n; i++) {
      const struct deliver_item *it = &s.items[i];
      const struct channel *ch = it->ch;
      struct deliver_result res = {it->ev->id, it->notice, ch->name,
                                   channel_lang_name(ch), NULL, NULL, NULL};
      if (it->skip_reason) {
        sum.skipped++;
        res.result = "skipped";
        res.error = it->skip_reason;
        deliver_report(&res, a->quiet, results);
        continue;
      }
      struct render_req q = {.ev = it->ev, .old = it->old,
                             .notice = it->notice, .ch = ch,
                             .langs = ch->langs,
                             .en_first = ch->lang_first_en, .now = a->now};
      struct message m;
      if (render_message(r, &q, &m, &e) < 0) {
        sum.failed++;
        res.result = "failed";
        res.error = e.msg;
        deliver_report(&res, a->quiet, results);
        continue;
      }
      sum.sent++;
      if (!a->json) {
        printf("=== %s · %s · %s (%s, %s)\n", it->ev->id, it->notice,
               ch->name, chan_type_name(ch->type), res.lang);
        printf("Subject: %s\n\n%s\n", m.subject, m.markdown);
      }
      res.result = "dry-run";
      json_object_set_new(deliver_report(&res, a->quiet, results), "message",
                          json_pack("{s:s, s:s, s:s}", "subject", m.subject,
                                    "markdown", m.markdown, "html", m.html));
      message_release(&m);
    }
    rc = sum.failed ? EX_DATAERR : 0;
  } else {
    struct deliver_opts o = {.quiet = a->quiet, .verbose = a->verbose,
                             .now = a->now, .journal = j};
    rc = deliver_run(&a->cfg, r, s.items, s.n, &o, results, &sum);
  }
  renderer_free(r);
  cli_step_summary(a, results);
  if (collect)
    json_array_extend(collect, results);
  if (a->json && !collect)
    cli_json_out(results);
  else
    json_decref(results);
  if (!a->quiet) {
    struct buf now = BUF_INIT;
    when_rfc3339(a->now, &now);
    if (dry)
      fprintf(stderr, "crier: dry run at %s: %d notice%s due, %d skipped, "
              "%d failed to render; nothing was sent\n", now.data, sum.sent,
              sum.sent == 1 ? "" : "s", sum.skipped, sum.failed);
    else
      fprintf(stderr, "crier: %s: %d sent, %d skipped, %d failed, %d "
              "uncertain\n", now.data, sum.sent, sum.skipped, sum.failed,
              sum.uncertain);
    buf_release(&now);
  }
  schedule_release(&s);
  journal_close(j);
  /* a broken event file is reported and the others still go out */
  if (rc == 0 && a->diags.errors)
    rc = EX_DATAERR;
  return rc;
}

int cmd_run(struct app *a, int argc, char **argv)
{
  bool dry = false;
  const struct opt opts[] = {{"--dry-run", 'n', false, NULL, &dry, NULL},
                             {NULL, 0, false, NULL, NULL, NULL}};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, usage, true, &rc))
    return rc;
  return run_schedule(a, dry, NULL, false, NULL, NULL);
}
