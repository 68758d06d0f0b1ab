#include "schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* ---- the journal, read once ---- */

static void pair_key(struct buf *b, const char *uid, const char *channel)
{
  buf_reset(b);
  buf_addf(b, "%s\x1f%s", uid, channel);
}

struct load_ctx {
  struct jview *v;
  struct buf k;
};

static void on_row(void *ud, const struct jrow *r)
{
  struct load_ctx *c = ud;
  pair_key(&c->k, r->event, r->channel);
  struct hist_list *l = map_get(&c->v->hist, c->k.data);
  if (!l) {
    l = xcalloc(1, sizeof(*l));
    map_put(&c->v->hist, c->k.data, l);
  }
  l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
  struct hist_entry *h = &l->v[l->n++];
  snprintf(h->notice, sizeof(h->notice), "%.31s", r->notice);
  h->status = (int)r->status;
  h->for_start = r->for_start;
  h->at = 0;
  struct err e;
  if (r->updated)
    when_parse_now(r->updated, &h->at, &e);
  if (r->status == DS_SENT && h->at > l->last_sent)
    l->last_sent = h->at;
  map_put(&c->v->status, r->key, (void *)(intptr_t)(r->status + 1));
  map_put(&c->v->known, r->event, (void *)1);
}

static void on_announced(void *ud, const struct jannounced *a)
{
  struct load_ctx *c = ud;
  struct jannounced *copy = xcalloc(1, sizeof(*copy));
  *copy = (struct jannounced){xstrdup(a->event),
                              xstrdup(a->channel),
                              xstrdup(a->hash),
                              xstrdup(a->snapshot),
                              a->cancelled,
                              a->generation,
                              a->remote ? xstrdup(a->remote) : NULL};
  pair_key(&c->k, a->event, a->channel);
  map_put(&c->v->announced, c->k.data, copy);
  map_put(&c->v->known, a->event, (void *)1);
  if (!map_get(&c->v->by_uid, a->event))
    map_put(&c->v->by_uid, a->event, copy);
}

static void on_alias(void *ud, const char *id, const char *uid)
{
  struct load_ctx *c = ud;
  free(map_put(&c->v->alias, id, xstrdup(uid)));
}

int jview_load(struct jview *v, struct journal *j, struct err *e)
{
  memset(v, 0, sizeof(*v));
  if (!j)
    return 0;
  struct load_ctx c = {v, BUF_INIT};
  int rc = journal_each(j, NULL, on_row, &c, e) < 0 ||
                   journal_each_announced(j, NULL, on_announced, &c, e) < 0 ||
                   journal_each_alias(j, on_alias, &c, e) < 0
               ? -1
               : 0;
  buf_release(&c.k);
  return rc;
}

static void free_hist(void *ud, const char *k, void *value)
{
  (void)ud;
  (void)k;
  struct hist_list *l = value;
  free(l->v);
  free(l);
}

static void free_announced(void *ud, const char *k, void *value)
{
  (void)ud;
  (void)k;
  jannounced_release(value);
  free(value);
}

static void free_value(void *ud, const char *k, void *value)
{
  (void)ud;
  (void)k;
  free(value);
}

void jview_release(struct jview *v)
{
  map_each(&v->hist, free_hist, NULL);
  map_each(&v->announced, free_announced, NULL);
  map_each(&v->alias, free_value, NULL);
  map_release(&v->hist);
  map_release(&v->announced);
  map_release(&v->alias);
  map_release(&v->status);
  map_release(&v->known);
  map_release(&v->by_uid);
  map_release(&v->site_uids);
}

const struct jannounced *jview_announced(const struct jview *v, const char *uid,
                                         const char *channel)
{
  struct buf k = BUF_INIT;
  pair_key(&k, uid, channel);
  const struct jannounced *a = map_get(&v->announced, k.data);
  buf_release(&k);
  return a;
}

/* Whether the delivery of it in lang is finished for good. */
static bool key_final(const struct jview *v, const struct deliver_item *it,
                      const char *lang)
{
  char key[65];
  deliver_item_key(it, lang, NULL, key);
  intptr_t s = (intptr_t)map_get(&v->status, key);
  return s && dstatus_final((enum dstatus)(s - 1));
}

