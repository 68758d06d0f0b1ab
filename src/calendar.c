#include "calendar.h"

#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "map.h"
#include "schedule.h"
#include "url.h"
#include "when.h"
#include "xalloc.h"

void calendar_settings(const struct config *cfg, enum ical_method m,
                       struct ical_cal *c)
{
  memset(c, 0, sizeof(*c));
  c->method = m;
  if (cfg->cal_times && strcmp(cfg->cal_times, "utc") != 0)
    c->zone = when_zone();
  if (m == ICAL_NO_METHOD)
    c->refresh = cfg->cal_refresh;
}

void calendar_uid_domain(const struct config *cfg, struct buf *out)
{
  struct url u;
  struct err e;
  if (cfg->site_url && url_parse(cfg->site_url, &u, &e) == 0 && u.host[0]) {
    buf_adds(out, u.host);
    return;
  }
  for (size_t i = 0; i < cfg->nchannels; i++) {
    const struct channel *ch = &cfg->channels[i];
    char *a = ch->type->sender ? ch->type->sender(ch) : NULL;
    const char *at = a ? strchr(a, '@') : NULL;
    if (at) {
      buf_adds(out, at + 1);
      free(a);
      return;
    }
    free(a);
  }
  buf_adds(out, "crier.invalid");
}

/* "Name, Street, City" */
static void place(const struct location *loc, struct buf *out)
{
  const char *parts[] = {loc->name, loc->street, loc->city};
  for (size_t i = 0; i < 3; i++)
    if (parts[i] && parts[i][0])
      buf_addf(out, "%s%s", out->len ? ", " : "", parts[i]);
}

/* A short plain-text summary: the talks (title – speaker), the place
 * (and its web page when it has no street: an online meeting), the
 * event's page. */
static void description(const struct event *ev, const char *url,
                        struct buf *out)
{
  for (size_t i = 0; ev->talks_state == TALKS_LIST && i < ev->ntalks; i++) {
    const struct talk *t = &ev->talks[i];
    buf_addf(out, "%s%s", t->title ? t->title : "", t->speaker ? " – " : "");
    if (t->speaker)
      buf_adds(out, t->speaker);
    buf_addc(out, '\n');
  }
  if (ev->loc) {
    struct buf p = BUF_INIT;
    place(ev->loc, &p);
    if (!ev->loc->street && ev->loc->web)
      buf_addf(&p, "%s%s", p.len ? ": " : "", ev->loc->web);
    if (p.len)
      buf_addf(out, "%s\n", p.data);
    buf_release(&p);
  }
  if (url)
    buf_addf(out, "%s\n", url);
  buf_rtrim(out);
}

void calendar_entry_init(struct calendar_entry *ce, const struct config *cfg,
                         const struct event *ev)
{
  memset(ce, 0, sizeof(*ce));
  buf_init(&ce->uid);
  buf_init(&ce->location);
  buf_init(&ce->description);
  buf_init(&ce->url);
  buf_addf(&ce->uid, "%s@", event_uid(ev));
  calendar_uid_domain(cfg, &ce->uid);
  if (cfg->site_url)
    site_event_url(cfg, ev, &ce->url);
  if (ev->loc)
    place(ev->loc, &ce->location);
  description(ev, ce->url.len ? ce->url.data : NULL, &ce->description);
  struct ical_event *ie = &ce->ie;
  ie->uid = ce->uid.data;
  ie->start = ev->start;
  ie->end = event_end(ev, cfg->default_duration);
  ie->summary = ev->title ? ev->title : "";
  ie->location = ce->location.len ? ce->location.data : NULL;
  ie->description = ce->description.len ? ce->description.data : NULL;
  ie->url = ce->url.len ? ce->url.data : NULL;
  if (ev->loc && ev->loc->has_geo) {
    ie->has_geo = true;
    ie->lat = ev->loc->lat;
    ie->lon = ev->loc->lon;
  }
}

