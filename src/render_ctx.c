/* The context templates see: the event, the notice, the channel, the
 * language's words (render_context in render.h). */
#include "render.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "render_lookup.h"
#include "site.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

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

/* The place; its directions in this part's language, else as written —
 * unless they are in another language that another part of the message
 * has (parts: the message's languages; text_lang: the language of the
 * event's texts, for directions too short to tell). */
static json_t *location_json(const struct event *ev, enum lang l, int parts,
                             int text_lang)
{
  const struct location *loc = ev->loc;
  if (!loc)
    return json_null();
  json_t *o = json_object();
  json_object_set_new_nocheck(o, "key", json_string(loc->key));
  json_object_set_new_nocheck(
      o, "short", str_or_null(loc->short_name ? loc->short_name : loc->name));
  json_object_set_new_nocheck(o, "name", str_or_null(loc->name));
  json_object_set_new_nocheck(o, "street", str_or_null(loc->street));
  json_object_set_new_nocheck(o, "city", str_or_null(loc->city));
  struct buf addr = BUF_INIT;
  if (loc->street)
    buf_adds(&addr, loc->street);
  if (loc->street && loc->city)
    buf_adds(&addr, ", ");
  if (loc->city)
    buf_adds(&addr, loc->city);
  json_object_set_new_nocheck(o, "address", str_or_null(addr.data));
  buf_release(&addr);
  json_object_set_new_nocheck(o, "web", url_value(loc->web));
  json_object_set_new_nocheck(o, "osm", url_value(loc->osm));
  json_object_set_new_nocheck(o, "map", url_value(loc->osm ? loc->osm : NULL));
  const char *dir = location_directions(loc, lang_code(l));
  int in = -1; /* the language the directions are in */
  for (size_t i = 0; i < loc->ndirections_in && in < 0; i++)
    if (loc->directions_in[i].text == dir)
      in = lang_find(loc->directions_in[i].lang);
  if (in < 0 && dir)
    in = i18n_guess(dir);
  if (in < 0) /* too short to tell: the event's language */
    in = text_lang;
  if (in >= 0 && in != (int)l && (parts & (1 << in)))
    dir = NULL; /* the part in their language shows them */
  json_object_set_new_nocheck(o, "directions", str_or_null(dir));
  json_object_set_new_nocheck(o, "online", json_boolean(loc->online));
  return o;
}

/* A language file's text (borrowed), or NULL. */
static const char *text_of(enum lang l, const char *name)
{
  const char *n, *v;
  for (size_t i = 0; i18n_text(l, i, &n, &v); i++)
    if (strcmp(n, name) == 0)
      return v;
  return NULL;
}

/* A handle as written ("@florob", "florob", a URL) without a leading '@'
 * or the URL's scheme and final '/'. */
static const char *bare(const char *h, size_t *n)
{
  if (strncmp(h, "https://", 8) == 0)
    h += 8;
  else if (strncmp(h, "http://", 7) == 0)
    h += 7;
  while (*h == '@')
    h++;
  *n = strlen(h);
  while (*n && h[*n - 1] == '/')
    (*n)--;
  return h;
}

static void add_handle(json_t *a, const char *service, const char *shown,
                       const char *url)
{
  json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:b}", "service", service,
                                     "handle", shown, "url", url_value(url),
                                     "first", json_array_size(a) == 0));
}

/* Where to find a speaker: GitHub, Twitter, Mastodon, Bluesky, a web
 * page, each {service, handle, url, first}, linked. A handle given as a
 * URL is linked as written. */
