/* The context templates see: the event, the notice, the channel, the
 * language's words (render_context in render.h). */
#include "render.h"

#include <string.h>

#include "buf.h"
#include "chan.h"
#include "site.h"
#include "util.h"
#include "when.h"

/* URLs go into Markdown link targets: encode what would end them. */
static json_t *url_value(const char *u)
{
  if (!u)
    return json_null();
  struct buf b = BUF_INIT;
  for (const char *p = u; *p; p++) {
    if (*p == ' ' || *p == '(' || *p == ')' || *p == '<' || *p == '>' ||
        *p == '"' || *p == '\\')
      buf_addf(&b, "%%%02X", (unsigned char)*p);
    else
      buf_addc(&b, *p);
  }
  json_t *v = json_string(b.data);
  buf_release(&b);
  return v;
}

static json_t *str_or_null(const char *s)
{
  return nonempty(s) ? json_string(s) : json_null();
}

static json_t *location_json(const struct event *ev)
{
  const struct location *l = ev->loc;
  if (!l)
    return json_null();
  json_t *o = json_object();
  json_object_set_new(o, "key", json_string(l->key));
  json_object_set_new(o, "short",
                      str_or_null(l->short_name ? l->short_name : l->name));
  json_object_set_new(o, "name", str_or_null(l->name));
  json_object_set_new(o, "street", str_or_null(l->street));
  json_object_set_new(o, "city", str_or_null(l->city));
  struct buf addr = BUF_INIT;
  if (l->street)
    buf_adds(&addr, l->street);
  if (l->street && l->city)
    buf_adds(&addr, ", ");
  if (l->city)
    buf_adds(&addr, l->city);
  json_object_set_new(o, "address", str_or_null(addr.data));
  buf_release(&addr);
  json_object_set_new(o, "web", url_value(l->web));
  json_object_set_new(o, "osm", url_value(l->osm));
  json_object_set_new(o, "map", url_value(l->osm ? l->osm : NULL));
  json_object_set_new(o, "directions", str_or_null(l->directions));
  json_object_set_new(o, "online", json_boolean(l->online));
  return o;
}

static json_t *talks_json(const struct event *ev)
{
  json_t *a = json_array();
  for (size_t i = 0; i < ev->ntalks; i++) {
    const struct talk *t = &ev->talks[i];
    json_t *o = json_object();
    json_object_set_new(o, "title", str_or_null(t->title));
    json_object_set_new(o, "abstract", str_or_null(t->abstract));
    json_object_set_new(o, "slides", url_value(t->slides));
    json_object_set_new(o, "video", url_value(t->video));
    json_object_set_new(o, "first", json_boolean(i == 0));
    if (t->speaker) {
      json_t *s = json_object();
      json_object_set_new(s, "name", json_string(t->speaker));
      json_object_set_new(s, "github", str_or_null(t->github));
      json_object_set_new(s, "twitter", str_or_null(t->twitter));
      struct buf u = BUF_INIT;
      if (t->github) {
        buf_addf(&u, "https://github.com/%s", t->github);
        json_object_set_new(s, "github_url", url_value(u.data));
      }
      buf_release(&u);
      json_object_set_new(o, "speaker", s);
    } else {
      json_object_set_new(o, "speaker", json_null());
    }
    json_array_append_new(a, o);
  }
  return a;
}

