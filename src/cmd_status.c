/* crier status: what the journal holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "xalloc.h"

static const struct cmd_help help = {
    "status", "[EVENT] [options]",
    "Shows what the journal records: each delivery's event, notice,\n"
    "channel, language, status (sent, failed, uncertain, skipped, sending),\n"
    "attempts, time, and where it went (issue URL, Matrix event, Meetup\n"
    "event, Message-ID) or, for failed and uncertain ones, the last error.\n",
    NULL};

struct ctx {
  bool json;
  json_t *out;
  size_t n;
};

static void row(void *ud, const struct jrow *r)
{
  struct ctx *c = ud;
  c->n++;
  if (c->json) {
    json_array_append_new(
        c->out,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:s?, s:s?, "
                  "s:s?}",
                  "key", r->key, "event", r->event, "notice", r->notice,
                  "channel", r->channel, "lang", r->lang, "status",
                  dstatus_name(r->status), "attempts", r->attempts, "remote_id",
                  r->remote_id, "url", r->url, "error", r->error, "updated",
                  r->updated));
    return;
  }
  /* a delivery that did not (surely) arrive shows why, not where */
  bool why = (r->status == DS_FAILED || r->status == DS_UNCERTAIN) &&
             r->error && *r->error;
  printf("%-20s %-32s %-12s %-14s %-5s %-9s %s\n", r->updated ? r->updated : "",
         r->event, r->notice, r->channel, r->lang, dstatus_name(r->status),
         why                             ? r->error
         : r->url && *r->url             ? r->url
         : r->remote_id && *r->remote_id ? r->remote_id
         : r->error                      ? r->error
                                         : "");
}

int cmd_status(struct app *a, int argc, char **argv)
{
  const char **pos;
  int npos, rc;
  if (!cli_args(a, argc, argv, NULL, &help, 0, 1, &pos, &npos, &rc))
    return rc;
  const char *what = npos ? pos[0] : NULL;
  free(pos);
  rc = cli_load_config(a);
  if (rc)
    return rc;
  if (access(a->cfg.journal, F_OK) != 0) {
    if (a->json)
      cli_json_out(json_array());
    else
      cli_info(a, "nothing sent yet: no journal at %s", a->cfg.journal);
    return 0;
  }
  struct err e;
  struct journal *j = journal_open(a->cfg.journal, 2000, &e);
  if (!j) {
    cli_error("%s", e.msg);
    return e.code;
  }
  char *id = NULL;
  if (what) {
    /* an event id, or something site_find resolves */
    if (cli_load_site(a, false) == 0) {
      struct diags d;
      diags_init(&d);
      const struct event *ev = site_find(&a->site, what, &d, &e);
      diags_release(&d);
      id = xstrdup(ev ? ev->id : what);
    } else {
      id = xstrdup(what);
    }
  }
  struct ctx c = {.json = a->json, .out = json_array()};
  if (!a->json)
    printf("%-20s %-32s %-12s %-14s %-5s %-9s %s\n", "updated", "event",
           "notice", "channel", "lang", "status", "where / error");
  rc = journal_each(j, id, row, &c, &e) < 0 ? e.code : 0;
  if (rc)
    cli_error("%s", e.msg);
  if (a->json)
    cli_json_out(c.out);
  else
    json_decref(c.out);
  if (!a->json && !a->quiet)
    fprintf(stderr, "crier: %zu deliver%s\n", c.n, c.n == 1 ? "y" : "ies");
  free(id);
  journal_close(j);
  return rc;
}
