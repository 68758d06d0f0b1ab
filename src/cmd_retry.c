/* crier retry: send again what the journal left 'uncertain'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "schedule.h"
#include "xalloc.h"

static const struct cmd_help help = {
    "retry", "EVENT [options]",
    "A delivery is 'uncertain' when it may have arrived but crier cannot\n"
    "tell (mail that was cut off after DATA; a run stopped while a mail was\n"
    "going out; an announceEvent on Meetup without an answer). crier never\n"
    "sends those again on its own. Once you have checked that it did not\n"
    "arrive, `crier retry EVENT` sends the event's uncertain deliveries\n"
    "again (on every channel, or those named), together with whatever else\n"
    "is due for it now. `crier status EVENT` lists them.\n",
    "Exit status as for crier run; 66 no such event.\n"};

struct uncertain {
  const char *const *channels;
  char **keys;
  size_t n, cap;
};

static void on_row(void *ud, const struct jrow *r)
{
  struct uncertain *u = ud;
  if (r->status != DS_UNCERTAIN)
    return;
  bool named = !u->channels;
  for (size_t i = 0; u->channels && u->channels[i]; i++)
    named |= strcmp(u->channels[i], r->channel) == 0;
  if (!named)
    return;
  u->keys = xgrow(u->keys, &u->cap, u->n + 1, sizeof(*u->keys));
  u->keys[u->n++] = xstrdup(r->key);
}

int cmd_retry(struct app *a, int argc, char **argv)
{
  bool dry = false;
  const char **channels = NULL;
  const struct opt opts[] = {
      OPT_LIST(0, "--channel", &channels, "NAME",
               "only this channel (repeatable)"),
      OPT_BOOL('n', "--dry-run", &dry,
               "show what would be sent; change nothing"),
      OPT_END()};
  int rc;
  const struct event *ev = cli_start_event(a, argc, argv, opts, &help, &rc);
  if (!ev) {
    free(channels);
    return rc;
  }
  for (size_t i = 0; channels && channels[i]; i++)
    if (!config_channel(&a->cfg, channels[i])) {
      cli_error("no channel '%s' in %s", channels[i], a->config_path);
      free(channels);
      return EX_USAGE;
    }
  struct err e;
  struct diags d;
  char *id = xstrdup(ev->id);
  struct journal *j = journal_open(a->cfg.journal, 5000, &e);
  struct jview v;
  struct schedule_opts so = {.dry = true};
  diags_init(&d);
  if (!j || jview_load_ids(&v, j, &e) < 0 ||
      schedule_identify(&a->site, &a->cfg, &v, j, a->now, &so, &d, &e) < 0) {
    cli_error("%s", e.msg);
    if (j)
      jview_release(&v);
    journal_close(j);
    diags_release(&d);
    free(channels);
    free(id);
    return e.code;
  }
  diags_release(&d);
  jview_release(&v);
  struct uncertain u = {.channels = (const char *const *)channels};
  rc = journal_each(j, event_uid(ev), on_row, &u, &e);
  if (rc == 0 && !dry) {
    journal_set_clock(j, a->now);
    rc = journal_begin(j, &e);
    for (size_t i = 0; rc == 0 && i < u.n; i++)
      rc = journal_finish(j, u.keys[i], DS_FAILED, NULL, NULL,
                          "sent again by crier retry", 0, &e);
    if (rc == 0)
      rc = journal_commit(j, &e);
    else
      journal_rollback(j);
  }
  journal_close(j);
  if (rc < 0) {
    cli_error("%s", e.msg);
    rc = e.code;
  } else {
    cli_info(a, "%zu uncertain deliver%s of %s %s", u.n, u.n == 1 ? "y" : "ies",
             id, dry ? "would be sent again" : "are sent again");
    const char *only[] = {id, NULL};
    struct schedule_opts ro = {.only = only, .mode_changed = true};
    rc = run_schedule(a, dry, &ro, NULL);
  }
  for (size_t i = 0; i < u.n; i++)
    free(u.keys[i]);
  free(u.keys);
  free(channels);
  free(id);
  return rc;
}