void calendar_entry_release(struct calendar_entry *ce)
{
  buf_release(&ce->uid);
  buf_release(&ce->location);
  buf_release(&ce->description);
  buf_release(&ce->url);
}

int calendar_sequence(struct journal *j, const struct config *cfg,
                      const struct event *ev, bool cancelled, bool record,
                      int *seq, time_t *changed, struct err *e)
{
  *seq = 0;
  *changed = 0;
  if (!j)
    return 0;
  return journal_sequence(j, event_uid(ev), event_hash(ev),
                          event_end(ev, cfg->default_duration), cancelled,
                          record, seq, changed, e);
}

/* ---- the feed ---- */

static char loaded[] = "loaded", broken[] = "broken";

struct item {
  const struct event *ev;
  bool cancelled;
};

struct collect {
  const struct config *cfg;
  const struct site *site;
  const struct jview *v; /* the journal's snapshots */
  struct map uids;       /* uids of the site's files (loaded or broken) */
  bool none_gone;        /* no file counts as gone */
  time_t from, to;       /* the window (to 0: open) */
  struct item *items;
  size_t n, cap;
  struct event **owned; /* rebuilt from snapshots */
  size_t nowned, capowned;
};

static bool in_window(const struct collect *c, time_t start)
{
  return start >= c->from && (!c->to || start <= c->to);
}

static void add(struct collect *c, const struct event *ev, bool cancelled)
{
  c->items = xgrow(c->items, &c->cap, c->n + 1, sizeof(*c->items));
  c->items[c->n++] = (struct item){ev, cancelled};
}

/* An announced event whose file is not among the site's loaded ones. */
static void on_announced(void *ud, const char *uid, void *value)
{
  struct collect *c = ud;
  const struct jannounced *a = value;
  const char *has = map_get(&c->uids, uid);
  if (has == loaded)
    return;
  char *text = jview_snapshot(c->v, a);
  struct event *snap = text ? event_from_snapshot(text) : NULL;
  free(text);
  if (!snap)
    return;
  event_set_uid(snap, uid);
  if (!in_window(c, snap->start)) {
    event_free(snap);
    return;
  }
  c->owned = xgrow(c->owned, &c->capowned, c->nowned + 1, sizeof(*c->owned));
  c->owned[c->nowned++] = snap;
  /* a file that does not load, or no files at all: as announced */
  bool gone = !has && !c->none_gone;
  add(c, snap, a->cancelled || gone);
}

static int item_cmp(const void *x, const void *y)
{
  const struct item *a = x, *b = y;
  if (a->ev->start != b->ev->start)
    return a->ev->start < b->ev->start ? -1 : 1;
  return strcmp(event_uid(a->ev), event_uid(b->ev));
}

static const char *cal_name(const struct config *cfg, struct buf *tmp)
{
  if (cfg->cal_name)
    return cfg->cal_name;
  if (cfg->site_name)
    return cfg->site_name;
  struct url u;
  struct err e;
  if (cfg->site_url && url_parse(cfg->site_url, &u, &e) == 0) {
    buf_adds(tmp, u.host);
    return tmp->data;
  }
  return "crier";
}

static json_t *entry_json(const struct ical_event *ie)
{
  struct buf s = BUF_INIT, en = BUF_INIT, ch = BUF_INIT;
  when_rfc3339(ie->start, &s);
  when_rfc3339(ie->end, &en);
  when_rfc3339_utc(ie->modified, &ch);
  json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, "
                        "s:s}",
                        "uid", ie->uid, "sequence", ie->sequence, "status",
                        ie->cancelled ? "cancelled" : "confirmed", "title",
                        ie->summary, "start", s.data, "end", en.data,
                        "location", ie->location, "description",
                        ie->description, "url", ie->url, "modified", ch.data);
  if (ie->has_geo)
    json_object_set_new(o, "geo", json_pack("[f, f]", ie->lat, ie->lon));
  buf_release(&s);
  buf_release(&en);
  buf_release(&ch);
  return o;
}