static json_t *handles_json(const struct person *p, enum lang l)
{
  json_t *a = json_array();
  struct buf shown = BUF_INIT, url = BUF_INIT;
  static const struct {
    const char *service, *base;
    size_t off;
  } simple[] = {
      {"GitHub", "https://github.com/", offsetof(struct person, github)},
      {"Twitter", "https://twitter.com/", offsetof(struct person, twitter)},
      {"Bluesky", "https://bsky.app/profile/",
       offsetof(struct person, bluesky)},
  };
  for (size_t i = 0; i < ARRAY_SIZE(simple); i++) {
    const char *h = *(char *const *)((const char *)p + simple[i].off);
    if (!nonempty(h))
      continue;
    size_t n;
    const char *b = bare(h, &n);
    const char *slash = NULL;
    for (size_t k = 0; k < n; k++)
      if (b[k] == '/')
        slash = b + k;
    buf_reset(&shown);
    buf_reset(&url);
    /* a URL: linked as it is, shown by its last part */
    if (slash)
      buf_addf(&shown, "@%.*s", (int)(n - (size_t)(slash + 1 - b)), slash + 1);
    else
      buf_addf(&shown, "@%.*s", (int)n, b);
    if (b != h && strncmp(h, "http", 4) == 0)
      buf_adds(&url, h);
    else
      buf_addf(&url, "%s%.*s", simple[i].base, (int)n, b);
    add_handle(a, simple[i].service, shown.data, url.data);
  }
  if (nonempty(p->mastodon)) {
    /* @user@host (or user@host, or https://host/@user) */
    size_t n;
    const char *b = bare(p->mastodon, &n);
    const char *at = memchr(b, '@', n);
    const char *slash = memchr(b, '/', n);
    buf_reset(&shown);
    buf_reset(&url);
    if (slash && slash + 1 < b + n && slash[1] == '@') {
      buf_addf(&shown, "%.*s@%.*s", (int)(b + n - slash - 1), slash + 1,
               (int)(slash - b), b);
      buf_adds(&url, p->mastodon);
    } else if (at && !slash) {
      buf_addf(&shown, "@%.*s", (int)n, b);
      buf_addf(&url, "https://%.*s/@%.*s", (int)(b + n - at - 1), at + 1,
               (int)(at - b), b);
    } else {
      buf_addf(&shown, "%.*s", (int)n, b);
      buf_adds(&url, strncmp(p->mastodon, "http", 4) == 0 ? p->mastodon : "");
    }
    if (url.len)
      add_handle(a, "Mastodon", shown.data, url.data);
  }
  if (nonempty(p->url)) {
    size_t n;
    const char *b = bare(p->url, &n);
    const char *label = text_of(l, "website");
    buf_reset(&shown);
    buf_addf(&shown, "%.*s", (int)n, b);
    add_handle(a, label ? label : "Web", shown.data, p->url);
  }
  buf_release(&shown);
  buf_release(&url);
  size_t k = json_array_size(a);
  for (size_t i = 0; i < k; i++)
    json_object_set_new(json_array_get(a, i), "last", json_boolean(i + 1 == k));
  return a;
}

static json_t *people_json(const struct talk *t, enum lang l)
{
  json_t *a = json_array();
  for (size_t i = 0; i < t->npeople; i++) {
    json_t *h = handles_json(&t->people[i], l);
    json_array_append_new(
        a, json_pack("{s:s, s:b, s:b, s:b, s:o}", "name", t->people[i].name,
                     "first", i == 0, "last", i + 1 == t->npeople,
                     "has_handles", json_array_size(h) > 0, "handles", h));
  }
  return a;
}

/* The talks; an abstract the body shown in this part says is left out
 * (shown: that body, or NULL), and so are the abstracts when another
 * part of the message carries them (elsewhere). */
