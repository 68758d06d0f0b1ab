/* crier preview: print the message a notice would send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "md.h"
#include "plan.h"
#include "render.h"
#include "when.h"

static const struct cmd_help help = {
    "preview", "EVENT [options]",
    "Renders a notice of EVENT (an id such as 2024-09-11-more-than-a-filter,\n"
    "a unique part of one, or a path) and prints the subject, a blank line\n"
    "and the Markdown body (--html: the HTML body; --json: all three, and\n"
    "the plain text a mail carries as \"text\"). The text is as it will\n"
    "go out: an announcement or a reminder as of the moment it is due (or\n"
    "now, if that has passed and the event is still ahead), an update, a\n"
    "cancellation or a reinstatement as of now (--now, else the clock).\n",
    NULL};

static bool valid_notice(const struct config *cfg, const char *n)
{
  if (strcmp(n, "announce") == 0 || strcmp(n, "update") == 0 ||
      strcmp(n, "cancel") == 0 || strcmp(n, "reinstate") == 0)
    return true;
  long secs;
  struct err e;
  if (strncmp(n, "reminder-", 9) != 0 ||
      when_parse_duration(n + 9, &secs, &e) < 0)
    return false;
  for (size_t i = 0; i < cfg->nreminders; i++)
    if (cfg->reminders[i] == secs)
      return true;
  return false;
}

int cmd_preview(struct app *a, int argc, char **argv)
{
  const char *notice = "announce", *lang = NULL, *channel = NULL,
             *old_path = NULL;
  bool html = false;
  const struct opt opts[] = {
      OPT_STRING('n', "--notice", &notice, "KIND",
                 "announce (default), reminder-7d (any configured\n"
                 "offset), update, cancel, or reinstate (it takes\n"
                 "place after all)"),
      OPT_STRING('l', "--lang", &lang, "L",
                 "a language: de, en, or another with a data file\n"
                 "(default: the channel's languages, else German\n"
                 "then English)"),
      OPT_STRING(0, "--channel", &channel, "NAME",
                 "use that channel's templates and languages"),
      OPT_BOOL(0, "--html", &html, "print the HTML body"),
      OPT_STRING(0, "--old", &old_path, "FILE",
                 "for --notice update: the event file as it was\n"
                 "announced, to show what changed"),
      OPT_END()};
  const char **pos;
  int npos, rc;
  if (!cli_args(a, argc, argv, opts, &help, 1, 1, &pos, &npos, &rc))
    return rc;
  const char *what = pos[0];
  free(pos);
  int langs = 0;
  rc = cli_load_site(a, false);
  if (rc) {
    cli_print_site_diags(a);
    return rc;
  }
  if (lang && lang_find(lang) < 0) {
    cli_error("--lang must be one of the languages (%s), not '%s'", lang_list(),
              lang);
    return EX_USAGE;
  }
  if (lang)
    langs = 1 << lang_find(lang);
  if (!valid_notice(&a->cfg, notice)) {
    cli_error("unknown notice '%s' (expected announce, update, cancel, "
              "reinstate or reminder-OFFSET with an offset from "
              "schedule.reminders)",
              notice);
    return EX_USAGE;
  }
  const struct channel *ch = NULL;
  if (channel && !(ch = config_channel(&a->cfg, channel))) {
    cli_error("no channel '%s' in %s", channel, a->config_path);
    return EX_USAGE;
  }
  struct err e;
  struct diags d;
  diags_init(&d);
  const struct event *ev = site_find(&a->site, what, &d, &e);
  const struct event *old = NULL;
  if (ev && old_path) {
    old = event_load(old_path, &a->cfg, &a->site.locs, &d);
    if (!old)
      err_set(&e, EX_DATAERR, "--old '%s' does not load", old_path);
  }
  diags_print(&d);
  if (!ev || (old_path && !old)) {
    cli_error("%s", e.msg);
    diags_release(&d);
    return e.code;
  }
  diags_release(&d);
  /* as it will read when it goes out */
  time_t now = plan_send_time(&a->cfg, ev, notice, a->now);
  struct render_req q = {.ev = ev,
                         .old = old,
                         .notice = notice,
                         .ch = ch,
                         .langs = langs ? langs
                                  : ch  ? ch->langs
                                        : LANG_DE | LANG_EN,
                         .en_first = !langs && ch && ch->lang_first_en,
                         .now = now};
  struct renderer *r = renderer_new(&a->cfg);
  renderer_set_site(r, &a->site);
  struct message m;
  rc = render_message(r, &q, &m, &e);
  renderer_free(r);
  if (old)
    event_free((struct event *)old);
  if (rc < 0) {
    cli_error("%s", e.msg);
    return e.code ? e.code : EX_DATAERR;
  }
  if (a->json) {
    struct buf text = BUF_INIT;
    md_to_text(m.markdown, strlen(m.markdown), &text);
    cli_json_out(json_pack("{s:s, s:s, s:s, s:s}", "subject", m.subject,
                           "markdown", m.markdown, "html", m.html, "text",
                           text.data));
    buf_release(&text);
  } else {
    const char *body = html ? m.html : m.markdown;
    size_t n = strlen(body);
    /* a plain-text body is the exact text, without a final line end */
    printf("%s\n\n%s%s", m.subject, body, n && body[n - 1] != '\n' ? "\n" : "");
  }
  message_release(&m);
  return 0;
}