int calendar_feed(const struct config *cfg, struct site *site,
                  struct journal *j, time_t now, bool json, struct buf *out,
                  struct err *e)
{
  struct jview v;
  struct collect c = {.cfg = cfg, .site = site, .v = &v};
  struct diags quiet;
  diags_init(&quiet);
  int rc = -1;
  if (jview_load(&v, j, e) < 0)
    goto out_view;
  /* the identities notices use (a renamed file keeps its event's);
   * nothing is written here */
  struct schedule_opts so = {.dry = true};
  if (schedule_identify(site, cfg, &v, NULL, now, &so, &quiet, e) < 0)
    goto out_view;
  c.from = now - cfg->cal_past;
  c.to = cfg->cal_future ? now + cfg->cal_future : 0;
  c.none_gone = site->nfiles == 0 || site->locations_failed;
  for (size_t i = 0; i < site->n; i++) {
    const struct event *ev = site->events[i];
    map_put(&c.uids, event_uid(ev), loaded);
    if (!ev->unpublished && in_window(&c, ev->start))
      add(&c, ev, ev->cancelled);
  }
  for (size_t i = 0; i < site->nbroken; i++) {
    const char *uid = map_get(&v.alias, site->broken[i]);
    if (!map_get(&c.uids, uid ? uid : site->broken[i]))
      map_put(&c.uids, uid ? uid : site->broken[i], broken);
  }
  map_each(&v.by_uid, on_announced, &c);
  if (c.n)
    qsort(c.items, c.n, sizeof(*c.items), item_cmp);

  struct ical_cal cal;
  calendar_settings(cfg, ICAL_NO_METHOD, &cal);
  struct buf name = BUF_INIT;
  cal.name = cal_name(cfg, &name);
  struct calendar_entry *ents = xcalloc(c.n ? c.n : 1, sizeof(*ents));
  bool tx = j && journal_begin(j, e) == 0;
  if (j && !tx)
    goto out_entries;
  for (size_t i = 0; i < c.n; i++) {
    struct calendar_entry *ce = &ents[i];
    calendar_entry_init(ce, cfg, c.items[i].ev);
    ce->ie.cancelled = c.items[i].cancelled;
    time_t changed;
    if (calendar_sequence(j, cfg, c.items[i].ev, ce->ie.cancelled, true,
                          &ce->ie.sequence, &changed, e) < 0)
      goto out_entries;
    ce->ie.stamp = ce->ie.modified = changed ? changed : now;
    if (!cal.first || ce->ie.start < cal.first)
      cal.first = ce->ie.start;
    if (ce->ie.end > cal.last)
      cal.last = ce->ie.end;
  }
  if (tx && journal_commit(j, e) < 0) {
    tx = false;
    goto out_entries;
  }
  tx = false;
  if (json) {
    json_t *a = json_array();
    for (size_t i = 0; i < c.n; i++)
      json_array_append_new(a, entry_json(&ents[i].ie));
    json_t *doc = json_pack("{s:s, s:s, s:o}", "name", cal.name, "timezone",
                            when_zone(), "events", a);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    buf_adds(out, text);
    buf_addc(out, '\n');
    free(text);
    json_decref(doc);
  } else {
    ical_begin(out, &cal);
    for (size_t i = 0; i < c.n; i++)
      ical_event(out, &cal, &ents[i].ie);
    ical_end(out);
  }
  rc = 0;
out_entries:
  if (tx)
    journal_rollback(j);
  for (size_t i = 0; i < c.n; i++)
    calendar_entry_release(&ents[i]);
  free(ents);
  buf_release(&name);
out_view:
  jview_release(&v);
  diags_release(&quiet);
  for (size_t i = 0; i < c.nowned; i++)
    event_free(c.owned[i]);
  free(c.owned);
  free(c.items);
  map_release(&c.uids);
  return rc;
}
