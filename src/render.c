#include "render.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "md.h"
#include "site.h"
#include "tpl.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* A cache entry is allocated on its own and lives as long as the renderer:
 * loading a partial adds entries while a caller still holds another one,
 * so entries never move (the array holds pointers). */
struct cached {
  char *path;
  char *src; /* NULL: the file does not exist */
  size_t len;
};

struct renderer {
  const struct config *cfg;
  const char *dirs[2];
  size_t ndirs;
  struct cached **cache;
  size_t ncache, cap;
  const char *lang; /* while rendering: for partial lookup */
  const char *type;
};

static bool is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *render_builtin_dir(void)
{
  static char found[PATH_MAX];
  static bool done;
  if (done)
    return found[0] ? found : NULL;
  done = true;
  const char *env = getenv("CRIER_TEMPLATES_DIR");
  if (env && is_dir(env)) {
    snprintf(found, sizeof(found), "%s", env);
    return found;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      char cand[PATH_MAX + 64];
      snprintf(cand, sizeof(cand), "%s/../share/crier/templates", exe);
      if (is_dir(cand) && realpath(cand, found))
        return found;
    }
  }
  if (is_dir(CRIER_SOURCE_DIR "/templates")) {
    snprintf(found, sizeof(found), "%s", CRIER_SOURCE_DIR "/templates");
    return found;
  }
  if (is_dir(CRIER_DATADIR "/templates")) {
    snprintf(found, sizeof(found), "%s", CRIER_DATADIR "/templates");
    return found;
  }
  return NULL;
}

struct renderer *renderer_new(const struct config *cfg)
{
  struct renderer *r = xcalloc(1, sizeof(*r));
  r->cfg = cfg;
  if (cfg && cfg->templates)
    r->dirs[r->ndirs++] = cfg->templates;
  const char *b = render_builtin_dir();
  if (b)
    r->dirs[r->ndirs++] = b;
  return r;
}

void renderer_free(struct renderer *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->ncache; i++) {
    free(r->cache[i]->path);
    free(r->cache[i]->src);
    free(r->cache[i]);
  }
  free(r->cache);
  free(r);
}

void message_release(struct message *m)
{
  free(m->subject);
  free(m->markdown);
  free(m->html);
  memset(m, 0, sizeof(*m));
}

const char *notice_kind(const char *notice)
{
  return strncmp(notice, "reminder", 8) == 0 ? "reminder" : notice;
}

/* The source of path from the cache (reading it once); NULL if it cannot
 * be read. The entry is borrowed from the renderer and stays valid until
 * renderer_free, whatever is loaded meanwhile. */
static const struct cached *source(struct renderer *r, const char *path,
                                   struct err *e, bool *failed)
{
  for (size_t i = 0; i < r->ncache; i++)
    if (strcmp(r->cache[i]->path, path) == 0)
      return r->cache[i];
  struct cached c = {.path = xstrdup(path)};
  if (access(path, F_OK) == 0) {
    struct buf b = BUF_INIT;
    int line;
    const char *why;
    if (file_read(path, FILE_MAX, &b, e) < 0) {
      *failed = true;
    } else if (utf8_check(b.data, b.len, &line, &why) < 0) {
      err_set(e, EX_DATAERR, "%s:%d: %s", path, line, why);
      *failed = true;
    }
    if (*failed) {
      buf_release(&b);
      free(c.path);
      return NULL;
    }
    c.len = b.len;
    c.src = buf_detach(&b);
  }
  struct cached *entry = xmalloc(sizeof(*entry));
  *entry = c;
  r->cache = xgrow(r->cache, &r->cap, r->ncache + 1, sizeof(*r->cache));
  r->cache[r->ncache++] = entry;
  return entry;
}

