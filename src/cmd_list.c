/* crier list: upcoming events and when their notices are due. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "xalloc.h"
#include <unistd.h>
#include "i18n.h"
#include "plan.h"
#include "when.h"

static const char usage[] =
    "usage: crier list [--all] [--now TIME] [--json] [-c FILE]\n"
    "\n"
    "Lists upcoming events (every event with --all): date, title, place,\n"
    "and for each channel the next notice and when it is due.\n";

struct sent {
  struct buf names; /* "announce, reminder-7d" */
  char **finals;
  size_t n, cap;
};

static void on_row(void *ud, const struct jrow *r)
{
  struct sent *s = ud;
  if (r->status == DS_SENT) {
    if (s->names.len)
      buf_adds(&s->names, ", ");
    buf_adds(&s->names, r->notice);
  }
  if (r->status == DS_SENT || r->status == DS_SKIPPED ||
      r->status == DS_UNCERTAIN) {
    s->finals = xgrow(s->finals, &s->cap, s->n + 1, sizeof(*s->finals));
    s->finals[s->n++] = xstrdup(r->notice);
  }
}

static bool is_final(const struct sent *s, const char *notice)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->finals[i], notice) == 0)
      return true;
  return false;
}

/* The next notice of ev on ch at now that the journal does not have: the
 * one due now, else the next. */
static const struct notice_time *next_notice(const struct notice_time *v,
                                             size_t n, time_t now,
                                             time_t start,
                                             const struct sent *s)
{
  struct notice_time open[PLAN_MAX_NOTICES];
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!is_final(s, v[i].name))
      open[m++] = v[i];
  const struct notice_time *due = plan_pick(open, m, now, start);
  for (size_t i = 0; due && i < n; i++)
    if (strcmp(v[i].name, due->name) == 0)
      return &v[i];
  for (size_t i = 0; i < n; i++)
    if (!is_final(s, v[i].name) && v[i].from > now && v[i].from < start)
      return &v[i];
  return NULL;
}

static void when_text(time_t t, struct buf *b)
{
  struct tm tm;
  when_local(t, &tm);
  buf_addf(b, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_zone);
}

int cmd_list(struct app *a, int argc, char **argv)
{
  bool all = false;
  const struct opt opts[] = {{"--all", 'a', false, NULL, &all, NULL},
                             {NULL, 0, false, NULL, NULL, NULL}};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, usage, true, &rc))
    return rc;
  struct err e;
  struct journal *j = NULL;
  if (access(a->cfg.journal, F_OK) == 0 &&
      !(j = journal_open(a->cfg.journal, 2000, &e)))
    cli_warn(a, "%s (showing the plan without it)", e.msg);
  json_t *out = json_array();
  struct buf line = BUF_INIT;
  size_t shown = 0;
  for (size_t i = 0; i < a->site.n; i++) {
    const struct event *ev = a->site.events[i];
    if (!all && ev->start <= a->now)
      continue;
    shown++;
    struct buf start = BUF_INIT;
    when_rfc3339(ev->start, &start);
    const char *place = ev->loc ? (ev->loc->short_name ? ev->loc->short_name
                                                       : ev->loc->name)
                                : ev->location_key;
    json_t *notices = json_array();
    buf_reset(&line);
    when_text(ev->start, &line);
    buf_addf(&line, "  %s", ev->title);
    if (place)
      buf_addf(&line, "  @ %s", place);
    if (ev->cancelled)
      buf_adds(&line, "  [cancelled]");
    if (!a->json)
      printf("%s\n    %s\n", line.data, ev->id);
    for (size_t c = 0; c < a->cfg.nchannels; c++) {
      const struct channel *ch = &a->cfg.channels[c];
      struct notice_time v[PLAN_MAX_NOTICES];
      size_t n = plan_notices(&a->cfg, ev, ch, v, PLAN_MAX_NOTICES);
      struct sent sn = {.names = BUF_INIT};
      if (j)
        journal_each_of(j, ev->id, ch->name, on_row, &sn, &e);
      const struct notice_time *nt = next_notice(v, n, a->now, ev->start,
                                                 &sn);
      const char *lang = channel_lang_name(ch);
      if (sn.names.len && !a->json)
        printf("    %-16s %-5s sent: %s\n", ch->name, lang, sn.names.data);
      json_t *sent_json = json_string(sn.names.data);
      buf_release(&sn.names);
      for (size_t k = 0; k < sn.n; k++)
        free(sn.finals[k]);
      free(sn.finals);
      if (!nt) {
        if (!a->json)
          printf("    %-16s nothing more to send\n", ch->name);
        json_decref(sent_json);
        continue;
      }
      struct buf due = BUF_INIT, rel = BUF_INIT;
      when_rfc3339(nt->from, &due);
      json_array_append_new(notices,
                            json_pack("{s:s, s:s, s:s, s:s, s:o}", "channel",
                                      ch->name, "notice", nt->name, "lang",
                                      lang, "due", due.data, "sent",
                                      sent_json));
      if (!a->json) {
        buf_reset(&due);
        when_text(nt->from, &due);
        if (nt->from <= a->now)
          buf_adds(&rel, "due now");
        else {
          buf_adds(&rel, "due ");
          i18n_relative(LANG_ID_EN, a->now, nt->from, &rel);
        }
        printf("    %-16s %-5s %-13s %s (%s)\n", ch->name, lang, nt->name,
               due.data, rel.data);
      }
      buf_release(&due);
      buf_release(&rel);
    }
    json_array_append_new(
        out, json_pack("{s:s, s:s, s:s, s:s?, s:b, s:o}", "event", ev->id,
                       "title", ev->title, "start", start.data, "location",
                       ev->location_key, "cancelled", ev->cancelled,
                       "notices", notices));
    buf_release(&start);
  }
  buf_release(&line);
  journal_close(j);
  if (a->json)
    cli_json_out(out);
  else
    json_decref(out);
  if (!a->json && !a->quiet) {
    if (!a->cfg.nchannels)
      fprintf(stderr, "crier: no channels configured in %s\n",
              a->config_path);
    fprintf(stderr, "crier: %zu %sevent%s of %zu\n", shown,
            all ? "" : "upcoming ", shown == 1 ? "" : "s", a->site.n);
  }
  return a->diags.errors ? EX_DATAERR : 0;
}