void jview_hist(const struct jview *v, const struct event *ev,
                const struct channel *ch, struct hist *h)
{
  const char *uid = event_uid(ev);
  struct buf k = BUF_INIT;
  pair_key(&k, uid, ch->name);
  const struct hist_list *l = map_get(&v->hist, k.data);
  const struct jannounced *a = map_get(&v->announced, k.data);
  buf_release(&k);
  memset(h, 0, sizeof(*h));
  if (l) {
    h->v = l->v;
    h->n = l->n;
    h->last_sent = l->last_sent;
  }
  const char *lang = channel_lang_name(ch);
  bool sent_announce = false;
  for (size_t i = 0; i < h->n; i++)
    sent_announce |=
        strcmp(h->v[i].notice, "announce") == 0 && h->v[i].status == DS_SENT;
  /* an announcement without a snapshot (older journals): as it is now */
  h->announced_hash = a ? a->hash : sent_announce ? ev->hash : NULL;
  h->cancelled = a && a->cancelled;
  /* the keys are looked up only where the planner asks (hashing costs) */
  int gen = a ? a->generation : 0;
  struct deliver_item it = {.ev = ev, .ch = ch, .generation = gen};
  if (h->announced_hash && strcmp(h->announced_hash, ev->hash) != 0) {
    it.notice = "update";
    h->update_done = key_final(v, &it, lang);
  }
  if (ev->cancelled && h->announced_hash) {
    it.notice = "cancel";
    h->cancel_done = key_final(v, &it, lang);
  }
  if (h->cancelled) {
    it.notice = "reinstate";
    h->reinstate_done = key_final(v, &it, lang);
  }
}

/* ---- identities ---- */

struct vanished {
  const struct jannounced *a; /* one announced record of the uid */
  struct event *snap;         /* rebuilt from it */
  bool renamed;
};

struct collect_vanished {
  const struct site *site;
  const struct jview *v;
  struct map seen; /* uid → 1 */
  struct vanished *list;
  size_t n, cap;
};

/* Fills v->site_uids: the identities of the site's events, loaded or
 * broken (a set: one lookup per question instead of a walk per record). */
static void index_site(struct jview *v, const struct site *s)
{
  map_release(&v->site_uids);
  for (size_t i = 0; i < s->n; i++)
    map_put(&v->site_uids, event_uid(s->events[i]), (void *)1);
  for (size_t i = 0; i < s->nbroken; i++) {
    const char *bu = map_get(&v->alias, s->broken[i]);
    map_put(&v->site_uids, bu ? bu : s->broken[i], (void *)1);
  }
}

/* Whether the site has an event (loaded or broken) known as uid. A data
 * file that did not parse may hold events whose ids are unknown: then
 * every event counts as present (nothing is taken for removed). */
static bool site_has_uid(const struct site *s, const struct jview *v,
                         const char *uid)
{
  return s->broken_unknown || map_get(&v->site_uids, uid) != NULL;
}

static void on_vanished(void *ud, const char *k, void *value)
{
  (void)k;
  struct collect_vanished *c = ud;
  const struct jannounced *a = value;
  if (a->cancelled || map_get(&c->seen, a->event) ||
      site_has_uid(c->site, c->v, a->event))
    return;
  struct event *snap = event_from_snapshot(a->snapshot);
  if (!snap)
    return;
  event_set_uid(snap, a->event);
  map_put(&c->seen, a->event, (void *)1);
  c->list = xgrow(c->list, &c->cap, c->n + 1, sizeof(*c->list));
  c->list[c->n++] = (struct vanished){a, snap, false};
}

static int vanished_cmp(const void *x, const void *y)
{
  const struct vanished *a = x, *b = y;
  return strcmp(a->a->event, b->a->event);
}

static struct event *site_event(struct site *s, const char *id)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->events[i]->id, id) == 0)
      return s->events[i];
  return NULL;
}

static int follow(struct event *ev, const char *uid, struct jview *v,
                  struct journal *j, const struct schedule_opts *o,
                  struct diags *d, struct err *e)
{
  diag_add(d, DIAG_WARNING, ev->path, 0,
           "the same event as '%s' (renamed "
           "or moved): its notices continue under that name",
           uid);
  event_set_uid(ev, uid);
  map_put(&v->site_uids, uid, (void *)1);
  if (j && !o->dry)
    return journal_set_alias(j, ev->id, uid, e);
  return 0;
}