/* Finds the first existing file among dirs × candidates. */
static const struct cached *find_template(struct renderer *r,
                                          const char *const *rel, size_t nrel,
                                          struct buf *tried, struct err *e,
                                          bool *failed)
{
  struct buf p = BUF_INIT;
  const struct cached *c = NULL;
  for (size_t d = 0; d < r->ndirs && !c; d++) {
    for (size_t k = 0; k < nrel && !c; k++) {
      if (!rel[k])
        continue;
      buf_reset(&p);
      buf_addf(&p, "%s/%s", r->dirs[d], rel[k]);
      c = source(r, p.data, e, failed);
      if (*failed)
        break;
      if (c && !c->src) {
        if (tried) {
          if (tried->len)
            buf_adds(tried, ", ");
          buf_adds(tried, p.data);
        }
        c = NULL;
      }
    }
  }
  buf_release(&p);
  return c;
}

static int load_partial(void *ud, const char *name, struct buf *src,
                        struct err *e)
{
  struct renderer *r = ud;
  if (strchr(name, '/') || name[0] == '.')
    return err_set(e, EX_DATAERR,
                   "partial name '%s' may not contain '/' or "
                   "start with '.'",
                   name);
  struct buf a = BUF_INIT, b = BUF_INIT, tried = BUF_INIT;
  buf_addf(&a, "%s/%s/partials/%s.mustache", r->lang, r->type, name);
  buf_addf(&b, "%s/partials/%s.mustache", r->lang, name);
  const char *rel[] = {r->type ? a.data : NULL, b.data};
  bool failed = false;
  const struct cached *c = find_template(r, rel, 2, &tried, e, &failed);
  int rc = 1;
  if (failed)
    rc = -1;
  else if (!c)
    rc = err_set(e, EX_DATAERR, "partial '%s' not found (looked for %s)", name,
                 tried.data);
  else {
    /* a one-line partial is an inline snippet: its line end is not part
     * of it (editors add one) */
    size_t len = c->len;
    if (len && c->src[len - 1] == '\n' && !memchr(c->src, '\n', len - 1))
      len--;
    buf_add(src, c->src, len);
  }
  buf_release(&a);
  buf_release(&b);
  buf_release(&tried);
  return rc;
}

/* ---- the context ---- */

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
  }
  json_object_set_new(ctx, "channel", ch);
  return ctx;
}

/* Folds white space (newlines included) to single spaces and trims. */
static void one_line(struct buf *b)
{
  size_t w = 0;
  bool space = true;
  for (size_t i = 0; i < b->len; i++) {
    char c = b->data[i];
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (ws) {
      if (!space)
        b->data[w++] = ' ';
      space = true;
    } else {
      b->data[w++] = c;
      space = false;
    }
  }
  while (w && b->data[w - 1] == ' ')
    w--;
  buf_truncate(b, w);
}

/* Trims trailing white space of every line (outside code fences), drops
 * blank lines at the start and runs of blank lines beyond one (templates
 * with sections leave them), and ends with exactly one newline. */
