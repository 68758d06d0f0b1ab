#include "schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* ---- the journal, read once ---- */

/* The one copy of s the view keeps. */
static const char *intern(struct map *strs, const char *s)
{
  char *c = map_get(strs, s);
  if (!c) {
    c = xstrdup(s);
    map_put(strs, s, c);
  }
  return c;
}

static int hexval(char c)
{
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* The 32 bytes of a 64-digit hex key; false for any other text. */
static bool key_digest(const char *key, unsigned char d[32])
{
  for (size_t i = 0; i < 32; i++) {
    int hi = hexval(key[2 * i]), lo = hi < 0 ? -1 : hexval(key[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    d[i] = (unsigned char)(hi << 4 | lo);
  }
  return key[64] == '\0';
}

/* The place in k->index of digest d: its entry, or the empty one where
 * it goes. */
static size_t keys_find(const struct jkeys *k, const unsigned char d[32])
{
  uint64_t h;
  memcpy(&h, d, sizeof(h)); /* a digest: its bytes are the hash */
  size_t mask = k->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask)
    if (!k->index[i] || memcmp(k->keys[k->index[i] - 1], d, 32) == 0)
      return i;
}

static void keys_put(struct jkeys *k, const char *key, enum dstatus s)
{
  unsigned char d[32];
  if (!key_digest(key, d) || k->n >= UINT32_MAX - 1) {
    map_put(&k->odd, key, (void *)(intptr_t)(s + 1));
    return;
  }
  if ((k->n + 1) * 4 > k->cap * 3) {
    free(k->index);
    k->cap = k->cap ? k->cap * 2 : 1024;
    k->index = xcalloc(k->cap, sizeof(*k->index));
    for (size_t i = 0; i < k->n; i++)
      k->index[keys_find(k, k->keys[i])] = (uint32_t)(i + 1);
  }
  size_t i = keys_find(k, d);
  if (!k->index[i]) {
    if (k->n == k->capkeys) {
      k->capkeys = k->capkeys ? k->capkeys + k->capkeys / 2 : 1024;
      k->keys = xrealloc(k->keys, k->capkeys * sizeof(*k->keys));
    }
    memcpy(k->keys[k->n], d, 32);
    k->index[i] = (uint32_t)++k->n;
  }
  k->keys[k->index[i] - 1][32] = (unsigned char)(s + 1);
}

/* The status of key + 1, or 0 when the journal does not have it. */
static int keys_get(const struct jkeys *k, const char *key)
{
  unsigned char d[32];
  if (!key_digest(key, d))
    return (int)(intptr_t)map_get(&k->odd, key);
  if (!k->cap)
    return 0;
  size_t i = keys_find(k, d);
  return k->index[i] ? k->keys[k->index[i] - 1][32] : 0;
}

static struct juid *juid_of(struct jview *v, const char *uid)
{
  struct juid *u = map_get(&v->uids, uid);
  if (!u) {
    u = xcalloc(1, sizeof(*u));
    map_put(&v->uids, uid, u);
    map_put(&v->known, uid, (void *)1);
  }
  return u;
}

/* The pair of u for channel (interned), added when new. */
static struct jpair *pair_of(struct juid *u, const char *channel)
{
  for (size_t i = 0; i < u->n; i++)
    if (u->pairs[i].channel == channel)
      return &u->pairs[i];
  if (u->n == u->cap) { /* most events have a few channels: grow gently */
    u->cap = u->cap ? u->cap + u->cap / 2 + 1 : 2;
    u->pairs = xrealloc(u->pairs, u->cap * sizeof(*u->pairs));
  }
  struct jpair *p = &u->pairs[u->n++];
  memset(p, 0, sizeof(*p));
  p->channel = channel;
  return p;
}

static const struct jpair *pair_find(const struct jview *v, const char *uid,
                                     const char *channel)
{
  const struct juid *u = map_get(&v->uids, uid);
  for (size_t i = 0; u && i < u->n; i++)
    if (strcmp(u->pairs[i].channel, channel) == 0)
      return &u->pairs[i];
  return NULL;
}

/* The rows of one event, as they come (newest first), until it is done. */
struct load_ctx {
  struct jview *v;
  char *uid; /* the event whose rows these are */
  struct hist_entry *rows;
  const char **chans; /* each row's channel (interned) */
  size_t n, cap;
};

/* Files the rows of the current event under their pairs: one block for
 * the event, each pair's rows together, in the order they came. */
static void flush_rows(struct load_ctx *c)
{
  if (!c->uid)
    return;
  struct juid *u = juid_of(c->v, c->uid);
  free(u->rows);
  u->rows = xmalloc((c->n ? c->n : 1) * sizeof(*u->rows));
  size_t k = 0;
  for (size_t i = 0; i < c->n; i++) {
    if (!c->chans[i])
      continue; /* filed with an earlier row of its channel */
    const char *ch = c->chans[i];
    struct jpair *p = pair_of(u, ch);
    p->v = &u->rows[k];
    for (size_t r = i; r < c->n; r++) {
      if (c->chans[r] != ch)
        continue;
      struct hist_entry *h = &u->rows[k++];
      *h = c->rows[r];
      p->n++;
      if (h->status == DS_SENT && h->at > p->last_sent)
        p->last_sent = h->at;
      c->chans[r] = NULL;
    }
  }
  c->n = 0;
  free(c->uid);
  c->uid = NULL;
}

static void on_row(void *ud, const struct jbrief *r)
{
  struct load_ctx *c = ud;
  if (!c->uid || strcmp(c->uid, r->event) != 0) {
    flush_rows(c);
    c->uid = xstrdup(r->event);
  }
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 64;
    c->rows = xrealloc(c->rows, c->cap * sizeof(*c->rows));
    c->chans = xrealloc(c->chans, c->cap * sizeof(*c->chans));
  }
  struct hist_entry *h = &c->rows[c->n];
  c->chans[c->n++] = intern(&c->v->strs, r->channel);
  h->notice = intern(&c->v->strs, r->notice);
  h->status = (int)r->status;
  h->for_start = r->for_start;
  h->at = 0;
  struct err e;
  if (r->updated)
    when_parse_now(r->updated, &h->at, &e);
  keys_put(&c->v->status, r->key, r->status);
}

static void on_announced(void *ud, const struct jannounced *a)
{
  struct load_ctx *c = ud;
  struct juid *u = juid_of(c->v, a->event);
  struct jpair *p = pair_of(u, intern(&c->v->strs, a->channel));
  p->announced = true;
  p->ann = (struct jannounced){.event = (char *)intern(&c->v->strs, a->event),
                               .channel = (char *)p->channel,
                               .hash = (char *)intern(&c->v->strs, a->hash),
                               .cancelled = a->cancelled,
                               .generation = a->generation,
                               .has_remote = a->has_remote};
}

static void on_alias(void *ud, const char *id, const char *uid)
{
  struct load_ctx *c = ud;
  free(map_put(&c->v->alias, id, xstrdup(uid)));
}

/* by_uid: each event's record on the channel first by name (the one the
 * journal lists first). */
static void index_announced(void *ud, const char *uid, void *value)
{
  struct jview *v = ud;
  struct juid *u = value;
  if (u->cap > u->n) { /* loaded: no more pairs come */
    u->cap = u->n;
    u->pairs = xrealloc(u->pairs, (u->n ? u->n : 1) * sizeof(*u->pairs));
  }
  const struct jannounced *first = NULL;
  for (size_t i = 0; i < u->n; i++)
    if (u->pairs[i].announced &&
        (!first || strcmp(u->pairs[i].channel, first->channel) < 0))
      first = &u->pairs[i].ann;
  if (first)
    map_put(&v->by_uid, uid, (void *)first);
}

/* history: each delivery row's status and time, for planning; without
 * it, no row: whether an identity has any is asked when it matters. */
static int view_load(struct jview *v, struct journal *j, bool history,
                     struct err *e)
{
  memset(v, 0, sizeof(*v));
  v->j = j;
  if (!j)
    return 0;
  struct load_ctx c = {.v = v};
  int rc;
  if (history) {
    rc = journal_each_brief(j, on_row, &c, e);
    flush_rows(&c);
    free(c.rows);
    free(c.chans);
  } else {
    v->ask_rows = true;
    rc = 0;
  }
  if (rc == 0)
    rc = journal_each_announced(j, on_announced, &c, e) < 0 ||
                 journal_each_alias(j, on_alias, &c, e) < 0
             ? -1
             : 0;
  map_each(&v->uids, index_announced, v);
  return rc;
}

int jview_load(struct jview *v, struct journal *j, struct err *e)
{
  return view_load(v, j, true, e);
}

int jview_load_ids(struct jview *v, struct journal *j, struct err *e)
{
  return view_load(v, j, false, e);
}

static void free_juid(void *ud, const char *k, void *value)
{
  (void)ud;
  (void)k;
  struct juid *u = value;
  for (size_t i = 0; i < u->n; i++)
    free(u->pairs[i].remote);
  free(u->pairs);
  free(u->rows);
  free(u);
}

static void free_value(void *ud, const char *k, void *value)
{
  (void)ud;
  (void)k;
  free(value);
}

void jview_release(struct jview *v)
{
  map_each(&v->uids, free_juid, NULL);
  map_each(&v->alias, free_value, NULL);
  map_each(&v->strs, free_value, NULL);
  map_release(&v->uids);
  map_release(&v->alias);
  map_release(&v->strs);
  free(v->status.keys);
  free(v->status.index);
  map_release(&v->status.odd);
  map_release(&v->known);
  map_release(&v->asked);
  map_release(&v->by_uid);
  map_release(&v->site_uids);
  memset(v, 0, sizeof(*v));
}

const struct jannounced *jview_announced(const struct jview *v, const char *uid,
                                         const char *channel)
{
  const struct jpair *p = pair_find(v, uid, channel);
  return p && p->announced ? &p->ann : NULL;
}

char *jview_snapshot(const struct jview *v, const struct jannounced *a)
{
  return v->j ? journal_snapshot(v->j, a->event, a->channel) : NULL;
}

const char *jview_remote(struct jview *v, const char *uid, const char *channel)
{
  const struct jpair *found = pair_find(v, uid, channel);
  struct jpair *p = (struct jpair *)found; /* v is the caller's */
  if (!p || !p->announced || !p->ann.has_remote || !v->j)
    return NULL;
  if (!p->remote)
    p->remote = journal_remote(v->j, p->ann.event, p->channel);
  return p->remote;
}

struct each_ann {
  void (*fn)(void *ud, const struct jannounced *a);
  void *ud;
};

static void each_pair(void *ud, const char *k, void *value)
{
  (void)k;
  const struct each_ann *x = ud;
  const struct juid *u = value;
  for (size_t i = 0; i < u->n; i++)
    if (u->pairs[i].announced)
      x->fn(x->ud, &u->pairs[i].ann);
}

void jview_each_announced(const struct jview *v,
                          void (*fn)(void *ud, const struct jannounced *a),
                          void *ud)
{
  struct each_ann x = {fn, ud};
  map_each(&v->uids, each_pair, &x);
}

/* Whether the delivery of it in lang is finished for good. */
static bool key_final(const struct jview *v, const struct deliver_item *it,
                      const char *lang)
{
  char key[65];
  deliver_item_key(it, lang, NULL, key);
  int s = keys_get(&v->status, key);
  return s && dstatus_final((enum dstatus)(s - 1));
}

void jview_hist(const struct jview *v, const struct event *ev,
                const struct channel *ch, struct hist *h)
{
  const struct jpair *p = pair_find(v, event_uid(ev), ch->name);
  const struct jannounced *a = p && p->announced ? &p->ann : NULL;
  memset(h, 0, sizeof(*h));
  if (p) {
    h->v = p->v;
    h->n = p->n;
    h->last_sent = p->last_sent;
  }
  const char *lang = channel_lang_name(ch);
  bool sent_announce = false;
  for (size_t i = 0; i < h->n; i++)
    sent_announce |=
        strcmp(h->v[i].notice, "announce") == 0 && h->v[i].status == DS_SENT;
  /* an announcement without a snapshot (older journals): as it is now */
  h->announced_hash = a ? a->hash : sent_announce ? event_hash(ev) : NULL;
  h->cancelled = a && a->cancelled;
  /* the keys are looked up only where the planner asks (hashing costs) */
  int gen = a ? a->generation : 0;
  struct deliver_item it = {.ev = ev, .ch = ch, .generation = gen};
  if (h->announced_hash && strcmp(h->announced_hash, event_hash(ev)) != 0) {
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

/* 1 when the journal has anything of uid, 0 when not, -1 (e filled)
 * when it cannot say. A view without the rows (jview_load_ids) asks the
 * journal, once an identity. */
static int known(struct jview *v, const char *uid, struct err *e)
{
  if (map_get(&v->known, uid))
    return 1;
  if (!v->ask_rows || !v->j || map_get(&v->asked, uid))
    return 0;
  int r = journal_has_event(v->j, uid, e);
  if (r > 0)
    map_put(&v->known, uid, (void *)1);
  else if (r == 0)
    map_put(&v->asked, uid, (void *)1);
  return r;
}

/* The event as a announced it, from the journal's snapshot (or NULL). */
static struct event *snapshot_event(const struct jview *v,
                                    const struct jannounced *a)
{
  char *text = jview_snapshot(v, a);
  struct event *ev = text ? event_from_snapshot(text) : NULL;
  free(text);
  return ev;
}

/* An announced event (on some channel, not cancelled there) that the site
 * does not have: its record on the first such channel by name. */
static void on_vanished(void *ud, const char *uid, void *value)
{
  struct collect_vanished *c = ud;
  const struct juid *u = value;
  const struct jannounced *a = NULL;
  for (size_t i = 0; i < u->n; i++) {
    const struct jpair *p = &u->pairs[i];
    if (p->announced && !p->ann.cancelled &&
        (!a || strcmp(p->channel, a->channel) < 0))
      a = &p->ann;
  }
  if (!a || site_has_uid(c->site, c->v, uid))
    return;
  struct event *snap = snapshot_event(c->v, a);
  if (!snap)
    return;
  event_set_uid(snap, a->event);
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
    if (!ev || !a || site_has_uid(site, v, from))
      continue;
    int k = known(v, event_uid(ev), e);
    if (k < 0)
      return -1;
    if (k)
      continue;
    struct event *snap = snapshot_event(v, a);
    bool same = snap && (strcmp(snap->title, ev->title) == 0 ||
                         snap->start == ev->start);
    event_free(snap);
    if (same && follow(ev, from, v, j, o, d, e) < 0)
      return -1;
  }
  /* an announced event whose file vanished, and a file crier has not seen
   * with its title or its start: the same event */
  struct collect_vanished c = {.site = site, .v = v};
  map_each(&v->uids, on_vanished, &c);
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
    for (size_t k = 0; k < site->n && rc == 0; k++) {
      struct event *ev = site->events[k];
      if (ev->unpublished || (strcmp(ev->title, c.list[i].snap->title) != 0 &&
                              ev->start != c.list[i].snap->start))
        continue;
      int was = known(v, event_uid(ev), e);
      if (was < 0)
        rc = -1;
      else if (!was) {
        match = ev;
        matches++;
      }
    }
    if (rc == 0 && matches == 1) {
      rc = follow(match, c.list[i].a->event, v, j, o, d, e);
      map_put(&v->known, match->id, (void *)1);
    }
  }
  for (size_t i = 0; i < c.n; i++)
    event_free(c.list[i].snap);
  free(c.list);
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
                     const struct event *ev, const struct plan_times *t,
                     const struct channel *ch, struct jview *v, time_t now,
                     bool mode_changed)
{
  struct hist h;
  jview_hist(v, ev, ch, &h);
  const struct jannounced *a = jview_announced(v, event_uid(ev), ch->name);
  struct planned out[PLAN_MAX_NOTICES + 4];
  size_t n = plan_channel_at(cfg, ev, t, ch, now, &h, out, ARRAY_SIZE(out));
  struct deliver_item base = {
      .ev = ev, .ch = ch, .generation = a ? a->generation : 0};
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
  /* where the announcement went, read only for what is planned */
  for (size_t i = 0; i < n && a && !base.remote; i++)
    if (out[i].act != PLAN_WAIT)
      base.remote = jview_remote(v, event_uid(ev), ch->name);
  for (size_t i = 0; i < n; i++) {
    if (out[i].act == PLAN_WAIT)
      continue;
    struct deliver_item it = base;
    it.notice = own_str(s, out[i].notice);
    it.skip_reason = out[i].act == PLAN_SKIP ? out[i].reason : NULL;
    if (strcmp(it.notice, "update") == 0 && a) {
      struct event *old = snapshot_event(v, a);
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
  struct jview *v;
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

static void gone_one(struct gone_ctx *g, const struct jannounced *a)
{
  if (a->cancelled || site_has_uid(g->site, g->v, a->event))
    return;
  if (g->o->only && !g->o->gone)
    return; /* a run about named files only */
  if (g->o->gone && !gone_listed(g, a->event))
    return;
  const struct channel *ch = config_channel(g->cfg, a->channel);
  if (!ch || !channel_takes(ch, "cancel"))
    return;
  struct event *ev = snapshot_event(g->v, a);
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
  add(g->s, (struct deliver_item){
                .ev = ev,
                .ch = ch,
                .notice = "cancel",
                .generation = a->generation,
                .remote = jview_remote(g->v, a->event, a->channel)});
}

static void on_gone(void *ud, const struct jannounced *a)
{
  gone_one(ud, a);
}

/* Cancellations by event, then in the configuration's channel order. */
static int gone_cmp(const void *x, const void *y)
{
  const struct deliver_item *a = x, *b = y;
  int c = strcmp(event_uid(a->ev), event_uid(b->ev));
  return c ? c : (a->ch > b->ch) - (a->ch < b->ch);
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
                      struct site *site, struct jview *v, time_t now,
                      const struct schedule_opts *o, struct diags *d)
{
  if (!site->nfiles) {
    if (v->by_uid.n)
      diag_add(d, DIAG_WARNING, cfg->events_dir, 0,
               "the events directory "
               "has no event files: crier cancels nothing (restore the "
               "files, or cancel events one by one)");
    return;
  }
  size_t first = s->n;
  struct gone_ctx g = {s, cfg, site, v, now, o, MAP_INIT};
  jview_each_announced(v, on_gone, &g);
  if (s->n > first)
    qsort(s->items + first, s->n - first, sizeof(*s->items), gone_cmp);
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
    struct plan_times t;
    plan_times(cfg, ev, &t);
    for (size_t c = 0; c < cfg->nchannels; c++)
      plan_one(s, cfg, ev, &t, &cfg->channels[c], &v, now, o->mode_changed);
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
