/* crier run: the cron entry point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plan.h"
#include "render.h"
#include "when.h"

static const char usage[] =
    "usage: crier run --dry-run [--now TIME] [--json] [-c FILE]\n"
    "\n"
    "Plans every notice that is due now for every upcoming event and\n"
    "channel (the announcement from schedule.announce_lead before the\n"
    "start, each reminder from its offset before the start, never after\n"
    "the start; when several are due, the announcement wins, else the\n"
    "latest reminder) and prints each rendered message.\n"
    "\n"
    "  --dry-run   print what would be sent; send nothing\n";

int cmd_run(struct app *a, int argc, char **argv)
{
  bool dry = false;
  const struct opt opts[] = {{"--dry-run", 'n', false, NULL, &dry, NULL},
                             {NULL, 0, false, NULL, NULL, NULL}};
  const char **pos;
  int npos, rc;
  if (!cli_args(a, argc, argv, opts, usage, 0, 0, &pos, &npos, &rc))
    return rc;
  free(pos);
  if (!dry) {
    cli_error("this build of crier cannot send yet: use 'crier run "
              "--dry-run' to see what would be sent");
    return EX_UNAVAILABLE;
  }
  rc = cli_load_site(a, true);
  diags_print(&a->diags);
  if (rc)
    return rc;
  struct renderer *r = renderer_new(&a->cfg);
  json_t *results = json_array();
  size_t planned = 0, failed = 0;
  for (size_t i = 0; i < a->site.n; i++) {
    const struct event *ev = a->site.events[i];
    if (ev->start <= a->now)
      continue;
    for (size_t c = 0; c < a->cfg.nchannels; c++) {
      const struct channel *ch = &a->cfg.channels[c];
      struct notice_time v[PLAN_MAX_NOTICES];
      size_t n = plan_notices(&a->cfg, ev, ch, v, PLAN_MAX_NOTICES);
      const struct notice_time *nt = plan_pick(v, n, a->now, ev->start);
      if (!nt)
        continue;
      planned++;
      struct render_req q = {.ev = ev, .notice = nt->name, .ch = ch,
                             .langs = ch->langs,
                             .en_first = ch->lang_first_en, .now = a->now};
      struct message m;
      struct err e;
      const char *lang = channel_lang_name(ch);
      if (render_message(r, &q, &m, &e) < 0) {
        failed++;
        fprintf(stderr, "event=%s notice=%s channel=%s lang=%s "
                "result=failed error=\"%s\"\n", ev->id, nt->name, ch->name,
                lang, e.msg);
        json_array_append_new(
            results, json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s}", "event",
                               ev->id, "notice", nt->name, "channel",
                               ch->name, "lang", lang, "result", "failed",
                               "url", "error", e.msg));
        continue;
      }
      if (!a->json) {
        printf("=== %s · %s · %s (%s, %s)\n", ev->id, nt->name, ch->name,
               chan_type_name(ch->type), lang);
        printf("Subject: %s\n\n%s\n", m.subject, m.markdown);
      }
      if (!a->quiet)
        fprintf(stderr, "event=%s notice=%s channel=%s lang=%s "
                "result=dry-run\n", ev->id, nt->name, ch->name, lang);
      json_array_append_new(
          results,
          json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:{s:s, s:s, s:s}}",
                    "event", ev->id, "notice", nt->name, "channel", ch->name,
                    "lang", lang, "result", "dry-run", "url", "error",
                    "message", "subject", m.subject, "markdown", m.markdown,
                    "html", m.html));
      message_release(&m);
    }
  }
  renderer_free(r);
  if (a->json)
    cli_json_out(results);
  else
    json_decref(results);
  if (!a->quiet) {
    struct buf now = BUF_INIT;
    when_rfc3339(a->now, &now);
    fprintf(stderr, "crier: dry run at %s: %zu notice%s due, %zu failed to "
            "render; nothing was sent\n", now.data, planned,
            planned == 1 ? "" : "s", failed);
    buf_release(&now);
  }
  /* a broken event file is reported and the others still go out */
  return failed || a->diags.errors ? EX_DATAERR : 0;
}
