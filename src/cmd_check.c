/* crier check: validate config, event files and templates. */
#include <stdio.h>
#include <string.h>

#include "chan.h"
#include "cli.h"
#include "render.h"
#include "when.h"
#include "xalloc.h"

static const struct cmd_help help = {
    "check", "[PATH...] [options]",
    "Validates the config, every event of the site (or only the event\n"
    "files and data files given) and the templates the site can send (of\n"
    "its languages and channel types; all with 'templates:' of its own),\n"
    "and lints the events: the date in the file name against 'date:', a\n"
    "month named in the title, the same Meetup or planning link in two\n"
    "files, unknown locations and keys, drafts, titles too long for Meetup.\n"
    "Problems of events that lie more than site.archive_after in the past\n"
    "are warnings. Prints 'file:line: error|warning: message' and a summary\n"
    "line.\n",
    "Exit status: 0 without errors, 65 with errors, 78 for a broken config.\n"};

/* The next event to start after now, else the last one. */
static const struct event *sample_event(const struct site *s, time_t now)
{
  const struct event *best = NULL;
  for (size_t i = 0; i < s->n; i++) {
    const struct event *ev = s->events[i];
    if (ev->start > now &&
        (!best || best->start <= now || ev->start < best->start))
      best = ev;
    else if (!best || (best->start <= now && ev->start > best->start))
      best = ev;
  }
  return best;
}

/* Every upcoming event's texts fit each channel's platform: a title longer
 * than the platform takes is an error (it is never cut), a body longer than
 * its limit a warning. */
static void channel_limits(struct app *a, struct renderer *r)
{
  char notices[CONFIG_MAX_REMINDERS + 1][48];
  size_t nnotices = 0;
  snprintf(notices[nnotices++], sizeof(notices[0]), "announce");
  for (size_t i = 0; i < a->cfg.nreminders; i++) {
    struct buf b = BUF_INIT;
    buf_adds(&b, "reminder-");
    when_format_duration(a->cfg.reminders[i], &b);
    snprintf(notices[nnotices++], sizeof(notices[0]), "%s", b.data);
    buf_release(&b);
  }
  for (size_t c = 0; c < a->cfg.nchannels; c++) {
    const struct channel *ch = &a->cfg.channels[c];
    size_t limit = chan_text_limit(ch);
    if (!ch->type->subject_max && !limit)
      continue;
    for (size_t k = 0; k < nnotices; k++) {
      /* the reminders it takes (a title is the announcement's) */
      if (!channel_takes(ch, notices[k]) || (k > 0 && !limit))
        continue;
      for (size_t i = 0; i < a->site.n; i++) {
        const struct event *ev = a->site.events[i];
        if (ev->start <= a->now)
          continue;
        struct render_req q = {.ev = ev,
                               .notice = notices[k],
                               .ch = ch,
                               .langs = ch->langs,
                               .en_first = ch->lang_first_en,
                               .now = a->now,
                               .no_html = true};
        struct message m;
        struct err e;
        if (render_message(r, &q, &m, &e) < 0) {
          const char *msg = e.msg;
          size_t pl = strlen(ev->path);
          if (strncmp(msg, ev->path, pl) == 0 && msg[pl] == ':')
            msg += pl + 2;
          diag_add(&a->diags, DIAG_ERROR, ev->path, ev->line_title,
                   "channel '%s': %s", ch->name, msg);
          continue;
        }
        size_t len = limit ? chan_text_length(ch, m.markdown) : 0;
        if (len > limit)
          diag_add(&a->diags, DIAG_WARNING, ev->path, ev->line_title,
                   "channel '%s': the %s text has %zu characters, more than "
                   "%s's %zu: shorten the event's title or the template "
                   "%s/%s.md.mustache",
                   ch->name, notices[k], len, ch->type->label, limit,
                   ch->type->name, notice_kind(notices[k]));
        message_release(&m);
      }
    }
  }
}

int cmd_check(struct app *a, int argc, char **argv)
{
  const char **pos;
  int npos, rc;
  const struct opt opts[] = {OPT_BOOL(0, "--strict", &a->strict,
                                      "problems of past events are errors too"),
                             OPT_END()};
  if (!cli_args(a, argc, argv, opts, &help, 0, 1 << 20, &pos, &npos, &rc))
    return rc;
  rc = cli_load_config(a);
  if (rc) {
    free(pos);
    return rc;
  }
  size_t nevents = 0;
  const struct event *sample = NULL;
  if (npos == 0) {
    if (cli_load_site(a, true) == 0) {
      site_lint(&a->site, &a->diags);
      nevents = a->site.nfiles;
      sample = sample_event(&a->site, a->now);
    }
  } else {
    /* only the files given, against the site's locations */
    struct site *s = &a->site;
    memset(s, 0, sizeof(*s));
    s->cfg = &a->cfg;
    a->have_site = true;
    locations_load(&s->locs, a->cfg.locations, &a->diags);
    s->events = xcalloc(1, sizeof(*s->events));
    for (int i = 0; i < npos; i++)
      site_load_file(s, pos[i], &a->diags);
    nevents = s->nfiles;
    site_lint(s, &a->diags);
    sample = sample_event(s, a->now);
  }
  struct renderer *r = renderer_new(&a->cfg);
  renderer_set_site(r, &a->site);
  render_check(r, sample, a->now, &a->diags);
  channel_limits(a, r);
  renderer_free(r);
  diags_sort(&a->diags);
  if (a->json) {
    cli_json_out(json_pack(
        "{s:I, s:I, s:I, s:o}", "events", (json_int_t)nevents, "errors",
        (json_int_t)a->diags.errors, "warnings", (json_int_t)a->diags.warnings,
        "diagnostics", diags_json(&a->diags)));
  }
  if (!a->json || !a->quiet) {
    struct diags shown;
    diags_init(&shown);
    for (size_t i = 0; i < a->diags.n; i++)
      if (!a->quiet || a->diags.v[i].sev == DIAG_ERROR) {
        struct diag *g = &a->diags.v[i];
        diag_add(&shown, g->sev, g->file, g->line, "%s", g->msg);
      }
    diags_print(&shown);
    diags_release(&shown);
  }
  if (!a->quiet)
    fprintf(stderr,
            "crier: checked %zu event file%s: %zu error%s, %zu "
            "warning%s\n",
            nevents, nevents == 1 ? "" : "s", a->diags.errors,
            a->diags.errors == 1 ? "" : "s", a->diags.warnings,
            a->diags.warnings == 1 ? "" : "s");
  free(pos);
  return a->diags.errors ? EX_DATAERR : 0;
}