int schedule_identify(struct site *site, const struct config *cfg,
                      struct jview *v, struct journal *j, time_t now,
                      const struct schedule_opts *o, struct diags *d,
                      struct err *e)
{
  (void)cfg;
  for (size_t i = 0; i < site->n; i++) {
    const char *uid = map_get(&v->alias, site->events[i]->id);
    event_set_uid(site->events[i], uid);
  }
  index_site(v, site);
  /* renames git saw, when the facts agree */
  for (size_t i = 0; i < o->nrenames; i++) {
    struct event *ev = site_event(site, o->renames[i].to);
    const char *from = map_get(&v->alias, o->renames[i].from);
    from = from ? from : o->renames[i].from;
    const struct jannounced *a = map_get(&v->by_uid, from);
    if (!ev || !a || map_get(&v->known, event_uid(ev)) ||
        site_has_uid(site, v, from))
      continue;
    struct event *snap = event_from_snapshot(a->snapshot);
    bool same = snap && (strcmp(snap->title, ev->title) == 0 ||
                         snap->start == ev->start);
    event_free(snap);
    if (same && follow(ev, from, v, j, o, d, e) < 0)
      return -1;
  }
  /* an announced event whose file vanished, and a file crier has not seen
   * with its title or its start: the same event */
  struct collect_vanished c = {.site = site, .v = v};
  map_each(&v->announced, on_vanished, &c);
  if (c.n)
    qsort(c.list, c.n, sizeof(*c.list), vanished_cmp);
  int rc = 0;
  for (size_t i = 0; i < c.n && rc == 0; i++) {
    /* only an event still ahead can have moved: a new file with the title
     * of last month's meetup is a new meetup */
    if (c.list[i].snap->start <= now)
      continue;
    struct event *match = NULL;
    int matches = 0;
    for (size_t k = 0; k < site->n; k++) {
      struct event *ev = site->events[k];
      if (map_get(&v->known, event_uid(ev)) || ev->unpublished)
        continue;
      if (strcmp(ev->title, c.list[i].snap->title) == 0 ||
          ev->start == c.list[i].snap->start) {
        match = ev;
        matches++;
      }
    }
    if (matches == 1) {
      rc = follow(match, c.list[i].a->event, v, j, o, d, e);
      map_put(&v->known, match->id, (void *)1);
    }
  }
  for (size_t i = 0; i < c.n; i++)
    event_free(c.list[i].snap);
  free(c.list);
  map_release(&c.seen);
  return rc;
}

/* ---- planning ---- */

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

