#include "schedule.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "when.h"
#include "xalloc.h"

struct collect {
  struct hist_entry *v;
  size_t n, cap;
  time_t last_sent;
};

static void on_row(void *ud, const struct jrow *r)
{
  struct collect *c = ud;
  c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof(*c->v));
  struct hist_entry *h = &c->v[c->n++];
  snprintf(h->notice, sizeof(h->notice), "%.31s", r->notice);
  h->status = (int)r->status;
  struct err e;
  h->at = 0;
  if (r->updated)
    when_parse_now(r->updated, &h->at, &e);
  if (r->status == DS_SENT && h->at > c->last_sent)
    c->last_sent = h->at;
}

struct ann {
  const char *channel;
  char *hash, *snapshot;
  bool cancelled, found;
};

static void on_announced(void *ud, const struct jannounced *a)
{
  struct ann *x = ud;
  if (strcmp(a->channel, x->channel) != 0)
    return;
  x->found = true;
  x->hash = xstrdup(a->hash);
  x->snapshot = xstrdup(a->snapshot);
  x->cancelled = a->cancelled;
}

static void add(struct schedule *s, struct deliver_item it)
{
  s->items = xgrow(s->items, &s->cap, s->n + 1, sizeof(*s->items));
  s->items[s->n++] = it;
}

static struct event *own(struct schedule *s, struct event *ev)
{
  s->owned = xgrow(s->owned, &s->capowned, s->nowned + 1, sizeof(*s->owned));
  s->owned[s->nowned++] = ev;
  return ev;
}

static const char *own_str(struct schedule *s, const char *str)
{
  s->names = xgrow(s->names, &s->capnames, s->nnames + 1, sizeof(*s->names));
  return s->names[s->nnames++] = xstrdup(str);
}

static bool listed(const char *const *list, const char *id)
{
  for (size_t i = 0; list && list[i]; i++)
    if (strcmp(list[i], id) == 0)
      return true;
  return false;
}

static int plan_one(struct schedule *s, const struct config *cfg,
                    const struct event *ev, const struct channel *ch,
                    struct journal *j, time_t now, bool mode_changed,
                    struct err *e)
{
  struct collect c = {0};
  struct ann a = {.channel = ch->name};
  if (j && (journal_each_of(j, ev->id, ch->name, on_row, &c, e) < 0 ||
            journal_each_announced(j, ev->id, on_announced, &a, e) < 0)) {
    free(c.v);
    return -1;
  }
  char key[65];
  delivery_key(ev->id, "update", ch->name, channel_lang_name(ch), ev->hash, key);
  bool update_done = false;
  struct jrow r;
  if (j && journal_get(j, key, &r)) {
    update_done = r.status == DS_SENT || r.status == DS_SKIPPED ||
                  r.status == DS_UNCERTAIN;
    jrow_release(&r);
  }
  /* an announcement that went out without a snapshot (older journal) */
  bool sent_announce = false;
  for (size_t i = 0; i < c.n; i++)
    sent_announce |= strcmp(c.v[i].notice, "announce") == 0 &&
                     c.v[i].status == DS_SENT;
  struct hist h = {.v = c.v, .n = c.n,
                   .announced_hash = a.found ? a.hash
                                     : sent_announce ? ev->hash
                                                     : NULL,
                   .cancelled = a.cancelled, .update_done = update_done,
                   .last_sent = c.last_sent};
  struct planned out[PLAN_MAX_NOTICES + 4];
  size_t n = plan_channel(cfg, ev, ch, now, &h, out,
                          sizeof(out) / sizeof(*out));
  /* a merged file is announced at once, whatever the lead */
  if (mode_changed && !a.found && !sent_announce && !ev->cancelled &&
      now < ev->start && channel_takes(ch, "announce")) {
    bool has = false;
    for (size_t i = 0; i < n; i++)
      has |= strcmp(out[i].notice, "announce") == 0;
    bool done = false;
    for (size_t i = 0; i < c.n; i++)
      done |= strcmp(c.v[i].notice, "announce") == 0 &&
              (c.v[i].status == DS_SKIPPED || c.v[i].status == DS_UNCERTAIN);
    if (!has && !done)
      add(s, (struct deliver_item){.ev = ev, .ch = ch,
                                   .notice = "announce"});
  }
  for (size_t i = 0; i < n; i++) {
    struct deliver_item it = {.ev = ev, .ch = ch,
                              .notice = own_str(s, out[i].notice),
                              .skip_reason = out[i].act == PLAN_SKIP
                                                 ? out[i].reason
                                                 : NULL};
    if (strcmp(it.notice, "update") == 0 && a.snapshot) {
      struct event *old = event_from_snapshot(a.snapshot);
      if (old)
        it.old = own(s, old);
    }
    add(s, it);
  }
  free(c.v);
  free(a.hash);
  free(a.snapshot);
  return 0;
}

struct gone_ctx {
  struct schedule *s;
  const struct config *cfg;
  struct site *site;
  time_t now;
  const char *const *only;
  const char *const *gone;
};

static void on_gone(void *ud, const struct jannounced *a)
{
  struct gone_ctx *g = ud;
  if (a->cancelled)
    return;
  for (size_t i = 0; i < g->site->n; i++)
    if (strcmp(g->site->events[i]->id, a->event) == 0)
      return; /* still there */
  if (g->gone && !listed(g->gone, a->event))
    return;
  const struct channel *ch = config_channel(g->cfg, a->channel);
  if (!ch || !channel_takes(ch, "cancel"))
    return;
  struct event *ev = event_from_snapshot(a->snapshot);
  if (!ev)
    return;
  if (ev->start <= g->now) {
    event_free(ev);
    return;
  }
  ev->cancelled = true;
  own(g->s, ev);
  add(g->s, (struct deliver_item){.ev = ev, .ch = ch, .notice = "cancel"});
}

int schedule_plan(struct schedule *s, const struct config *cfg,
                  struct site *site, struct journal *j, time_t now,
                  const char *const *only, bool mode_changed,
                  const char *const *gone, struct err *e)
{
  memset(s, 0, sizeof(*s));
  for (size_t i = 0; i < site->n; i++) {
    const struct event *ev = site->events[i];
    if (ev->start <= now || (only && !listed(only, ev->id)))
      continue;
    for (size_t c = 0; c < cfg->nchannels; c++)
      if (plan_one(s, cfg, ev, &cfg->channels[c], j, now, mode_changed, e) <
          0)
        return -1;
  }
  if (j && (!only || gone)) {
    struct gone_ctx g = {s, cfg, site, now, only, gone};
    if (journal_each_announced(j, NULL, on_gone, &g, e) < 0)
      return -1;
  }
  return 0;
}

void schedule_release(struct schedule *s)
{
  for (size_t i = 0; i < s->nowned; i++)
    event_free(s->owned[i]);
  free(s->owned);
  for (size_t i = 0; i < s->nnames; i++)
    free(s->names[i]);
  free(s->names);
  free(s->items);
  memset(s, 0, sizeof(*s));
}
