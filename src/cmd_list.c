/* crier list: upcoming events and when their notices are due. */
#include <stdio.h>
#include "util.h"
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "xalloc.h"
#include <unistd.h>
#include "i18n.h"
#include "plan.h"
#include "schedule.h"
#include "when.h"

static const struct cmd_help help = {
    "list", "[options]",
    "Lists upcoming events (every event with --all): date, title, place,\n"
    "and for each channel what was sent, the next notice and when it is\n"
    "due — as crier run will do it.\n",
    NULL};

/* The notices the journal says were sent: "announce, reminder-7d". */
static void sent_names(const struct hist *h, struct buf *out)
{
  for (size_t i = 0; i < h->n; i++)
    if (h->v[i].status == DS_SENT)
      buf_addf(out, "%s%s", out->len ? ", " : "", h->v[i].notice);
}

/* What the planner does for ev on ch: the notice it sends now, else the
 * next one and when (0: nothing more). */
static time_t next_notice(const struct app *a, const struct event *ev,
                          const struct plan_times *t, const struct channel *ch,
                          const struct hist *h, char name[32])
{
  struct planned out[PLAN_MAX_NOTICES + 4];
  size_t n =
      plan_channel_at(&a->cfg, ev, t, ch, a->now, h, out, ARRAY_SIZE(out));
  for (size_t k = 0; k < n; k++) {
    if (out[k].act != PLAN_SEND)
      continue;
    snprintf(name, 32, "%s", out[k].notice);
    /* due since: the notice's own moment (updates: now) */
    struct notice_time v[PLAN_MAX_NOTICES];
    size_t nv = plan_notices_at(t, ch, v, PLAN_MAX_NOTICES);
    for (size_t i = 0; i < nv; i++)
      if (strcmp(v[i].name, name) == 0)
        return v[i].from;
    return a->now;
  }
  return plan_next_at(&a->cfg, ev, t, ch, a->now, h, name);
}

static void when_text(time_t t, const char *zone, struct buf *b)
{
  struct tm tm;
  when_local_in(zone, t, &tm);
  buf_addf(b, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_zone);
}

int cmd_list(struct app *a, int argc, char **argv)
{
  bool all = false;
  const struct opt opts[] = {OPT_BOOL('a', "--all", &all, "past events too"),
                             OPT_END()};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, &help, true, &rc))
    return rc;
  struct err e;
  struct journal *j = NULL;
  if (access(a->cfg.journal, F_OK) == 0 &&
      !(j = journal_open(a->cfg.journal, 2000, &e)))
    cli_warn(a, "%s (showing the plan without it)", e.msg);
  struct jview v;
  struct diags d;
  diags_init(&d);
  struct schedule_opts so = {.dry = true};
  if (jview_load(&v, j, &e) < 0 ||
      schedule_identify(&a->site, &a->cfg, &v, j, a->now, &so, &d, &e) < 0)
    cli_warn(a, "%s (showing the plan without the journal)", e.msg);
  diags_release(&d);
  json_t *out = a->json ? json_array() : NULL;
  struct buf line = BUF_INIT, sent = BUF_INIT, when = BUF_INIT, rel = BUF_INIT;
  time_t shown_due = 0; /* when and rel are for it */
  size_t shown = 0;
  for (size_t i = 0; i < a->site.n; i++) {
    const struct event *ev = a->site.events[i];
    if (!all && ev->start <= a->now)
      continue;
    shown++;
    const char *place =
        ev->loc ? (ev->loc->short_name ? ev->loc->short_name : ev->loc->name)
                : ev->location_key;
    json_t *notices = a->json ? json_array() : NULL;
    struct plan_times t;
    plan_times(&a->cfg, ev, &t);
    if (!a->json) {
      buf_reset(&line);
      when_text(ev->start, ev->tz, &line);
      buf_addf(&line, "  %s", ev->title);
      if (place)
        buf_addf(&line, "  @ %s", place);
      if (ev->cancelled)
        buf_adds(&line, "  [cancelled]");
      if (ev->unpublished)
        buf_adds(&line, "  [unpublished: never announced]");
      printf("%s\n    %s\n", line.data, ev->id);
    }
    for (size_t c = 0; c < a->cfg.nchannels; c++) {
      const struct channel *ch = &a->cfg.channels[c];
      struct hist h;
      jview_hist(&v, ev, ch, &h);
      buf_reset(&sent);
      sent_names(&h, &sent);
      char name[32];
      time_t due = next_notice(a, ev, &t, ch, &h, name);
      const char *lang = channel_lang_name(ch);
      if (a->json) {
        if (!due)
          continue;
        struct buf at = BUF_INIT;
        when_rfc3339(due, &at);
        json_array_append_new(notices,
                              json_pack("{s:s, s:s, s:s, s:s, s:s}", "channel",
                                        ch->name, "notice", name, "lang", lang,
                                        "due", at.data, "sent", sent.data));
        buf_release(&at);
        continue;
      }
      if (sent.len)
        printf("    %-16s %-5s sent: %s\n", ch->name, lang, sent.data);
      if (!due) {
        printf("    %-16s nothing more to send\n", ch->name);
        continue;
      }
      if (due != shown_due) { /* the channels of an event share most */
        buf_reset(&when);
        buf_reset(&rel);
        when_text(due, NULL, &when);
        if (due <= a->now)
          buf_adds(&rel, "due now");
        else {
          buf_adds(&rel, "due ");
          i18n_relative(LANG_ID_EN, a->now, due, &rel);
        }
        shown_due = due;
      }
      printf("    %-16s %-5s %-13s %s (%s)\n", ch->name, lang, name, when.data,
             rel.data);
    }
    if (a->json) {
      struct buf start = BUF_INIT;
      when_rfc3339(ev->start, &start);
      json_array_append_new(
          out,
          json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b, s:b, s:o}", "event",
                    ev->id, "title", ev->title, "start", start.data, "location",
                    ev->location_key, "place", ev->loc ? ev->loc->name : NULL,
                    "online", ev->online_url, "cancelled", ev->cancelled,
                    "unpublished", ev->unpublished, "notices", notices));
      buf_release(&start);
    }
  }
  buf_release(&sent);
  buf_release(&when);
  buf_release(&rel);
  jview_release(&v);
  buf_release(&line);
  journal_close(j);
  if (a->json)
    cli_json_out(out);
  if (!a->json && !a->quiet) {
    if (!a->cfg.nchannels)
      fprintf(stderr, "crier: no channels configured in %s\n", a->config_path);
    fprintf(stderr, "crier: %zu %sevent%s of %zu\n", shown,
            all ? "" : "upcoming ", shown == 1 ? "" : "s", a->site.n);
  }
  return a->diags.errors ? EX_DATAERR : 0;
}