static void add_when(json_t *o, time_t t, const char *zone, enum lang l)
{
  struct tm tm;
  struct buf b = BUF_INIT;
  when_local_in(zone, t, &tm);
  i18n_date(l, &tm, &b);
  json_object_set_new(o, "date", json_string(b.data));
  buf_reset(&b);
  i18n_date_short(l, &tm, &b);
  json_object_set_new(o, "date_short", json_string(b.data));
  buf_reset(&b);
  i18n_time(l, &tm, &b);
  json_object_set_new(o, "time", json_string(b.data));
  json_object_set_new(o, "weekday", json_string(i18n_weekday(l, tm.tm_wday)));
  json_object_set_new(o, "day", json_integer(tm.tm_mday));
  json_object_set_new(o, "month", json_string(i18n_month(l, tm.tm_mon)));
  json_object_set_new(o, "year", json_integer(tm.tm_year + 1900));
  json_object_set_new(o, "zone", json_string(i18n_zone(l, tm.tm_zone)));
  buf_reset(&b);
  char off[8];
  when_format_offset(tm.tm_gmtoff, off);
  buf_addf(&b, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
  json_object_set_new(o, "start", json_string(b.data));
  json_object_set_new(o, "timezone", json_string(zone ? zone : when_zone()));
  buf_release(&b);
}

/* When the event ends: end (RFC 3339), end_time, end_date, has_end (the
 * file says; otherwise the end is schedule.default_duration after the
 * start, and the built-in texts do not show it), end_short (within a day
 * of the start: the time alone says it). */
static void add_end(json_t *o, const struct event *ev, time_t end, enum lang l)
{
  struct tm tm;
  struct buf b = BUF_INIT;
  when_local_in(ev->tz, end, &tm);
  when_rfc3339(end, &b);
  json_object_set_new(o, "end", json_string(b.data));
  buf_reset(&b);
  i18n_time(l, &tm, &b);
  json_object_set_new(o, "end_time", json_string(b.data));
  buf_reset(&b);
  i18n_date(l, &tm, &b);
  json_object_set_new(o, "end_date", json_string(b.data));
  json_object_set_new(o, "has_end", json_boolean(ev->end != 0));
  json_object_set_new(o, "end_short", json_boolean(end - ev->start < 86400));
  buf_release(&b);
}

static json_t *speakers_json(const struct event *ev)
{
  json_t *a = json_array();
  for (size_t i = 0; i < ev->nspeakers; i++)
    json_array_append_new(a, json_pack("{s:s, s:b, s:b}", "name",
                                       ev->speakers[i], "first", i == 0, "last",
                                       i + 1 == ev->nspeakers));
  return a;
}

static json_t *event_json(const struct config *cfg, const struct event *ev,
                          enum lang l)
{
  json_t *o = json_object();
  struct buf b = BUF_INIT;
  const char *lc = lang_code(l);
  json_object_set_new(o, "id", json_string(ev->id));
  json_object_set_new(o, "title", json_string(event_title(ev, lc)));
  site_event_url(cfg, ev, &b);
  json_object_set_new(o, "url",
                      cfg->site_url ? url_value(b.data) : json_null());
  buf_release(&b);
  add_when(o, ev->start, ev->tz, l);
  add_end(o, ev, event_end(ev, cfg->default_duration), l);
  json_object_set_new(o, "location", location_json(ev));
  json_object_set_new(o, "online_url", url_value(ev->online_url));
  json_object_set_new(o, "online", json_boolean(ev->online_url && !ev->loc));
  json_object_set_new(o, "hybrid", json_boolean(ev->online_url && ev->loc));
  json_object_set_new(o, "talks", talks_json(ev));
  json_object_set_new(o, "talks_list",
                      json_boolean(ev->talks_state == TALKS_LIST));
  json_object_set_new(o, "talks_none",
                      json_boolean(ev->talks_state == TALKS_NONE));
  json_object_set_new(o, "open_space",
                      json_boolean(ev->talks_state == TALKS_OPEN));
  json_object_set_new(
      o, "talks_wanted",
      json_boolean(ev->talks_state == TALKS_WANTED && !ev->program_in_body));
  json_object_set_new(o, "program_in_body", json_boolean(ev->program_in_body));
  json_object_set_new(o, "speakers", speakers_json(ev));
  json_object_set_new(o, "has_speakers", json_boolean(ev->nspeakers > 0));
  json_t *links = json_array();
  for (size_t i = 0; i < ev->nlinks; i++)
    json_array_append_new(links,
                          json_pack("{s:s, s:o}", "label", ev->links[i].label,
                                    "url", url_value(ev->links[i].url)));
  json_object_set_new(o, "has_links", json_boolean(ev->nlinks > 0));
  json_object_set_new(o, "links", links);
  json_object_set_new(o, "meetup_url", url_value(event_link(ev, LINK_MEETUP)));
  json_object_set_new(o, "planning_url",
                      url_value(event_link(ev, LINK_PLANNING)));
  struct buf body = BUF_INIT;
  const char *text = event_body(ev, lc);
  buf_adds(&body, text ? text : "");
  buf_rtrim(&body);
  size_t lead = 0;
  while (lead < body.len && (body.data[lead] == '\n' || body.data[lead] == ' '))
    lead++;
  json_object_set_new(o, "body", str_or_null(body.data + lead));
  json_object_set_new(o, "body_in_lang",
                      json_boolean(event_has_text(ev, lc) && body.data[lead]));
  buf_release(&body);
  json_object_set_new(o, "cancelled", json_boolean(ev->cancelled));
  return o;
}

static void add_change(json_t *a, enum lang l, const char *field,
                       const char *old, const char *new)
{
  if (strcmp(old, new) == 0)
    return;
  json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "field", field,
                                     "label", i18n_field(l, field), "old", old,
                                     "new", new));
}