static void tidy_markdown(struct buf *b)
{
  struct buf out = BUF_INIT;
  bool fence = false, pending_blank = false;
  for (size_t i = 0; i < b->len;) {
    size_t eol = i;
    while (eol < b->len && b->data[eol] != '\n')
      eol++;
    const char *line = b->data + i;
    size_t n = eol - i;
    bool toggles =
        n >= 3 && (memcmp(line, "```", 3) == 0 || memcmp(line, "~~~", 3) == 0);
    if (!fence)
      while (n &&
             (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        n--;
    if (n == 0 && !fence) {
      pending_blank = out.len > 0;
    } else {
      if (pending_blank)
        buf_addc(&out, '\n');
      pending_blank = false;
      buf_add(&out, line, n);
      buf_addc(&out, '\n');
    }
    if (toggles)
      fence = !fence;
    i = eol + 1;
  }
  buf_release(b);
  *b = out;
}

static int render_one(struct renderer *r, const struct render_req *q,
                      enum lang l, json_t *ctx, const char *suffix,
                      tpl_escape_fn esc, struct buf *out, struct err *e)
{
  const char *lc = lang_code(l);
  const char *type = q->ch ? chan_type_name(q->ch->type) : NULL;
  const char *kind = notice_kind(q->notice);
  struct buf a = BUF_INIT, b = BUF_INIT, tried = BUF_INIT;
  if (type)
    buf_addf(&a, "%s/%s/%s.%s.mustache", lc, type, kind, suffix);
  buf_addf(&b, "%s/%s.%s.mustache", lc, kind, suffix);
  const char *rel[] = {type ? a.data : NULL, b.data};
  bool failed = false;
  int rc = -1;
  struct tpl *t = NULL;
  const struct cached *c = find_template(r, rel, 2, &tried, e, &failed);
  if (failed)
    goto out;
  if (!c) {
    err_set(e, EX_DATAERR, "no template for %s %s (looked for %s)", lc,
            q->notice, tried.len ? tried.data : "a templates directory");
    goto out;
  }
  t = tpl_parse(c->src, c->len, c->path, e);
  if (!t)
    goto out;
  r->lang = lc;
  r->type = type;
  rc = tpl_render(t, ctx, load_partial, r, esc, out, e);
  if (rc < 0 && strncmp(e->msg, c->path, strlen(c->path)) != 0) {
    char msg[sizeof(e->msg)];
    memcpy(msg, e->msg, sizeof(msg));
    err_set(e, e->code, "%s: %s", c->path, msg);
  }
out:
  tpl_free(t);
  buf_release(&a);
  buf_release(&b);
  buf_release(&tried);
  return rc;
}

int render_order(const struct render_req *q, enum lang order[LANG_MAX])
{
  int n = 0;
  int langs = q->langs ? q->langs : LANG_DE;
  if (q->ch && q->ch->nlang_order && q->langs == q->ch->langs) {
    for (size_t i = 0; i < q->ch->nlang_order; i++)
      order[n++] = (enum lang)q->ch->lang_order[i];
    return n;
  }
  if (q->en_first && (langs & LANG_EN))
    order[n++] = LANG_ID_EN;
  if (langs & LANG_DE)
    order[n++] = LANG_ID_DE;
  if (!q->en_first && (langs & LANG_EN))
    order[n++] = LANG_ID_EN;
  for (int id = LANG_ID_EN + 1; id < LANG_MAX; id++)
    if (langs & (1 << id))
      order[n++] = (enum lang)id;
  return n;
}

int render_message(struct renderer *r, const struct render_req *q,
                   struct message *m, struct err *e)
{
  memset(m, 0, sizeof(*m));
  struct buf subj = BUF_INIT, body = BUF_INIT, one = BUF_INIT, html = BUF_INIT;
  enum lang order[LANG_MAX];
  int n = render_order(q, order);
  int rc = -1;
  json_t *ctx = NULL;
  for (int i = 0; i < n; i++) {
    buf_reset(&one);
    json_decref(ctx);
    ctx = render_context(r->cfg, q, order[i]);
    if (render_one(r, q, order[i], ctx, "subject", tpl_escape_none, &one, e) <
        0)
      goto out;
    one_line(&one);
    /* the same subject in both languages (a title) is said once */
    if (!i || strcmp(subj.data, one.data) != 0) {
      if (i)
        buf_adds(&subj, " / ");
      buf_add(&subj, one.data, one.len);
    }
    buf_reset(&one);
    if (render_one(r, q, order[i], ctx, "md", tpl_escape_markdown, &one, e) < 0)
      goto out;
    tidy_markdown(&one);
    if (i)
      buf_adds(&body, "\n---\n\n");
    buf_add(&body, one.data, one.len);
  }
  if (q->ch && q->ch->type == CHAN_MEETUP &&
      strcmp(q->notice, "announce") == 0 &&
      utf8_len(subj.data) > MEETUP_TITLE_MAX) {
    /* Meetup refuses longer titles; cutting one short would publish a
     * title nobody wrote */
    err_set(e, EX_DATAERR,
            "%s: the Meetup title '%s' has %zu characters, "
            "more than Meetup's %d: shorten the event's title (or the meetup "
            "announce.subject template)",
            q->ev->path, subj.data, utf8_len(subj.data), MEETUP_TITLE_MAX);
    goto out;
  }
  md_to_html(body.data, body.len, &html);
  m->subject = buf_detach(&subj);
  m->markdown = buf_detach(&body);
  m->html = buf_detach(&html);
  rc = 0;
out:
  json_decref(ctx);
  buf_release(&subj);
  buf_release(&body);
  buf_release(&one);
  buf_release(&html);
  return rc;
}

static void check_dir_templates(struct renderer *r, const char *dir,
                                const char *rel, int depth, struct diags *d)
{
  struct buf p = BUF_INIT;
  buf_addf(&p, "%s%s%s", dir, rel[0] ? "/" : "", rel);
  DIR *dd = opendir(p.data);
  if (!dd) {
    if (!rel[0])
      diag_add(d, DIAG_ERROR, p.data, 0,
               "cannot read the templates "
               "directory");
    buf_release(&p);
    return;
  }
  struct dirent *de;
  while ((de = readdir(dd))) {
    if (de->d_name[0] == '.')
      continue;
    struct buf child = BUF_INIT;
    buf_addf(&child, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
    struct buf full = BUF_INIT;
    buf_addf(&full, "%s/%s", dir, child.data);
    if (is_dir(full.data)) {
      if (depth < 4)
        check_dir_templates(r, dir, child.data, depth + 1, d);
    } else {
      size_t n = strlen(de->d_name);
      if (n > 9 && strcmp(de->d_name + n - 9, ".mustache") == 0) {
        struct err e;
        bool failed = false;
        const struct cached *c = source(r, full.data, &e, &failed);
        if (failed) {
          diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
        } else if (c && c->src) {
          struct tpl *t = tpl_parse(c->src, c->len, full.data, &e);
          if (!t)
            diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
          tpl_free(t);
        }
      }
    }
    buf_release(&child);
    buf_release(&full);
  }
  closedir(dd);
  buf_release(&p);
}

/* Whether any template directory has templates for channel type. */
static bool has_type_dir(const struct renderer *r, const char *type)
{
  for (size_t i = 0; i < r->ndirs; i++)
    for (size_t l = 0; l < lang_count(); l++) {
      char p[PATH_MAX];
      snprintf(p, sizeof(p), "%s/%s/%s", r->dirs[i], lang_code((enum lang)l),
               type);
      if (is_dir(p))
        return true;
    }
  return false;
}

void render_check(struct renderer *r, const struct event *ev, time_t now,
                  struct diags *d)
{
  if (!r->ndirs) {
    diag_add(d, DIAG_ERROR, NULL, 0,
             "no templates directory: set "
             "'templates' or install crier's templates");
    return;
  }
  for (size_t i = 0; i < r->ndirs; i++)
    check_dir_templates(r, r->dirs[i], "", 0, d);
  if (!ev)
    return;
  static const char *const notices[] = {"announce", "reminder-1d", "update",
                                        "cancel", "reinstate"};
  /* the languages a notice can be sent or previewed in: German, English
   * and those of the channels */
  int langs = LANG_DE | LANG_EN;
  for (size_t i = 0; r->cfg && i < r->cfg->nchannels; i++)
    langs |= r->cfg->channels[i].langs;
  for (size_t k = 0; k < ARRAY_SIZE(notices); k++) {
    for (int t = -1; t <= CHAN_WEBHOOK; t++) {
      if (t >= 0 && !has_type_dir(r, chan_type_name((enum chan_type)t)))
        continue; /* it uses the generic templates, checked as t = -1 */
      struct channel ch = {.name = (char *)"check", .type = (enum chan_type)t};
      struct render_req q = {.ev = ev,
                             .old = ev,
                             .notice = notices[k],
                             .ch = t < 0 ? NULL : &ch,
                             .langs = langs,
                             .now = now};
      struct message m;
      struct err e;
      if (render_message(r, &q, &m, &e) < 0) {
        diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
        return;
      }
      message_release(&m);
    }
  }
  /* every channel of the config, with its own languages */
  for (size_t i = 0; r->cfg && i < r->cfg->nchannels; i++) {
    const struct channel *ch = &r->cfg->channels[i];
    struct render_req q = {.ev = ev,
                           .notice = "announce",
                           .ch = ch,
                           .langs = ch->langs,
                           .en_first = ch->lang_first_en,
                           .now = now};
    struct message m;
    struct err e;
    if (render_message(r, &q, &m, &e) < 0) {
      diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
      return;
    }
    message_release(&m);
  }
}
