/* crier announce: send an event's announcement now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deliver.h"
#include "http.h"
#include "render.h"
#include "schedule.h"
#include "xalloc.h"

static const struct cmd_help help = {
    "announce", "EVENT [options]",
    "Sends the announcement of EVENT (an id, a unique part of one, or a\n"
    "path) to every channel that takes announcements, or to the channels\n"
    "named. Deliveries the journal records as sent are skipped.\n",
    "Exit status: 0 all sent or skipped, 1 a delivery failed, 65 a broken\n"
    "event file or template, 74 the journal could not record an outcome,\n"
    "75 every failure was temporary (try again later), 78 configuration\n"
    "error.\n"};

int announce_event(struct app *a, const struct event *ev,
                   const char *const *channels, bool dry, bool force,
                   int verbose, json_t *results)
{
  /* the event's identity, and where an earlier announcement went */
  struct err e;
  struct journal *j;
  int jrc = cli_open_journal(a, dry, &j);
  if (jrc)
    return jrc;
  struct jview v;
  struct diags d;
  diags_init(&d);
  struct schedule_opts so = {.dry = dry};
  if (jview_load_ids(&v, j, &e) < 0 ||
      schedule_identify(&a->site, &a->cfg, &v, j, a->now, &so, &d, &e) < 0) {
    cli_error("%s", e.msg);
    jview_release(&v);
    journal_close(j);
    diags_release(&d);
    return e.code;
  }
  diags_print(&d);
  diags_release(&d);
  struct deliver_item *items =
      xcalloc(a->cfg.nchannels ? a->cfg.nchannels : 1, sizeof(*items));
  size_t n = 0;
  for (size_t i = 0; channels && channels[i]; i++)
    if (!config_channel(&a->cfg, channels[i])) {
      cli_error("no channel '%s' in %s", channels[i], a->config_path);
      free(items);
      jview_release(&v);
      journal_close(j);
      return EX_USAGE;
    }
  for (size_t i = 0; i < a->cfg.nchannels; i++) {
    const struct channel *ch = &a->cfg.channels[i];
    bool named = !channels;
    for (size_t k = 0; channels && channels[k]; k++)
      named |= strcmp(channels[k], ch->name) == 0;
    if (!named)
      continue;
    if (!channel_takes(ch, "announce")) {
      if (channels)
        cli_warn(a,
                 "channel '%s' does not take announcements (its "
                 "'notices')",
                 ch->name);
      continue;
    }
    const struct jannounced *an = jview_announced(&v, event_uid(ev), ch->name);
    items[n++] = (struct deliver_item){
        .ev = ev,
        .ch = ch,
        .notice = "announce",
        .generation = an ? an->generation : 0,
        .remote = an ? jview_remote(&v, event_uid(ev), ch->name) : NULL};
  }
  if (!n) {
    cli_error("no channel takes the announcement of %s", ev->id);
    free(items);
    jview_release(&v);
    journal_close(j);
    return EX_CONFIG;
  }
  if (ev->start <= a->now)
    cli_warn(a, "%s has already started", ev->id);
  struct renderer *r = renderer_new(&a->cfg);
  renderer_set_site(r, &a->site);
  struct deliver_opts o = {.dry = dry ? DRY_REQUESTS : DRY_NONE,
                           .force = force,
                           .quiet = a->quiet,
                           .json = a->json,
                           .verbose = verbose,
                           .now = a->now,
                           .journal = j};
  struct deliver_summary sum;
  int rc = deliver_run(&a->cfg, r, items, n, &o, results, &sum);
  renderer_free(r);
  free(items);
  jview_release(&v);
  journal_close(j);
  if (!a->quiet)
    fprintf(stderr, "crier: %d sent, %d skipped, %d failed, %d uncertain%s\n",
            sum.sent, dry ? 0 : sum.skipped, sum.failed, sum.uncertain,
            dry ? " (dry run: nothing was sent)" : "");
  return rc;
}

int cmd_announce(struct app *a, int argc, char **argv)
{
  bool dry = false, force = false;
  const char **channels = NULL;
  const struct opt opts[] = {
      OPT_LIST(0, "--channel", &channels, "NAME",
               "only this channel (repeatable)"),
      OPT_BOOL('n', "--dry-run", &dry,
               "print every request that would be made (secrets\n"
               "redacted) and send nothing"),
      OPT_BOOL('f', "--force", &force, "send again, under a new key"),
      OPT_END()};
  int rc;
  const char **pos;
  int npos;
  if (!cli_args(a, argc, argv, opts, &help, 1, 1, &pos, &npos, &rc)) {
    free(channels);
    return rc;
  }
  /* an announcement is sent: libcurl and OpenSSL load in the transport,
   * a second process, while the configuration, the site, the journal and
   * the message do in this one (transport.h) */
  if (!dry)
    http_warm();
  const struct event *ev = cli_site_event(a, pos[0], &rc);
  free(pos);
  if (!ev) {
    free(channels);
    return rc;
  }
  json_t *results = json_array();
  rc = announce_event(a, ev, (const char *const *)channels, dry, force,
                      a->verbose, results);
  free(channels);
  cli_step_summary(a, results);
  if (a->json)
    cli_json_out(results);
  else
    json_decref(results);
  return rc;
}