static const char *place_name(const struct event *ev)
{
  if (ev->loc && ev->loc->name)
    return ev->loc->name;
  return ev->location_key ? ev->location_key : "";
}

static json_t *changes_json(const struct config *cfg,
                            const struct render_req *q, enum lang l)
{
  json_t *a = json_array();
  if (!q->old)
    return a;
  struct tm to, tn;
  struct buf bo = BUF_INIT, bn = BUF_INIT;
  when_local_in(q->old->tz, q->old->start, &to);
  when_local_in(q->ev->tz, q->ev->start, &tn);
  add_change(a, l, "title", event_title(q->old, lang_code(l)),
             event_title(q->ev, lang_code(l)));
  i18n_date(l, &to, &bo);
  i18n_date(l, &tn, &bn);
  add_change(a, l, "date", bo.data, bn.data);
  buf_reset(&bo);
  buf_reset(&bn);
  i18n_time(l, &to, &bo);
  i18n_time(l, &tn, &bn);
  add_change(a, l, "time", bo.data, bn.data);
  add_change(a, l, "location", place_name(q->old), place_name(q->ev));
  if (q->old->end || q->ev->end) { /* an end either file gave */
    buf_reset(&bo);
    buf_reset(&bn);
    when_local_in(q->old->tz, event_end(q->old, cfg->default_duration), &to);
    when_local_in(q->ev->tz, event_end(q->ev, cfg->default_duration), &tn);
    i18n_time(l, &to, &bo);
    i18n_time(l, &tn, &bn);
    add_change(a, l, "end", bo.data, bn.data);
  }
  buf_release(&bo);
  buf_release(&bn);
  return a;
}

json_t *render_context(const struct config *cfg, const struct render_req *q,
                       enum lang l)
{
  json_t *ctx = json_object();
  json_object_set_new(ctx, "lang", json_string(lang_code(l)));
  json_object_set_new(ctx, "de", json_boolean(l == LANG_ID_DE));
  json_object_set_new(ctx, "en", json_boolean(l == LANG_ID_EN));
  json_object_set_new(ctx, lang_code(l), json_true());
  json_t *texts = json_object();
  const char *tn, *tv;
  for (size_t i = 0; i18n_text(l, i, &tn, &tv); i++)
    json_object_set_new(texts, tn, json_string(tv));
  json_object_set_new(ctx, "text", texts);
  json_object_set_new(ctx, "site",
                      json_pack("{s:o, s:o}", "name",
                                str_or_null(cfg->site_name), "url",
                                url_value(cfg->site_url)));
  json_object_set_new(ctx, "event", event_json(cfg, q->ev, l));
  json_t *n = json_object();
  const char *kind = notice_kind(q->notice);
  json_object_set_new(n, "name", json_string(q->notice));
  json_object_set_new(n, "kind", json_string(kind));
  json_object_set_new(n, kind, json_true());
  if (strcmp(kind, "reminder") == 0 && q->notice[8] == '-')
    json_object_set_new(n, "offset", json_string(q->notice + 9));
  struct buf rel = BUF_INIT;
  i18n_relative(l, q->now, q->ev->start, &rel);
  json_object_set_new(n, "relative", json_string(rel.data));
  buf_release(&rel);
  json_object_set_new(ctx, "notice", n);
  json_t *changes = changes_json(cfg, q, l);
  json_object_set_new(ctx, "changed", json_boolean(json_array_size(changes)));
  json_object_set_new(ctx, "changes", changes);
  json_t *ch = json_object();
  if (q->ch) {
    json_object_set_new(ch, "name", json_string(q->ch->name));
    json_object_set_new(ch, "type", json_string(chan_type_name(q->ch->type)));
    json_object_set_new(ch, chan_type_name(q->ch->type), json_true());
    chan_template_values(q->ch, ch);
  }
  json_object_set_new(ctx, "channel", ch);
  return ctx;
}