static json_t *talks_json(const struct event *ev, enum lang l,
                          const char *shown, bool elsewhere)
{
  json_t *a = json_array();
  for (size_t i = 0; i < ev->ntalks; i++) {
    const struct talk *t = &ev->talks[i];
    json_t *o = json_object();
    bool said = elsewhere || (shown && body_says(shown, t->abstract));
    json_object_set_new_nocheck(o, "title", str_or_null(t->title));
    json_object_set_new_nocheck(o, "abstract",
                                said ? json_null() : str_or_null(t->abstract));
    json_object_set_new_nocheck(o, "slides", url_value(t->slides));
    json_object_set_new_nocheck(o, "video", url_value(t->video));
    json_object_set_new_nocheck(o, "first", json_boolean(i == 0));
    json_object_set_new_nocheck(o, "last", json_boolean(i + 1 == ev->ntalks));
    json_object_set_new_nocheck(o, "speakers", people_json(t, l));
    if (t->speaker) {
      json_t *s = json_object();
      json_object_set_new_nocheck(s, "name", json_string(t->speaker));
      json_object_set_new_nocheck(s, "github", str_or_null(t->github));
      json_object_set_new_nocheck(s, "twitter", str_or_null(t->twitter));
      struct buf u = BUF_INIT;
      if (t->github) {
        buf_addf(&u, "https://github.com/%s", t->github);
        json_object_set_new_nocheck(s, "github_url", url_value(u.data));
      }
      buf_release(&u);
      json_object_set_new_nocheck(o, "speaker", s);
    } else {
      json_object_set_new_nocheck(o, "speaker", json_null());
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
  json_object_set_new_nocheck(o, "date", json_string(b.data));
  buf_reset(&b);
  i18n_date_short(l, &tm, &b);
  json_object_set_new_nocheck(o, "date_short", json_string(b.data));
  buf_reset(&b);
  i18n_time(l, &tm, &b);
  json_object_set_new_nocheck(o, "time", json_string(b.data));
  json_object_set_new_nocheck(o, "weekday",
                              json_string(i18n_weekday(l, tm.tm_wday)));
  json_object_set_new_nocheck(o, "day", json_integer(tm.tm_mday));
  json_object_set_new_nocheck(o, "month",
                              json_string(i18n_month(l, tm.tm_mon)));
  json_object_set_new_nocheck(o, "year", json_integer(tm.tm_year + 1900));
  buf_reset(&b);
  i18n_zone(l, tm.tm_zone, &b);
  json_object_set_new_nocheck(o, "zone", json_string(b.data));
  buf_reset(&b);
  char off[8];
  when_format_offset(tm.tm_gmtoff, off);
  buf_addf(&b, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
  json_object_set_new_nocheck(o, "start", json_string(b.data));
  json_object_set_new_nocheck(o, "timezone",
                              json_string(zone ? zone : when_zone()));
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
  json_object_set_new_nocheck(o, "end", json_string(b.data));
  buf_reset(&b);
  i18n_time(l, &tm, &b);
  json_object_set_new_nocheck(o, "end_time", json_string(b.data));
  buf_reset(&b);
  i18n_date(l, &tm, &b);
  json_object_set_new_nocheck(o, "end_date", json_string(b.data));
  json_object_set_new_nocheck(o, "has_end", json_boolean(ev->end != 0));
  json_object_set_new_nocheck(o, "end_short",
                              json_boolean(end - ev->start < 86400));
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

/* What is kept of one body (an event's text in one language). */
struct body_memo {
  bool kind_known, lang_known, theme_known;
  enum body_kind kind;
  int lang;    /* i18n_guess of the body */
  char *theme; /* body_theme, may be NULL */
};

/* The context's "event" object made for one part: it depends on the
 * event, the config, the part's language, the message's languages and,
 * when the event's texts say no language, the first of them (texts_of).
 * Nothing else in a request changes it (the notice, now, the old event
 * and the channel go into other objects), and templates only read it, so
 * every context with the same key shares one. */
struct event_json_memo {
  const struct config *cfg;
  enum lang l;
  int parts, first;
  json_t *obj;
};

struct event_memo {
  bool text_lang_known;
  int text_lang; /* i18n_guess of the event's own texts */
  struct body_memo body[LANG_MAX];
  struct event_json_memo *json; /* the "event" objects made */
  size_t njson;
};

struct memo_ref {
  const struct event *ev;
  size_t i;
};

enum { MEMO_RECENT = 2 };

/* A context kept for the next message that differs from it only in its
 * channel (check renders each notice for every channel type one after
 * the other): everything in it but "channel" is a function of the key
 * (the config, the event and the old one — events of the memo, which do
 * not change —, the notice, the time, the languages in their order, the
 * part's language, what recurs). */
struct ctx_kept {
  json_t *ctx; /* NULL: none */
  const struct config *cfg;
  const struct event *ev, *old;
  char *notice;
  time_t now;
  int langs, norder;
  enum lang order[LANG_MAX];
  const struct body_recur *recur;
};

struct render_memo {
  struct memo_ref *refs; /* by address, for bsearch */
  size_t n;
  struct event_memo **m; /* by index in evs, made when first needed */
  /* what does not depend on the event: a language's texts and the site
   * (made with cfg_of, when first needed) */
  const struct config *cfg_of[LANG_MAX], *site_cfg;
  json_t *texts[LANG_MAX], *site;
  /* the events whose "event" objects are kept, the latest MEMO_RECENT:
   * a catch-up renders an event for its channels one after the other,
   * and keeping every event's (the body's text and more) would grow
   * with the site */
  struct event_memo *recent[MEMO_RECENT];
  size_t next;                    /* recent's slot to take next */
  struct ctx_kept kept[LANG_MAX]; /* by the part's language */
};

static int cmp_ref(const void *a, const void *b)
{
  uintptr_t x = (uintptr_t)((const struct memo_ref *)a)->ev;
  uintptr_t y = (uintptr_t)((const struct memo_ref *)b)->ev;
  return x < y ? -1 : x > y;
}

struct render_memo *render_memo_new(struct event *const *evs, size_t n)
{
  struct render_memo *m = xcalloc(1, sizeof(*m));
  m->refs = xcalloc(n ? n : 1, sizeof(*m->refs));
  m->m = xcalloc(n ? n : 1, sizeof(*m->m));
  m->n = n;
  for (size_t i = 0; i < n; i++)
    m->refs[i] = (struct memo_ref){evs[i], i};
  qsort(m->refs, n, sizeof(*m->refs), cmp_ref);
  return m;
}

void render_memo_free(struct render_memo *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->n; i++) {
    if (!m->m[i])
      continue;
    for (size_t l = 0; l < LANG_MAX; l++)
      free(m->m[i]->body[l].theme);
    for (size_t k = 0; k < m->m[i]->njson; k++)
      json_decref(m->m[i]->json[k].obj);
    free(m->m[i]->json);
    free(m->m[i]);
  }
  for (size_t l = 0; l < LANG_MAX; l++) {
    json_decref(m->texts[l]);
    json_decref(m->kept[l].ctx);
    free(m->kept[l].notice);
  }
  json_decref(m->site);
  free(m->m);
  free(m->refs);
  free(m);
}

/* What is kept of ev (NULL: no memo, or ev is not one of its events). */
static struct event_memo *memo_of(struct render_memo *m, const struct event *ev)
{
  if (!m || !m->n)
    return NULL;
  struct memo_ref key = {ev, 0};
  const struct memo_ref *r =
      bsearch(&key, m->refs, m->n, sizeof(*m->refs), cmp_ref);
  if (!r)
    return NULL;
  if (!m->m[r->i])
    m->m[r->i] = xcalloc(1, sizeof(*m->m[r->i]));
  return m->m[r->i];
}

/* What a part of a message does with the event's texts. */
struct texts {
  struct buf body; /* the body in this language, trimmed */
  bool shown;      /* a body, and site.body is not ignore */
  enum body_kind kind;
  int body_lang;          /* the body's language, -1 when unknown */
  bool in_lang;           /* the body is in this part's language (or unknown) */
  bool body_below;        /* …no, but another part of the message is in it */
  int text_lang;          /* the language of the event's own texts */
  bool elsewhere;         /* another part of the message is in text_lang */
  struct body_memo *memo; /* what is kept of this body, or NULL */
};

/* The languages of q's message, as a mask. */
static int parts_of(const struct render_req *q)
{
  return q->langs ? q->langs : LANG_DE;
}

static void texts_of(const struct config *cfg, const struct render_req *q,
                     enum lang l, struct texts *t)
{
  const struct event *ev = q->ev;
  const char *lc = lang_code(l);
  int parts = parts_of(q);
  memset(t, 0, sizeof(*t));
  struct event_memo *em = memo_of(q->memo, ev);
  struct body_memo *bm = em ? &em->body[l] : NULL;
  t->memo = bm;
  const char *text = event_body(ev, lc);
  if (text) {
    while (*text == '\n' || *text == ' ' || *text == '\r' || *text == '\t')
      text++;
    buf_adds(&t->body, text);
    buf_rtrim(&t->body);
  }
  t->shown = cfg->fmt.body != BODY_IGNORE && t->body.len;
  t->kind = cfg->fmt.body == BODY_INVITATION ? BODY_KIND_INVITATION
            : cfg->fmt.body == BODY_DETAILS  ? BODY_KIND_DETAILS
            : bm && bm->kind_known           ? bm->kind
                                             : body_kind_of(ev, t->body.data);
  if (bm && !bm->kind_known && cfg->fmt.body != BODY_INVITATION &&
      cfg->fmt.body != BODY_DETAILS) {
    bm->kind = t->kind;
    bm->kind_known = true;
  }
  /* the event's own language: the site's (translations), else what its
   * body (or its abstracts and directions) are written in */
  t->text_lang = ev->lang ? lang_find(ev->lang) : -1;
  if (t->text_lang < 0 && !ev->lang && em && em->text_lang_known) {
    t->text_lang = em->text_lang;
  } else if (t->text_lang < 0 && !ev->lang) {
    struct buf all = BUF_INIT;
    const char *body = event_own_body(ev);
    buf_addf(&all, "%s\n%s", ev->title ? ev->title : "", body ? body : "");
    for (size_t i = 0; i < ev->ntalks; i++)
      buf_addf(&all, "\n%s\n%s", ev->talks[i].title ? ev->talks[i].title : "",
               ev->talks[i].abstract ? ev->talks[i].abstract : "");
    if (ev->loc && ev->loc->directions && !ev->loc->ndirections_in)
      buf_addf(&all, "\n%s", ev->loc->directions);
    t->text_lang = i18n_guess(all.data);
    buf_release(&all);
    if (em) {
      em->text_lang = t->text_lang;
      em->text_lang_known = true;
    }
  }
  if (t->text_lang < 0) { /* unknown: the first part carries them */
    enum lang order[LANG_MAX];
    if (render_order(q, order) > 1)
      t->text_lang = (int)order[0];
  }
  if (event_has_text(ev, lc))
    t->body_lang = (int)l;
  else if (ev->lang)
    t->body_lang = lang_find(ev->lang);
  else if (bm && bm->lang_known)
    t->body_lang = bm->lang;
  else {
    t->body_lang = i18n_guess(t->body.data);
    if (bm) {
      bm->lang = t->body_lang;
      bm->lang_known = true;
    }
  }
  t->in_lang = t->body_lang < 0 || t->body_lang == (int)l;
  t->body_below = !t->in_lang && (parts & (1 << t->body_lang));
  t->elsewhere = t->text_lang >= 0 && t->text_lang != (int)l &&
                 (parts & (1 << t->text_lang));
}

/* The links, without the registration link (the facts give it), without
 * those the body shown in this part has (shown, or NULL), and with
 * crier's own words for the planning discussion; with elsewhere (another
 * part of the message is in the event's language) only those. */
static json_t *links_json(const struct event *ev, enum lang l,
                          const char *shown, bool elsewhere)
{
  json_t *a = json_array();
  const char *meetup = event_link(ev, LINK_MEETUP);
  const char *planning = text_of(l, "link_planning");
  for (size_t i = 0; i < ev->nlinks; i++) {
    const struct link *k = &ev->links[i];
    if ((meetup && k->url == meetup) || (shown && body_links_to(shown, k->url)))
      continue;
    bool ours = planning && strcasecmp(k->label, LINK_PLANNING) == 0;
    if (elsewhere && !ours)
      continue;
    json_array_append_new(a, json_pack("{s:s, s:o}", "label",
                                       ours ? planning : k->label, "url",
                                       url_value(k->url)));
  }
  return a;
}

static json_t *event_json_make(const struct config *cfg,
                               const struct render_req *q, enum lang l)
{
  const struct event *ev = q->ev;
  json_t *o = json_object();
  struct buf b = BUF_INIT;
  const char *lc = lang_code(l);
  struct texts t;
  texts_of(cfg, q, l, &t);
  json_object_set_new_nocheck(o, "id", json_string(ev->id));
  json_object_set_new_nocheck(o, "title", json_string(event_title(ev, lc)));
  site_event_url(cfg, ev, &b);
  json_object_set_new_nocheck(o, "url",
                              cfg->site_url ? url_value(b.data) : json_null());
  buf_release(&b);
  add_when(o, ev->start, ev->tz, l);
  add_end(o, ev, event_end(ev, cfg->default_duration), l);
  json_object_set_new_nocheck(o, "location",
                              location_json(ev, l, parts_of(q), t.text_lang));
  json_object_set_new_nocheck(o, "online_url", url_value(ev->online_url));
  json_object_set_new_nocheck(o, "online",
                              json_boolean(ev->online_url && !ev->loc));
  json_object_set_new_nocheck(o, "hybrid",
                              json_boolean(ev->online_url && ev->loc));

  /* the body: the organizers' invitation (in this language: the
   * announcement is the facts and the body; in another: its theme and a
   * link), details below crier's own text, or nothing */
  bool inv = t.shown && t.kind == BODY_KIND_INVITATION;
  bool det = t.shown && t.kind == BODY_KIND_DETAILS;
  bool here = t.shown && t.in_lang;
  bool details_here = det && !t.body_below;
  const char *said = here || details_here ? t.body.data : NULL;
  json_object_set_new_nocheck(o, "body",
                              t.shown ? json_string(t.body.data) : json_null());
  json_object_set_new_nocheck(o, "body_invitation", json_boolean(inv));
  json_object_set_new_nocheck(o, "body_details", json_boolean(det));
  json_object_set_new_nocheck(o, "body_in_lang", json_boolean(here));
  json_object_set_new_nocheck(o, "body_below",
                              json_boolean(t.shown && t.body_below));
  json_object_set_new_nocheck(o, "invitation_here",
                              json_boolean(inv && t.in_lang));
  json_object_set_new_nocheck(o, "invitation_other",
                              json_boolean(inv && !t.in_lang));
  json_object_set_new_nocheck(o, "details_here", json_boolean(details_here));
  json_object_set_new_nocheck(o, "texts_below", json_boolean(t.elsewhere));
  json_object_set_new_nocheck(
      o, "body_lang_name",
      t.body_lang >= 0 && t.body_lang != (int)l
          ? json_string(i18n_lang_name(l, (enum lang)t.body_lang))
          : json_null());
  char *theme = NULL;
  if (t.shown && t.memo && !t.memo->theme_known) {
    t.memo->theme = body_theme(ev, t.body.data, q->recur);
    t.memo->theme_known = true;
  }
  if (t.shown && t.memo)
    json_object_set_new_nocheck(o, "theme", str_or_null(t.memo->theme));
  else {
    theme = t.shown ? body_theme(ev, t.body.data, q->recur) : NULL;
    json_object_set_new_nocheck(o, "theme", str_or_null(theme));
  }
  free(theme);

  /* the program */
  bool missing = ev->talks_state == TALKS_WANTED;
  bool program = missing && (ev->program_in_body || inv);
  json_object_set_new_nocheck(o, "talks", talks_json(ev, l, said, t.elsewhere));
  json_object_set_new_nocheck(o, "talks_list",
                              json_boolean(ev->talks_state == TALKS_LIST));
  json_object_set_new_nocheck(
      o, "talks_one",
      json_boolean(ev->talks_state == TALKS_LIST && ev->ntalks == 1));
  json_object_set_new_nocheck(
      o, "talks_many",
      json_boolean(ev->talks_state == TALKS_LIST && ev->ntalks > 1));
  json_object_set_new_nocheck(o, "talks_none",
                              json_boolean(ev->talks_state == TALKS_NONE));
  json_object_set_new_nocheck(o, "open_space",
                              json_boolean(ev->talks_state == TALKS_OPEN));
  json_object_set_new_nocheck(o, "talks_wanted",
                              json_boolean(missing && !program));
  json_object_set_new_nocheck(o, "program_in_body", json_boolean(program));
  json_object_set_new_nocheck(o, "speakers", speakers_json(ev));
  json_object_set_new_nocheck(o, "has_speakers",
                              json_boolean(ev->nspeakers > 0));

  json_t *links = links_json(ev, l, said, t.elsewhere);
  json_object_set_new_nocheck(o, "has_links",
                              json_boolean(json_array_size(links)));
  json_object_set_new_nocheck(o, "links", links);
  json_object_set_new_nocheck(o, "meetup_url",
                              url_value(event_link(ev, LINK_MEETUP)));
  json_object_set_new_nocheck(o, "planning_url",
                              url_value(event_link(ev, LINK_PLANNING)));
  json_object_set_new_nocheck(o, "cancelled", json_boolean(ev->cancelled));
  buf_release(&t.body);
  return o;
}

/* The "event" object for part l of q (new reference): made once per key
 * (struct event_json_memo) for an event of q's memo. */
static json_t *event_json(const struct config *cfg, const struct render_req *q,
                          enum lang l)
{
  struct event_memo *em = memo_of(q->memo, q->ev);
  if (!em)
    return event_json_make(cfg, q, l);
  int parts = parts_of(q);
  enum lang order[LANG_MAX];
  int first = render_order(q, order) > 1 ? (int)order[0] : -1;
  for (size_t k = 0; k < em->njson; k++) {
    const struct event_json_memo *j = &em->json[k];
    if (j->cfg == cfg && j->l == l && j->parts == parts && j->first == first)
      return json_incref(j->obj);
  }
  json_t *o = event_json_make(cfg, q, l);
  if (!em->njson) { /* a new event to keep: the oldest kept goes */
    struct render_memo *m = q->memo;
    struct event_memo *old = m->recent[m->next];
    if (old) {
      for (size_t k = 0; k < old->njson; k++)
        json_decref(old->json[k].obj);
      free(old->json);
      old->json = NULL;
      old->njson = 0;
    }
    m->recent[m->next] = em;
    m->next = (m->next + 1) % MEMO_RECENT;
  }
  em->json = xrealloc(em->json, (em->njson + 1) * sizeof(*em->json));
  em->json[em->njson++] =
      (struct event_json_memo){cfg, l, parts, first, json_incref(o)};
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
  if (!q->old || q->old == q->ev) /* the same event: nothing changed */
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

/* Where this part stands in the message: the first, the last, how many,
 * whether an earlier part has the same title. */
static json_t *message_json(const struct render_req *q, enum lang l)
{
  enum lang order[LANG_MAX];
  int n = render_order(q, order), at = 0;
  while (at < n && order[at] != l)
    at++;
  bool title_before = false;
  const char *title = event_title(q->ev, lang_code(l));
  for (int i = 0; i < at && i < n; i++)
    title_before |= strcmp(event_title(q->ev, lang_code(order[i])), title) == 0;
  json_t *o = json_object();
  json_object_set_new_nocheck(o, "first", json_boolean(at == 0));
  json_object_set_new_nocheck(o, "last", json_boolean(at == n - 1));
  json_object_set_new_nocheck(o, "parts", json_integer(n));
  json_object_set_new_nocheck(o, "title_before", json_boolean(title_before));
  return o;
}

/* The language file's texts (new reference; kept in m when not NULL). */
static json_t *texts_json(const struct config *cfg, struct render_memo *m,
                          enum lang l)
{
  if (m && m->texts[l] && m->cfg_of[l] == cfg)
    return json_incref(m->texts[l]);
  json_t *texts = json_object();
  const char *tn, *tv;
  for (size_t i = 0; i18n_text(l, i, &tn, &tv); i++)
    json_object_set_new(texts, tn, json_string(tv));
  if (m) {
    json_decref(m->texts[l]);
    m->texts[l] = json_incref(texts);
    m->cfg_of[l] = cfg;
  }
  return texts;
}

/* The site's name and URL (new reference; kept in m when not NULL). */
static json_t *site_json(const struct config *cfg, struct render_memo *m)
{
  if (m && m->site && m->site_cfg == cfg)
    return json_incref(m->site);
  json_t *o = json_pack("{s:o, s:o}", "name", str_or_null(cfg->site_name),
                        "url", url_value(cfg->site_url));
  if (m) {
    json_decref(m->site);
    m->site = json_incref(o);
    m->site_cfg = cfg;
  }
  return o;
}

/* The context without its "channel" (render_context). */
static json_t *context_make(const struct config *cfg,
                            const struct render_req *q, enum lang l)
{
  json_t *ctx = json_object();
  json_object_set_new_nocheck(ctx, "lang", json_string(lang_code(l)));
  json_object_set_new_nocheck(ctx, "de", json_boolean(l == LANG_ID_DE));
  json_object_set_new_nocheck(ctx, "en", json_boolean(l == LANG_ID_EN));
  json_object_set_new(ctx, lang_code(l), json_true());
  json_object_set_new_nocheck(ctx, "text", texts_json(cfg, q->memo, l));
  json_object_set_new_nocheck(ctx, "site", site_json(cfg, q->memo));
  json_object_set_new_nocheck(ctx, "event", event_json(cfg, q, l));
  json_object_set_new_nocheck(ctx, "message", message_json(q, l));
  json_t *n = json_object();
  const char *kind = notice_kind(q->notice);
  json_object_set_new_nocheck(n, "name", json_string(q->notice));
  json_object_set_new_nocheck(n, "kind", json_string(kind));
  json_object_set_new(n, kind, json_true());
  if (strcmp(kind, "reminder") == 0 && q->notice[8] == '-')
    json_object_set_new_nocheck(n, "offset", json_string(q->notice + 9));
  struct buf rel = BUF_INIT;
  i18n_relative(l, q->now, q->ev->start, &rel);
  json_object_set_new_nocheck(n, "relative", json_string(rel.data));
  buf_release(&rel);
  json_object_set_new_nocheck(ctx, "notice", n);
  json_t *changes = changes_json(cfg, q, l);
  json_object_set_new_nocheck(ctx, "changed",
                              json_boolean(json_array_size(changes)));
  json_object_set_new_nocheck(ctx, "changes", changes);
  return ctx;
}

/* Sets the context's "channel". */
static void set_channel(json_t *ctx, const struct render_req *q)
{
  json_t *ch = json_object();
  if (q->ch) {
    json_object_set_new_nocheck(ch, "name", json_string(q->ch->name));
    json_object_set_new_nocheck(ch, "type",
                                json_string(chan_type_name(q->ch->type)));
    json_object_set_new_nocheck(ch, chan_type_name(q->ch->type), json_true());
    chan_template_values(q->ch, ch);
  }
  json_object_set_new_nocheck(ctx, "channel", ch);
}

json_t *render_context(const struct config *cfg, const struct render_req *q,
                       enum lang l)
{
  json_t *ctx = context_make(cfg, q, l);
  set_channel(ctx, q);
  return ctx;
}

json_t *render_context_kept(const struct config *cfg,
                            const struct render_req *q, enum lang l)
{
  struct render_memo *m = q->memo;
  /* only the memo's events, which outlive it unchanged, are keys */
  if (!m || !memo_of(m, q->ev) || (q->old && !memo_of(m, q->old)))
    return render_context(cfg, q, l);
  enum lang order[LANG_MAX];
  int n = render_order(q, order);
  struct ctx_kept *k = &m->kept[l];
  bool same = k->ctx && k->cfg == cfg && k->ev == q->ev && k->old == q->old &&
              strcmp(k->notice, q->notice) == 0 && k->now == q->now &&
              k->langs == q->langs && k->norder == n &&
              memcmp(k->order, order, (size_t)n * sizeof(*order)) == 0 &&
              k->recur == q->recur;
  if (!same) {
    json_decref(k->ctx);
    free(k->notice);
    *k = (struct ctx_kept){.ctx = context_make(cfg, q, l),
                           .cfg = cfg,
                           .ev = q->ev,
                           .old = q->old,
                           .notice = xstrdup(q->notice),
                           .now = q->now,
                           .langs = q->langs,
                           .norder = n,
                           .recur = q->recur};
    memcpy(k->order, order, (size_t)n * sizeof(*order));
  }
  set_channel(k->ctx, q); /* the one thing that differs */
  return json_incref(k->ctx);
}