static void plan_one(struct schedule *s, const struct config *cfg,
                     const struct event *ev, const struct channel *ch,
                     const struct jview *v, time_t now, bool mode_changed)
{
  struct hist h;
  jview_hist(v, ev, ch, &h);
  const struct jannounced *a = jview_announced(v, event_uid(ev), ch->name);
  struct planned out[PLAN_MAX_NOTICES + 4];
  size_t n = plan_channel(cfg, ev, ch, now, &h, out, ARRAY_SIZE(out));
  struct deliver_item base = {.ev = ev,
                              .ch = ch,
                              .generation = a ? a->generation : 0,
                              .remote = a ? a->remote : NULL};
  /* a merged file is announced at once, whatever the lead */
  if (mode_changed && !h.announced_hash && !ev->cancelled && !ev->unpublished &&
      now < ev->start && channel_takes(ch, "announce")) {
    bool has = false;
    for (size_t i = 0; i < n; i++)
      has |= strcmp(out[i].notice, "announce") == 0;
    bool done = false;
    for (size_t i = 0; i < h.n; i++)
      done |= strcmp(h.v[i].notice, "announce") == 0 &&
              dstatus_final((enum dstatus)h.v[i].status);
    if (!has && !done) {
      struct deliver_item it = base;
      it.notice = "announce";
      add(s, it);
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (out[i].act == PLAN_WAIT)
      continue;
    struct deliver_item it = base;
    it.notice = own_str(s, out[i].notice);
    it.skip_reason = out[i].act == PLAN_SKIP ? out[i].reason : NULL;
    if (strcmp(it.notice, "update") == 0 && a) {
      struct event *old = event_from_snapshot(a->snapshot);
      if (old)
        it.old = own(s, old);
    }
    add(s, it);
  }
}

struct gone_ctx {
  struct schedule *s;
  const struct config *cfg;
  struct site *site;
  const struct jview *v;
  time_t now;
  const struct schedule_opts *o;
  struct map uids; /* vanished uids to cancel → their first snapshot */
};

/* Whether the file ids that belong to uid include one listed in gone. */
static bool gone_listed(const struct gone_ctx *g, const char *uid)
{
  if (listed(g->o->gone, uid))
    return true;
  for (size_t i = 0; g->o->gone && g->o->gone[i]; i++) {
    const char *u = map_get(&g->v->alias, g->o->gone[i]);
    if (u && strcmp(u, uid) == 0)
      return true;
  }
  return false;
}

static void on_gone(void *ud, const char *k, void *value)
{
  (void)k;
  struct gone_ctx *g = ud;
  const struct jannounced *a = value;
  if (a->cancelled || site_has_uid(g->site, g->v, a->event))
    return;
  if (g->o->only && !g->o->gone)
    return; /* a run about named files only */
  if (g->o->gone && !gone_listed(g, a->event))
    return;
  const struct channel *ch = config_channel(g->cfg, a->channel);
  if (!ch || !channel_takes(ch, "cancel"))
    return;
  struct event *ev = event_from_snapshot(a->snapshot);
  if (!ev)
    return;
  event_set_uid(ev, a->event);
  if (ev->start <= g->now) {
    event_free(ev);
    return;
  }
  ev->cancelled = true;
  own(g->s, ev);
  map_put(&g->uids, a->event, ev);
  add(g->s, (struct deliver_item){.ev = ev,
                                  .ch = ch,
                                  .notice = "cancel",
                                  .generation = a->generation,
                                  .remote = a->remote});
}

static int item_uid_cmp(const void *x, const void *y)
{
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void collect_uid(void *ud, const char *k, void *value)
{
  (void)value;
  struct strlist *l = ud;
  l->v[l->n++] = (char *)k;
}

/* Cancellations of vanished events: all of them, or none when more
 * vanished at once than the configuration allows without confirmation. */
static void plan_gone(struct schedule *s, const struct config *cfg,
                      struct site *site, const struct jview *v, time_t now,
                      const struct schedule_opts *o, struct diags *d)
{
  if (!site->nfiles) {
    if (v->announced.n)
      diag_add(d, DIAG_WARNING, cfg->events_dir, 0,
               "the events directory "
               "has no event files: crier cancels nothing (restore the "
               "files, or cancel events one by one)");
    return;
  }
  size_t first = s->n;
  struct gone_ctx g = {s, cfg, site, v, now, o, MAP_INIT};
  map_each(&v->announced, on_gone, &g);
  if (g.uids.n > (size_t)cfg->max_vanished && !o->confirm_cancel) {
    struct strlist ids = {xcalloc(g.uids.n, sizeof(char *)), 0};
    map_each(&g.uids, collect_uid, &ids);
    qsort(ids.v, ids.n, sizeof(*ids.v), item_uid_cmp);
    struct buf names = BUF_INIT;
    for (size_t i = 0; i < ids.n; i++)
      buf_addf(&names, "%s%s", i ? ", " : "", ids.v[i]);
    diag_add(d, DIAG_ERROR, cfg->events_dir, 0,
             "%zu announced events "
             "vanished at once (%s); crier cancels none of them "
             "(schedule.max_vanished is %ld). Restore the files if this was "
             "not meant; if it was, run again with --confirm-cancel",
             g.uids.n, names.data, cfg->max_vanished);
    buf_release(&names);
    free(ids.v);
    s->n = first; /* the items go; the rebuilt events stay owned */
  }
  map_release(&g.uids);
}

int schedule_plan(struct schedule *s, const struct config *cfg,
                  struct site *site, struct journal *j, time_t now,
                  const struct schedule_opts *o, struct diags *d, struct err *e)
{
  memset(s, 0, sizeof(*s));
  struct jview v;
  if (jview_load(&v, j, e) < 0)
    return -1;
  int rc = -1;
  struct map only = MAP_INIT; /* o->only as a set */
  for (size_t i = 0; o->only && o->only[i]; i++)
    map_put(&only, o->only[i], (void *)1);
  if (schedule_identify(site, cfg, &v, j, now, o, d, e) < 0)
    goto out;
  for (size_t i = 0; i < site->n; i++) {
    const struct event *ev = site->events[i];
    if (ev->start <= now || (o->only && !map_get(&only, ev->id)))
      continue;
    if (ev->unpublished) {
      for (size_t c = 0; c < cfg->nchannels; c++)
        if (jview_announced(&v, event_uid(ev), cfg->channels[c].name)) {
          diag_add(d, DIAG_WARNING, ev->path, 0,
                   "announced, and now "
                   "unpublished: crier sends nothing more for it and does "
                   "not cancel it (set 'cancelled: true' to cancel)");
          break;
        }
      continue;
    }
    for (size_t c = 0; c < cfg->nchannels; c++)
      plan_one(s, cfg, ev, &cfg->channels[c], &v, now, o->mode_changed);
  }
  if (j)
    plan_gone(s, cfg, site, &v, now, o, d);
  rc = 0;
out:
  /* items borrow remote texts from the view: keep them alive by copying */
  for (size_t i = 0; i < s->n; i++)
    if (s->items[i].remote)
      s->items[i].remote = own_str(s, s->items[i].remote);
  jview_release(&v);
  map_release(&only);
  return rc;
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
