#include "event.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "evdate.h"
#include "i18n.h"
#include "markup.h"
#include "site.h"
#include "term.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"
#include "yamlx.h"

/* ---- locations ---- */

static const char *const location_keys[] = {"short",      "name", "street",
                                            "city",       "web",  "osm",
                                            "directions", "lat",  "lon"};

/* A degree value of at most limit in absolute value: 0, or -1. */
static int degrees(const char *s, double limit, double *out)
{
  char *end = NULL;
  errno = 0;
  double v = s ? strtod(s, &end) : 0;
  if (!s || end == s || errno || v < -limit || v > limit)
    return -1;
  while (*end == ' ')
    end++;
  if (*end && *end != '&' && *end != '/' && *end != '#')
    return -1;
  *out = v;
  return 0;
}

/* Coordinates in an OpenStreetMap link: "?mlat=LAT&mlon=LON" or
 * "#map=ZOOM/LAT/LON". */
static bool osm_geo(const char *u, double *lat, double *lon)
{
  const char *a = u ? strstr(u, "mlat=") : NULL;
  const char *b = u ? strstr(u, "mlon=") : NULL;
  if (a && b)
    return degrees(a + 5, 90, lat) == 0 && degrees(b + 5, 180, lon) == 0;
  const char *m = u ? strstr(u, "#map=") : NULL;
  const char *s1 = m ? strchr(m, '/') : NULL;
  const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
  return s2 && degrees(s1 + 1, 90, lat) == 0 && degrees(s2 + 1, 180, lon) == 0;
}

/* lat and lon of a location, or the ones its osm link holds. */
static void location_geo(struct location *loc, const struct ynode *m,
                         const char *path, struct diags *d)
{
  const struct ynode *la = ymap_get(m, "lat"), *lo = ymap_get(m, "lon");
  if (!la && !lo) {
    loc->has_geo = osm_geo(loc->osm, &loc->lat, &loc->lon);
    return;
  }
  const struct ynode *at = la ? la : lo;
  if (!la || !lo || la->kind != Y_STR || lo->kind != Y_STR ||
      degrees(la->str, 90, &loc->lat) < 0 ||
      degrees(lo->str, 180, &loc->lon) < 0 || strpbrk(la->str, "&/#") ||
      strpbrk(lo->str, "&/#")) {
    diag_add(d, DIAG_ERROR, path, at->line,
             "location '%s': 'lat' and "
             "'lon' must both be given, in degrees (-90 to 90, -180 to 180)",
             loc->key);
    return;
  }
  loc->has_geo = true;
}

static char *opt_str(const struct ynode *map, const char *key)
{
  const struct ynode *v = ymap_get(map, key);
  if (!v || v->kind != Y_STR || ynode_is_null(v))
    return NULL;
  return xstrdup(v->str);
}

static int want_str(const struct ynode *map, const char *key, const char *file,
                    struct diags *d)
{
  const struct ynode *v = ymap_get(map, key);
  if (v && v->kind != Y_STR)
    return diag_add(d, DIAG_ERROR, file, v->line,
                    "'%s' must be a string, not %s", key, ykind_name(v->kind));
  return 0;
}

/* directions: a text, or a map from a language code to a text. */
static void read_directions(struct location *loc, const struct ynode *v,
                            const char *path, struct diags *d)
{
  if (!v || ynode_is_null(v))
    return;
  if (v->kind == Y_STR) {
    free(loc->directions);
    loc->directions = xstrdup(v->str);
    return;
  }
  bool ok = v->kind == Y_MAP;
  for (size_t i = 0; ok && i < v->n; i++)
    ok = v->items[i].kind == Y_STR;
  if (!ok) {
    diag_add(d, DIAG_ERROR, path, v->line,
             "'directions' must be a text, or a map from a language "
             "to a text ({de: …, en: …})");
    return;
  }
  for (size_t i = 0; i < v->n; i++) {
    const char *lang = v->keys[i].str;
    if (lang_find(lang) < 0)
      diag_add(d, DIAG_WARNING, path, v->keys[i].line,
               "directions in '%s', which is not a language crier has "
               "(%s)",
               lang, lang_list());
    loc->directions_in =
        xrealloc(loc->directions_in,
                 (loc->ndirections_in + 1) * sizeof(*loc->directions_in));
    loc->directions_in[loc->ndirections_in++] =
        (struct ltext){xstrdup(lang), xstrdup(v->items[i].str)};
  }
  free(loc->directions);
  loc->directions = v->n ? xstrdup(v->items[0].str) : NULL;
}

static void free_directions(struct location *loc)
{
  free(loc->directions);
  for (size_t i = 0; i < loc->ndirections_in; i++) {
    free(loc->directions_in[i].lang);
    free(loc->directions_in[i].text);
  }
  free(loc->directions_in);
  loc->directions = NULL;
  loc->directions_in = NULL;
  loc->ndirections_in = 0;
}

const char *location_directions(const struct location *l, const char *lang)
{
  for (size_t i = 0; l && lang && i < l->ndirections_in; i++)
    if (strcmp(l->directions_in[i].lang, lang) == 0)
      return l->directions_in[i].text;
  return l ? l->directions : NULL;
}

static void unknown_keys(const struct ynode *map, const char *const *known,
                         size_t nknown, const char *what, enum diag_sev sev,
                         const char *file, struct diags *d)
{
  for (size_t i = 0; i < map->n; i++) {
    const char *k = map->keys[i].str;
    bool ok = false;
    for (size_t j = 0; j < nknown && !ok; j++)
      ok = strcmp(k, known[j]) == 0;
    if (ok)
      continue;
    const char *near = closest_word(k, known, nknown);
    if (near)
      diag_add(d, sev, file, map->keys[i].line,
               "unknown %s key '%s' (did you mean '%s'?)", what, k, near);
    else
      diag_add(d, sev, file, map->keys[i].line, "unknown %s key '%s'", what, k);
  }
}

int locations_load(struct locations *l, const char *path, struct diags *d)
{
  memset(l, 0, sizeof(*l));
  if (!path)
    return 0;
  l->path = xstrdup(path);
  int rc = -1;
  size_t errors = d->errors;
  struct ynode *root = yamlx_load_file(path, d);
  if (!root)
    goto out;
  if (root->kind != Y_MAP) {
    diag_add(d, DIAG_ERROR, path, root->line,
             "the locations file must be a map from a key to its fields, "
             "not %s",
             ykind_name(root->kind));
    goto out;
  }
  l->v = xcalloc(root->n, sizeof(*l->v));
  for (size_t i = 0; i < root->n; i++) {
    const struct ynode *m = &root->items[i];
    if (m->kind != Y_MAP) {
      diag_add(d, DIAG_ERROR, path, m->line,
               "location '%s' must be a map, "
               "not %s",
               root->keys[i].str, ykind_name(m->kind));
      continue;
    }
    for (size_t k = 0; k < sizeof(location_keys) / sizeof(*location_keys); k++)
      if (strcmp(location_keys[k], "directions") != 0)
        want_str(m, location_keys[k], path, d);
    unknown_keys(m, location_keys,
                 sizeof(location_keys) / sizeof(*location_keys), "location",
                 DIAG_WARNING, path, d);
    struct location *loc = &l->v[l->n++];
    loc->key = xstrdup(root->keys[i].str);
    loc->line = root->keys[i].line;
    loc->short_name = opt_str(m, "short");
    loc->name = opt_str(m, "name");
    loc->street = opt_str(m, "street");
    loc->city = opt_str(m, "city");
    loc->web = opt_str(m, "web");
    loc->osm = opt_str(m, "osm");
    read_directions(loc, ymap_get(m, "directions"), path, d);
    loc->online = !loc->street;
    location_geo(loc, m, path, d);
    if (!loc->name)
      diag_add(d, DIAG_ERROR, path, loc->line, "location '%s' has no 'name'",
               loc->key);
  }
  rc = d->errors > errors ? -1 : 0;
out:
  ynode_free(root);
  return rc;
}

void locations_release(struct locations *l)
{
  for (size_t i = 0; i < l->n; i++) {
    struct location *loc = &l->v[i];
    free(loc->key);
    free(loc->short_name);
    free(loc->name);
    free(loc->street);
    free(loc->city);
    free(loc->web);
    free(loc->osm);
    free_directions(loc);
  }
  free(l->v);
  free(l->path);
  memset(l, 0, sizeof(*l));
}

const struct location *locations_find(const struct locations *l,
                                      const char *key)
{
  for (size_t i = 0; l && i < l->n; i++)
    if (strcmp(l->v[i].key, key) == 0)
      return &l->v[i];
  return NULL;
}

/* ---- events ---- */

static const char *const talk_keys[] = {"title",  "speaker", "abstract",
                                        "slides", "video",   "speakers"};
static const char *const speaker_keys[] = {"name",     "github",  "twitter",
                                           "mastodon", "bluesky", "url"};
static void person_release(struct person *p);
static const char *const place_keys[] = {
    "name", "title", "short", "address", "street",    "city",
    "url",  "web",   "osm",   "map",     "directions"};

#define NKEYS(a) (sizeof(a) / sizeof(*(a)))

static void hash_compute(struct event *ev)
{
  struct buf b = BUF_INIT;
  struct buf when = BUF_INIT;
  when_rfc3339_utc(ev->start, &when);
  buf_addf(&b, "title=%s\nstart=%s\nlocation=%s\n", ev->title, when.data,
           ev->location_key ? ev->location_key : "");
  if (ev->loc)
    buf_addf(&b, "place=%s|%s|%s\n", ev->loc->name ? ev->loc->name : "",
             ev->loc->street ? ev->loc->street : "",
             ev->loc->city ? ev->loc->city : "");
  /* only when there is one: the hashes of other events stay as they were */
  if (ev->end) {
    buf_reset(&when);
    when_rfc3339_utc(ev->end, &when);
    buf_addf(&b, "end=%s\n", when.data);
  }
  if (ev->online_url)
    buf_addf(&b, "online=%s\n", ev->online_url);
  if (ev->tz)
    buf_addf(&b, "zone=%s\n", ev->tz);
  unsigned char h[crypto_hash_sha256_BYTES];
  if (sodium_init() < 0)
    abort();
  crypto_hash_sha256(h, (const unsigned char *)b.data, b.len);
  sodium_bin2hex(ev->hash, sizeof(ev->hash), h, sizeof(h));
  buf_release(&b);
  buf_release(&when);
}

const char *event_hash(const struct event *ev)
{
  /* a cache of fields nothing changes after loading: filled on first
   * use through a const event */
  if (!ev->hash[0])
    hash_compute((struct event *)ev);
  return ev->hash;
}

char *event_id_from_path(const char *path)
{
  return sitefmt_file_id(NULL, path, NULL);
}

bool event_id_date(const char *id, int *y, int *m, int *d, const char **slug)
{
  static const char form[] = "dddd-dd-dd-";
  for (size_t i = 0; form[i]; i++)
    if (form[i] == 'd' ? !isdigit((unsigned char)id[i]) : id[i] != form[i])
      return false;
  *y = (int)strtol(id, NULL, 10);
  *m = (int)strtol(id + 5, NULL, 10);
  *d = (int)strtol(id + 8, NULL, 10);
  if (slug)
    *slug = id + 11;
  return true;
}

/* The code point of the control character at s[at] (C1 ones are two
 * bytes in UTF-8). */
static unsigned control_at(const char *s, size_t at)
{
  unsigned char c = (unsigned char)s[at];
  return c == 0xc2 ? (unsigned char)s[at + 1] : c;
}

/* Warns about each string of the front matter that holds a control
 * character (a terminal escape in a title would reach every place the
 * title is shown). */
static void warn_controls(const struct ynode *n, const char *path,
                          struct diags *d)
{
  size_t at;
  if (n->kind == Y_STR && n->str &&
      term_find_control(n->str, strlen(n->str), &at))
    diag_add(d, DIAG_WARNING, path, n->line,
             "control character U+%04X in "
             "a value (crier shows it escaped; remove it)",
             control_at(n->str, at));
  for (size_t i = 0; (n->kind == Y_MAP || n->kind == Y_SEQ) && i < n->n; i++) {
    if (n->kind == Y_MAP)
      warn_controls(&n->keys[i], path, d);
    warn_controls(&n->items[i], path, d);
  }
}

static void location_free(struct location *l)
{
  if (!l)
    return;
  free(l->key);
  free(l->short_name);
  free(l->name);
  free(l->street);
  free(l->city);
  free(l->web);
  free(l->osm);
  free_directions(l);
  free(l);
}

static void free_strv(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void event_free(struct event *ev)
{
  if (!ev)
    return;
  free(ev->id);
  free(ev->uid);
  free(ev->path);
  free(ev->lang);
  for (size_t i = 0; i < ev->ntexts; i++) {
    free(ev->texts[i].lang);
    free(ev->texts[i].title);
    free(ev->texts[i].body);
    free(ev->texts[i].path);
  }
  free(ev->texts);
  free(ev->title);
  free(ev->date_text);
  free(ev->tz);
  free(ev->location_key);
  free(ev->online_url);
  for (size_t i = 0; i < ev->ntalks; i++) {
    struct talk *t = &ev->talks[i];
    free(t->title);
    free(t->abstract);
    free(t->slides);
    free(t->video);
    free(t->speaker);
    free(t->github);
    free(t->twitter);
    for (size_t k = 0; k < t->npeople; k++)
      person_release(&t->people[k]);
    free(t->people);
  }
  free(ev->talks);
  free_strv(ev->speakers, ev->nspeakers);
  for (size_t i = 0; i < ev->nlinks; i++) {
    free(ev->links[i].label);
    free(ev->links[i].url);
  }
  free(ev->links);
  free(ev->categories);
  free(ev->body);
  free(ev->body_src);
  free(ev->page_url);
  location_free(ev->own_loc);
  free(ev);
}

const char *event_link(const struct event *ev, const char *label)
{
  for (size_t i = 0; i < ev->nlinks; i++)
    if (strcasecmp(ev->links[i].label, label) == 0)
      return ev->links[i].url;
  return NULL;
}

void event_add_text(struct event *ev, const char *lang, struct event *tr)
{
  event_own_body(tr); /* cleaned now: a text keeps no source */
  ev->texts = xrealloc(ev->texts, (ev->ntexts + 1) * sizeof(*ev->texts));
  struct event_text *t = &ev->texts[ev->ntexts++];
  t->lang = xstrdup(lang);
  t->title = tr->title;
  t->body = tr->body;
  t->path = xstrdup(tr->path);
  tr->title = NULL;
  tr->body = NULL;
}

static const struct event_text *text_in(const struct event *ev,
                                        const char *lang)
{
  for (size_t i = 0; lang && i < ev->ntexts; i++)
    if (strcmp(ev->texts[i].lang, lang) == 0)
      return &ev->texts[i];
  return NULL;
}

const char *event_title(const struct event *ev, const char *lang)
{
  const struct event_text *t = text_in(ev, lang);
  return t && t->title ? t->title : ev->title;
}

bool event_has_text(const struct event *ev, const char *lang)
{
  return lang &&
         (text_in(ev, lang) || (ev->lang && strcmp(ev->lang, lang) == 0));
}

const char *event_body(const struct event *ev, const char *lang)
{
  const struct event_text *t = text_in(ev, lang);
  return t && t->body ? t->body : event_own_body(ev);
}

/* Finds the front matter: text must start with a "---" line; the block ends
 * at the next "---" (or "...") line. Sets the YAML span and body start. */
static int split_front_matter(const char *text, size_t len, size_t *ys,
                              size_t *ye, size_t *body, int *body_line)
{
  size_t i = 0;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    i = 3; /* a byte order mark */
  if (len - i < 3 || memcmp(text + i, "---", 3) != 0)
    return -1;
  i += 3;
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
    i++;
  if (i < len && text[i] != '\n')
    return -1;
  i++;
  *ys = i;
  int line = 2;
  while (i < len) {
    size_t eol = i;
    while (eol < len && text[eol] != '\n')
      eol++;
    size_t n = eol - i;
    while (n && (text[i + n - 1] == '\r' || text[i + n - 1] == ' '))
      n--;
    if (n == 3 &&
        (memcmp(text + i, "---", 3) == 0 || memcmp(text + i, "...", 3) == 0)) {
      *ye = i;
      *body = eol < len ? eol + 1 : eol;
      *body_line = line + 1;
      return 0;
    }
    i = eol + 1;
    line++;
  }
  return -2;
}

static char *node_text(const struct ynode *n)
{
  return (n && n->kind == Y_STR && !ynode_is_null(n)) ? xstrdup(n->str) : NULL;
}

/* What loading one event needs. */
struct ld {
  struct event *ev;
  const struct site_format *f;
  const struct config *cfg; /* may be NULL */
  const struct locations *locs;
  const struct ynode *fm;
  struct diags *d;
  struct event_info *info;
  bool data; /* an event of a data file */
};

static struct site_format default_format;
static bool default_format_set;

static const struct site_format *format_of(const struct config *cfg)
{
  if (cfg)
    return &cfg->fmt;
  if (!default_format_set) {
    sitefmt_init(&default_format);
    default_format_set = true;
  }
  return &default_format;
}

/* The node of field f (NULL when the site does not read it or the file
 * has none). */
static const struct ynode *fget(const struct ld *l, enum fld f)
{
  const char *p = l->f->fields[f];
  return p ? ypath_get(l->fm, p) : NULL;
}

/* The key of field f as this site writes it. */
static const char *fkey(const struct ld *l, enum fld f)
{
  return l->f->fields[f] ? l->f->fields[f] : fld_name(f);
}

/* The node of a string field: NULL when absent or null, or (after an
 * error) when it is not a string. */
static const struct ynode *str_node(const struct ld *l, enum fld f)
{
  const struct ynode *n = fget(l, f);
  if (!n || ynode_is_null(n))
    return NULL;
  if (n->kind != Y_STR) {
    diag_add(l->d, DIAG_ERROR, l->ev->path, n->line,
             "'%s' must be a string, not %s", fkey(l, f), ykind_name(n->kind));
    return NULL;
  }
  return n;
}

/* A string field's value (caller frees) and line (0 when absent). */
static char *fstr(const struct ld *l, enum fld f, int *line)
{
  const struct ynode *n = fget(l, f);
  if (line)
    *line = n ? n->line : 0;
  n = str_node(l, f);
  return n ? xstrdup(n->str) : NULL;
}

static void fbool(const struct ld *l, enum fld f, bool *out)
{
  const struct ynode *n = fget(l, f);
  if (n && !ynode_is_null(n) && !ynode_bool(n, out))
    diag_add(l->d, DIAG_ERROR, l->ev->path, n->line,
             "'%s' must be true or false, not '%s'", fkey(l, f),
             n->kind == Y_STR ? n->str : ykind_name(n->kind));
}

static void unknown_in(const struct ld *l, const struct ynode *map,
                       const char *const *known, size_t nknown,
                       const char *what)
{
  unknown_keys(map, known, nknown, what, DIAG_WARNING, l->ev->path, l->d);
}

/* A speaker: a name, or a map with name and handles, read into p (which
 * the caller zeroed and releases). */
static int read_person(const struct ld *l, const struct ynode *sp,
                       struct person *p)
{
  const char *file = l->ev->path;
  if (sp->kind == Y_STR) {
    if (!ynode_is_null(sp))
      p->name = xstrdup(sp->str);
    return 0;
  }
  if (sp->kind != Y_MAP)
    return diag_add(l->d, DIAG_ERROR, file, sp->line,
                    "a speaker must be a name or a map, not a list");
  unknown_in(l, sp, speaker_keys, NKEYS(speaker_keys), "speaker");
  int rc = 0;
  for (size_t k = 0; k < NKEYS(speaker_keys); k++)
    if (want_str(sp, speaker_keys[k], file, l->d) < 0)
      rc = -1;
  p->name = opt_str(sp, "name");
  p->github = opt_str(sp, "github");
  p->twitter = opt_str(sp, "twitter");
  p->mastodon = opt_str(sp, "mastodon");
  p->bluesky = opt_str(sp, "bluesky");
  p->url = opt_str(sp, "url");
  return rc;
}

static void person_release(struct person *p)
{
  free(p->name);
  free(p->github);
  free(p->twitter);
  free(p->mastodon);
  free(p->bluesky);
  free(p->url);
  memset(p, 0, sizeof(*p));
}

/* The name a speaker is shown by: the name, else a handle. */
static const char *person_shown(const struct person *p)
{
  return nonempty(p->name)       ? p->name
         : nonempty(p->github)   ? p->github
         : nonempty(p->twitter)  ? p->twitter
         : nonempty(p->mastodon) ? p->mastodon
                                 : p->bluesky;
}

/* Adds the speaker sp to the talk tk. */
static int add_speaker(const struct ld *l, const struct ynode *sp,
                       struct talk *tk, struct buf *names)
{
  struct person p = {0};
  int rc = read_person(l, sp, &p);
  const char *shown = person_shown(&p);
  if (!nonempty(shown)) {
    person_release(&p);
    return rc;
  }
  buf_addf(names, "%s%s", names->len ? ", " : "", shown);
  if (!tk->github && p.github)
    tk->github = xstrdup(p.github);
  if (!tk->twitter && p.twitter)
    tk->twitter = xstrdup(p.twitter);
  if (!p.name)
    p.name = xstrdup(shown);
  tk->people = xrealloc(tk->people, (tk->npeople + 1) * sizeof(*tk->people));
  tk->people[tk->npeople++] = p;
  return rc;
}

static int load_talks(struct ld *l, const struct ynode *t)
{
  struct event *ev = l->ev;
  const char *file = ev->path;
  bool b;
  ev->line_talks = t->line;
  if (ynode_bool(t, &b)) {
    if (b)
      return diag_add(l->d, DIAG_ERROR, file, t->line,
                      "'%s: true' means nothing: use a list of talks, [] "
                      "or false (an open space)",
                      fkey(l, FLD_TALKS));
    ev->talks_state = TALKS_OPEN;
    return 0;
  }
  if (ynode_is_null(t)) {
    ev->talks_state = TALKS_WANTED;
    return 0;
  }
  if (t->kind != Y_SEQ)
    return diag_add(l->d, DIAG_ERROR, file, t->line,
                    "'%s' must be a list of talks, [] or false, not %s",
                    fkey(l, FLD_TALKS), ykind_name(t->kind));
  ev->talks_state = t->n ? TALKS_LIST : TALKS_NONE;
  ev->talks = xcalloc(t->n, sizeof(*ev->talks));
  int rc = 0;
  for (size_t i = 0; i < t->n; i++) {
    const struct ynode *m = &t->items[i];
    if (m->kind != Y_MAP) {
      rc = diag_add(l->d, DIAG_ERROR, file, m->line,
                    "a talk must be a map with a title, not %s",
                    ykind_name(m->kind));
      continue;
    }
    unknown_in(l, m, talk_keys, NKEYS(talk_keys), "talk");
    for (size_t k = 0; k < NKEYS(talk_keys); k++)
      if (k != 1 && k != 5 && want_str(m, talk_keys[k], file, l->d) < 0)
        rc = -1;
    struct talk *tk = &ev->talks[ev->ntalks++];
    tk->title = opt_str(m, "title");
    tk->abstract = opt_str(m, "abstract");
    tk->slides = opt_str(m, "slides");
    tk->video = opt_str(m, "video");
    if (!tk->title)
      rc =
          diag_add(l->d, DIAG_ERROR, file, m->line, "a talk without a 'title'");
    struct buf names = BUF_INIT;
    const struct ynode *sp = ymap_get(m, "speaker");
    if (sp && sp->kind == Y_SEQ)
      rc = diag_add(l->d, DIAG_ERROR, file, sp->line,
                    "'speaker' must be a name or a map, not a list (use "
                    "'speakers' for several)");
    else if (sp && add_speaker(l, sp, tk, &names) < 0)
      rc = -1;
    const struct ynode *sps = ymap_get(m, "speakers");
    if (sps && sps->kind == Y_SEQ) {
      for (size_t k = 0; k < sps->n; k++)
        if (add_speaker(l, &sps->items[k], tk, &names) < 0)
          rc = -1;
    } else if (sps && !ynode_is_null(sps) &&
               add_speaker(l, sps, tk, &names) < 0) {
      rc = -1;
    }
    if (names.len)
      tk->speaker = buf_detach(&names);
    buf_release(&names);
  }
  return rc;
}

static int load_speakers(struct ld *l, const struct ynode *n)
{
  struct event *ev = l->ev;
  const struct ynode *items = n;
  size_t k = 1;
  if (ynode_is_null(n))
    return 0;
  if (n->kind == Y_SEQ) {
    items = n->items;
    k = n->n;
  }
  ev->speakers = xcalloc(k ? k : 1, sizeof(*ev->speakers));
  int rc = 0;
  for (size_t i = 0; i < k; i++) {
    struct person p = {0};
    if (read_person(l, &items[i], &p) < 0)
      rc = -1;
    const char *shown = person_shown(&p);
    if (nonempty(shown))
      ev->speakers[ev->nspeakers++] = xstrdup(shown);
    person_release(&p);
  }
  return rc;
}

static bool is_url(const char *s)
{
  return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static void add_link(struct event *ev, const char *label, const char *url,
                     int line)
{
  ev->links = xrealloc(ev->links, (ev->nlinks + 1) * sizeof(*ev->links));
  ev->links[ev->nlinks].label = xstrdup(label);
  ev->links[ev->nlinks].url = xstrdup(url);
  ev->links[ev->nlinks].line = line;
  ev->nlinks++;
}

static int load_links(struct ld *l, const struct ynode *n)
{
  struct event *ev = l->ev;
  ev->line_links = n->line;
  if (ynode_is_null(n))
    return 0;
  if (n->kind != Y_MAP)
    return diag_add(l->d, DIAG_ERROR, ev->path, n->line,
                    "'%s' must be a map from a label to a URL, not %s",
                    fkey(l, FLD_LINKS), ykind_name(n->kind));
  int rc = 0;
  for (size_t i = 0; i < n->n; i++) {
    const struct ynode *v = &n->items[i];
    if (v->kind != Y_STR || !v->str[0]) {
      rc = diag_add(l->d, DIAG_ERROR, ev->path, v->line,
                    "link '%s' must be a URL", n->keys[i].str);
      continue;
    }
    if (!is_url(v->str))
      diag_add(l->d, DIAG_WARNING, ev->path, v->line,
               "link '%s' is not an http(s) URL: '%s'", n->keys[i].str, v->str);
    add_link(ev, n->keys[i].str, v->str, n->keys[i].line);
  }
  return rc;
}

/* A link from its own key (site.fields.link, meetup). */
static void link_from(struct ld *l, const char *label, const char *path)
{
  struct event *ev = l->ev;
  const struct ynode *v = ypath_get(l->fm, path);
  if (!v || ynode_is_null(v))
    return;
  if (v->kind != Y_STR || !v->str[0]) {
    diag_add(l->d, DIAG_ERROR, ev->path, v->line, "'%s' must be a URL", path);
    return;
  }
  if (!is_url(v->str))
    diag_add(l->d, DIAG_WARNING, ev->path, v->line,
             "'%s' is not an http(s) URL: '%s'", path, v->str);
  const char *had = event_link(ev, label);
  if (had && strcmp(had, v->str) != 0)
    diag_add(l->d, DIAG_WARNING, ev->path, v->line,
             "'%s' gives another "
             "'%s' link than the links: %s (the first is used)",
             path, label, v->str);
  else if (!had)
    add_link(ev, label, v->str, v->line);
}

static void meetup_id(struct ld *l)
{
  const struct ynode *v = fget(l, FLD_MEETUP_ID);
  if (!v || ynode_is_null(v))
    return;
  const char *id = v->kind == Y_STR ? v->str : "";
  if (!*id || strspn(id, "0123456789") != strlen(id) || strlen(id) > 20) {
    diag_add(l->d, DIAG_ERROR, l->ev->path, v->line,
             "'%s' must be a Meetup.com event id (digits), not '%s'",
             fkey(l, FLD_MEETUP_ID), v->kind == Y_STR ? id : "a map");
    return;
  }
  if (!l->f->meetup_group) {
    diag_add(l->d, DIAG_WARNING, l->ev->path, v->line,
             "'%s' is not used: a link to the Meetup.com event needs the "
             "group of a meetup channel",
             fkey(l, FLD_MEETUP_ID));
    return;
  }
  struct buf url = BUF_INIT;
  buf_addf(&url, "https://www.meetup.com/%s/events/%s/", l->f->meetup_group,
           id);
  if (!event_link(l->ev, LINK_MEETUP))
    add_link(l->ev, LINK_MEETUP, url.data, v->line);
  buf_release(&url);
}

/* ---- the place ---- */

static struct location *own_place(struct event *ev)
{
  if (!ev->own_loc) {
    ev->own_loc = xcalloc(1, sizeof(*ev->own_loc));
    ev->own_loc->key = xstrdup("");
  }
  ev->loc = ev->own_loc;
  return ev->own_loc;
}

static void set_str(char **slot, const char *v)
{
  free(*slot);
  *slot = v ? xstrdup(v) : NULL;
}

/* "Café Central, Hauptstr. 1, Köln": the name, then the address. */
static void place_from_text(struct event *ev, const char *text)
{
  struct location *p = own_place(ev);
  const char *comma = strstr(text, ", ");
  if (comma) {
    free(p->name);
    p->name = xstrndup(text, (size_t)(comma - text));
    set_str(&p->street, comma + 2);
  } else {
    set_str(&p->name, text);
  }
}

static void place_from_map(struct ld *l, const struct ynode *m)
{
  struct event *ev = l->ev;
  unknown_in(l, m, place_keys, NKEYS(place_keys), "place");
  for (size_t k = 0; k < NKEYS(place_keys); k++)
    if (strcmp(place_keys[k], "directions") != 0)
      want_str(m, place_keys[k], ev->path, l->d);
  struct location *p = own_place(ev);
  read_directions(p, ymap_get(m, "directions"), ev->path, l->d);
  /* each part under its name, or the name other sites give it */
  static const struct {
    const char *key, *alt;
    size_t off;
  } parts[] = {
      {"name", "title", offsetof(struct location, name)},
      {"short", NULL, offsetof(struct location, short_name)},
      {"address", "street", offsetof(struct location, street)},
      {"city", NULL, offsetof(struct location, city)},
      {"url", "web", offsetof(struct location, web)},
      {"osm", "map", offsetof(struct location, osm)},
  };
  for (size_t i = 0; i < NKEYS(parts); i++) {
    char *v = opt_str(m, parts[i].key);
    if (!v && parts[i].alt)
      v = opt_str(m, parts[i].alt);
    if (!v)
      continue;
    char **slot = (char **)((char *)p + parts[i].off);
    free(*slot);
    *slot = v;
  }
}

static void load_place(struct ld *l)
{
  struct event *ev = l->ev;
  const char *path = ev->path;
  const struct ynode *n = fget(l, FLD_LOCATION);
  if (n && !ynode_is_null(n)) {
    ev->line_location = n->line;
    if (n->kind == Y_MAP) {
      place_from_map(l, n);
    } else if (n->kind != Y_STR) {
      diag_add(l->d, DIAG_ERROR, path, n->line,
               "'%s' must be a key of the "
               "locations file, a text or a map with name, address, city "
               "and url, not %s",
               fkey(l, FLD_LOCATION), ykind_name(n->kind));
    } else if (l->f->places == PLACES_TEXT) {
      place_from_text(ev, n->str);
    } else {
      ev->location_key = xstrdup(n->str);
      const struct locations *locs = l->locs;
      if (locs) {
        ev->loc = locations_find(locs, n->str);
        if (!ev->loc) {
          const char **keys = xcalloc(locs->n, sizeof(*keys));
          for (size_t i = 0; i < locs->n; i++)
            keys[i] = locs->v[i].key;
          const char *near = closest_word(n->str, keys, locs->n);
          diag_add(l->d, DIAG_ERROR, path, n->line,
                   "location '%s' is not in %s%s%s%s", n->str,
                   locs->path ? locs->path : "the locations file",
                   near ? " (did you mean '" : "", near ? near : "",
                   near ? "'?)"
                        : " (to write places as text, set "
                          "site.places: text)");
          free(keys);
        }
      }
    }
  }
  /* parts of the place from keys of their own */
  static const enum fld parts[] = {FLD_PLACE_NAME, FLD_PLACE_ADDRESS,
                                   FLD_PLACE_CITY, FLD_PLACE_URL};
  for (size_t i = 0; i < NKEYS(parts); i++) {
    int line;
    char *v = fstr(l, parts[i], &line);
    if (!v)
      continue;
    if (ev->location_key && ev->loc) {
      diag_add(l->d, DIAG_WARNING, path, line,
               "'%s' is not used: the "
               "place is '%s' of the locations file",
               fkey(l, parts[i]), ev->location_key);
      free(v);
      continue;
    }
    if (!ev->line_location)
      ev->line_location = line;
    struct location *p = own_place(ev);
    char **slot = parts[i] == FLD_PLACE_NAME      ? &p->name
                  : parts[i] == FLD_PLACE_ADDRESS ? &p->street
                  : parts[i] == FLD_PLACE_CITY    ? &p->city
                                                  : &p->web;
    free(*slot);
    *slot = v;
  }
  if (ev->own_loc && !ev->own_loc->name) {
    diag_add(l->d, DIAG_ERROR, path, ev->line_location,
             "the place has no name ('%s' or name:)", fkey(l, FLD_PLACE_NAME));
  }
  int line;
  char *online = fstr(l, FLD_ONLINE, &line);
  if (online) {
    if (!is_url(online))
      diag_add(l->d, DIAG_ERROR, path, line,
               "'%s' must be the http(s) URL "
               "to join online, not '%s'",
               fkey(l, FLD_ONLINE), online);
    ev->online_url = online;
  }
}

/* ---- the start ---- */

static void load_start(struct ld *l)
{
  struct event *ev = l->ev;
  const char *path = ev->path;
  size_t before = l->d->n;
  /* strings all: YAML reads 2024-09-11 as text here */
  const struct ynode *dn = str_node(l, FLD_DATE);
  const struct ynode *tn = str_node(l, FLD_TIME);
  const struct ynode *zn = str_node(l, FLD_TIMEZONE);
  if (l->d->n > before)
    return;
  struct evdate_in in = {dn ? dn->str : NULL, tn ? tn->str : NULL,
                         zn ? zn->str : NULL, ev->id, l->f->default_time};
  if (!dn) {
    const char *base = strrchr(path, '/');
    in.name_date = base ? base + 1 : path;
    if (strlen(ev->id) >= 10 && isdigit((unsigned char)ev->id[0]))
      in.name_date = ev->id;
  }
  struct evdate out;
  struct buf warn = BUF_INIT;
  struct err e;
  int rc = evdate_parse(&in, &out, &warn, &e);
  ev->line_date = dn ? dn->line : tn ? tn->line : 0;
  if (dn)
    ev->date_text = xstrdup(dn->str);
  int line = out.bad == EVDATE_TIME && tn   ? tn->line
             : out.bad == EVDATE_ZONE && zn ? zn->line
                                            : ev->line_date;
  if (l->info) {
    l->info->y = out.y;
    l->info->m = out.m;
    l->info->d = out.d;
    str_copy(l->info->form, sizeof(l->info->form), out.form);
    struct buf ex = BUF_INIT;
    if (dn)
      buf_addf(&ex, "%s: '%s'", fkey(l, FLD_DATE), dn->str);
    if (tn)
      buf_addf(&ex, "%s%s: '%s'", dn ? ", " : "", fkey(l, FLD_TIME), tn->str);
    str_copy(l->info->example, sizeof(l->info->example), ex.data);
    buf_release(&ex);
    l->info->date_line = line;
  }
  if (rc < 0) {
    if (l->info)
      l->info->date_diag = l->d->n;
    if (!dn && !out.from_name && strcmp(e.msg, "no date") == 0)
      diag_add(l->d, DIAG_ERROR, path, 2, "no '%s'", fkey(l, FLD_DATE));
    else if (!dn && out.from_name && !tn)
      diag_add(l->d, DIAG_ERROR, path, 2,
               "no '%s' (the file name gives "
               "%04d-%02d-%02d, but not the time: add '%s' with the time, "
               "or set site.default_time)",
               fkey(l, FLD_DATE), out.y, out.m, out.d, fkey(l, FLD_DATE));
    else
      diag_add(l->d, DIAG_ERROR, path, line, "%s", e.msg);
  } else {
    ev->start = out.start;
    if (out.zone[0])
      ev->tz = xstrdup(out.zone);
    if (warn.len)
      diag_add(l->d, DIAG_WARNING, path, line, "%s", warn.data);
  }
  buf_release(&warn);
}

/* "HH:MM" or "HH:MM:SS": the seconds since midnight, or -1. */
static long time_of_day(const char *s)
{
  size_t n = strlen(s);
  if ((n != 5 && n != 8) || s[2] != ':' || (n == 8 && s[5] != ':'))
    return -1;
  int f[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i += 3) {
    if (s[i] < '0' || s[i] > '9' || s[i + 1] < '0' || s[i + 1] > '9')
      return -1;
    f[i / 3] = (s[i] - '0') * 10 + (s[i + 1] - '0');
  }
  if (f[0] > 23 || f[1] > 59 || f[2] > 59)
    return -1;
  return f[0] * 3600L + f[1] * 60L + f[2];
}

/* The end (site.fields end, default 'end:'): a time of day on the start's
 * day, or the next day when it is not after the start; or a date and time
 * as dates are written. Or the duration (site.fields duration, default
 * 'duration:'): 2h, 1h30m. Sets ev->end; needs ev->start. */
static void load_end(struct ld *l, bool have_start)
{
  struct event *ev = l->ev;
  const struct ynode *en = fget(l, FLD_END), *du = fget(l, FLD_DURATION);
  if (en && ynode_is_null(en))
    en = NULL;
  if (du && ynode_is_null(du))
    du = NULL;
  if (!en && !du)
    return;
  const struct ynode *n = en ? en : du;
  const char *key = fkey(l, en ? FLD_END : FLD_DURATION);
  ev->line_end = n->line;
  if (en && du) {
    diag_add(l->d, DIAG_ERROR, ev->path, du->line,
             "give '%s' or '%s', not "
             "both",
             fkey(l, FLD_END), fkey(l, FLD_DURATION));
    return;
  }
  if (n->kind != Y_STR) {
    diag_add(l->d, DIAG_ERROR, ev->path, n->line, "'%s' must be %s, not %s",
             key,
             en ? "a time such as 21:30"
                : "a duration such as 2h or "
                  "1h30m",
             ykind_name(n->kind));
    return;
  }
  if (!have_start)
    return; /* the date has its own error */
  struct err e;
  struct buf warn = BUF_INIT;
  time_t end = 0;
  if (du) {
    long secs = 0;
    if (when_parse_duration(n->str, &secs, &e) < 0) {
      diag_add(l->d, DIAG_ERROR, ev->path, n->line, "'%s': %s", key, e.msg);
      goto out;
    }
    end = ev->start + secs;
  } else if (time_of_day(n->str) >= 0) {
    long tod = time_of_day(n->str);
    struct tm tm;
    when_local(ev->start, &tm);
    for (int next = 0; next < 2 && end <= ev->start; next++) {
      int k = when_from_local(tm.tm_year + 1900, tm.tm_mon + 1,
                              tm.tm_mday + next, (int)(tod / 3600),
                              (int)(tod / 60 % 60), (int)(tod % 60), &end);
      if (k == 0) {
        diag_add(l->d, DIAG_ERROR, ev->path, n->line,
                 "'%s: %s' does not "
                 "exist on that day in %s (the clocks skip it)",
                 key, n->str, when_zone());
        goto out;
      }
    }
  } else if (evdate_parse_str(n->str, &end, &warn, &e) < 0) {
    diag_add(l->d, DIAG_ERROR, ev->path, n->line,
             "'%s': %s (or a time of "
             "day such as 21:30)",
             key, e.msg);
    goto out;
  } else if (warn.len) {
    diag_add(l->d, DIAG_WARNING, ev->path, n->line, "'%s': %s", key, warn.data);
  }
  if (end <= ev->start) {
    diag_add(l->d, DIAG_ERROR, ev->path, n->line,
             "the event ends ('%s') "
             "before it starts ('%s')",
             n->str, ev->date_text ? ev->date_text : "its date");
    goto out;
  }
  if (end - ev->start > 86400)
    diag_add(l->d, DIAG_WARNING, ev->path, n->line,
             "the event lasts more "
             "than a day (%s: %s); is that meant?",
             key, n->str);
  ev->end = end;
out:
  buf_release(&warn);
}

/* ---- the body ---- */

struct post_ctx {
  const struct config *cfg;
};

/* The page of another post (Liquid's post_url): its date and slug. */
static void post_page(void *ud, const char *id, struct buf *out)
{
  const struct config *cfg = ((struct post_ctx *)ud)->cfg;
  struct event ev = {.id = (char *)id};
  int y, m, d;
  if (event_id_date(id, &y, &m, &d, NULL))
    when_from_local(y, m, d, 12, 0, 0, &ev.start);
  site_event_url(cfg, &ev, out);
}

/* Whether text may hold a link markup_clean resolves: "](" or "]:"
 * (Markdown), "src=" or "href=" (HTML, any case). */
static bool has_links(const char *text, size_t len)
{
  const char *end = text + len;
  for (const char *p = text; (p = memchr(p, ']', (size_t)(end - p)));) {
    if (++p < end && (*p == '(' || *p == ':'))
      return true;
  }
  for (const char *p = text; (p = memchr(p, '=', (size_t)(end - p))); p++) {
    if (p - text >= 2 && (((p[-2] | 0x20) == 'r' && (p[-1] | 0x20) == 'c') ||
                          ((p[-2] | 0x20) == 'e' && (p[-1] | 0x20) == 'f')))
      return true;
  }
  return false;
}

/* An event's body as written, and what cleaning it needs: kept by the
 * load, cleaned by event_own_body when first asked. A cron run that
 * renders nothing spent a tenth of its instructions cleaning the bodies
 * of every event of the site. */
struct body_src {
  const struct config *cfg; /* outlives the event */
  size_t len;
  const char *page; /* the directory of the event's page, when the text
                       has links and the site a URL; else NULL */
  const char *title;
  bool keep;
  char text[]; /* then page and title: one allocation */
};

const char *event_own_body(const struct event *ev)
{
  struct body_src *s = ev->body_src;
  if (!s)
    return ev->body;
  struct post_ctx pc = {s->cfg};
  struct markup_ctx mc = {.base = s->cfg ? s->cfg->site_url : NULL,
                          .page = s->page,
                          .title = s->title,
                          .keep = s->keep,
                          .post_url = s->cfg ? post_page : NULL,
                          .ud = &pc};
  struct buf b = BUF_INIT;
  markup_clean(&mc, s->text, s->len, &b);
  /* filled on first use through a const event, as event_hash is */
  struct event *e = (struct event *)ev;
  free(e->body);
  e->body = buf_detach(&b);
  free(s);
  e->body_src = NULL;
  return e->body;
}

/* Keeps the body as written, with what cleaning it (a generator's markup
 * made Markdown, relative links resolved) needs; warns about control
 * characters now. */
static void set_body(struct ld *l, const char *text, size_t len, int line0)
{
  struct event *ev = l->ev;
  struct buf page = BUF_INIT;
  /* links relative to the event's page resolve as they do there: against
   * the page's directory (worked out only for a text that has links) */
  if (l->cfg && l->cfg->site_url && has_links(text, len)) {
    site_event_url(l->cfg, ev, &page);
    size_t k = page.len;
    while (k && page.data[k - 1] != '/')
      k--;
    buf_truncate(&page, k);
  }
  size_t tl = ev->title ? strlen(ev->title) + 1 : 0;
  size_t pl = page.len ? page.len + 1 : 0;
  struct body_src *s = xmalloc(sizeof(*s) + len + 1 + pl + tl);
  *s = (struct body_src){.cfg = l->cfg, .len = len, .keep = l->f->keep_markup};
  memcpy(s->text, text, len);
  s->text[len] = '\0';
  char *more = s->text + len + 1;
  if (pl) {
    s->page = memcpy(more, page.data, pl);
    more += pl;
  }
  if (tl)
    s->title = memcpy(more, ev->title, tl);
  buf_release(&page);
  free(ev->body);
  ev->body = NULL;
  free(ev->body_src);
  ev->body_src = s;
  size_t at;
  if (term_find_control(text, len, &at)) {
    int bl = line0;
    for (size_t i = 0; i < at; i++)
      bl += text[i] == '\n';
    diag_add(l->d, DIAG_WARNING, ev->path, bl,
             "control character U+%04X "
             "in the text (crier shows it escaped; remove it)",
             control_at(text, at));
  }
}

/* ---- one event ---- */

/* The fields of an event from its front matter (or data file entry) fm;
 * the body is set by the caller. */
static void load_fields(struct ld *l)
{
  struct event *ev = l->ev;
  const char *path = ev->path;
  const struct ynode *fm = l->fm;
  /* unknown keys, with a hint that points the right way */
  for (size_t i = 0; i < fm->n; i++) {
    const char *k = fm->keys[i].str;
    if (sitefmt_known_key(l->f, k) ||
        (l->data && !l->f->fields[FLD_BODY] && strcmp(k, "body") == 0))
      continue;
    struct buf hint = BUF_INIT;
    sitefmt_hint(l->f, k, &hint);
    diag_add(l->d, DIAG_WARNING, path, fm->keys[i].line,
             "unknown front-matter key '%s' (%s)", k, hint.data);
    buf_release(&hint);
  }
  warn_controls(fm, path, l->d);

  const struct ynode *n = fget(l, FLD_TITLE);
  if (!n || ynode_is_null(n)) {
    struct buf hint = BUF_INIT;
    if (strcmp(fkey(l, FLD_TITLE), "title") != 0)
      buf_addf(&hint, " (site.fields.title)");
    diag_add(l->d, DIAG_ERROR, path, n ? n->line : 2, "no '%s'%s",
             fkey(l, FLD_TITLE), hint.data);
    buf_release(&hint);
  } else if (n->kind != Y_STR) {
    diag_add(l->d, DIAG_ERROR, path, n->line, "'%s' must be a string, not %s",
             fkey(l, FLD_TITLE), ykind_name(n->kind));
  } else {
    ev->title = xstrdup(n->str);
    ev->line_title = n->line;
  }
  size_t errors_before_start = l->d->errors;
  load_start(l);
  load_end(l, l->d->errors == errors_before_start && ev->start != 0);
  load_place(l);
  n = fget(l, FLD_TALKS);
  if (n)
    load_talks(l, n);
  else
    ev->talks_state = TALKS_WANTED;
  n = fget(l, FLD_SPEAKERS);
  if (n)
    load_speakers(l, n);
  n = fget(l, FLD_LINKS);
  if (n)
    load_links(l, n);
  for (size_t i = 0; i < l->f->nlinks; i++)
    link_from(l, l->f->links[i].label, l->f->links[i].path);
  if (l->f->fields[FLD_MEETUP])
    link_from(l, LINK_MEETUP, l->f->fields[FLD_MEETUP]);
  meetup_id(l);
  n = fget(l, FLD_CATEGORIES);
  if (n && n->kind == Y_STR) {
    ev->categories = node_text(n);
  } else if (n && n->kind == Y_SEQ) {
    struct buf c = BUF_INIT;
    for (size_t i = 0; i < n->n; i++)
      if (n->items[i].kind == Y_STR)
        buf_addf(&c, "%s%s", c.len ? " " : "", n->items[i].str);
    ev->categories = buf_detach(&c);
  }
  int line;
  ev->page_url = fstr(l, FLD_URL, &line);
  fbool(l, FLD_CANCELLED, &ev->cancelled);
  /* Jekyll's drafts: published: false, or draft: true (Hugo) */
  bool published = true, draft = false;
  fbool(l, FLD_PUBLISHED, &published);
  fbool(l, FLD_DRAFT, &draft);
  ev->unpublished = !published || draft;
}

/* What the site says a missing program means, once the body is known. */
static void program(struct ld *l)
{
  struct event *ev = l->ev;
  if (ev->talks_state != TALKS_WANTED || ev->line_talks ||
      l->f->talks_missing != MISSING_TALKS_DESCRIPTION)
    return; /* the body is not asked (nor cleaned) */
  bool has_body = false;
  const char *body = event_own_body(ev);
  for (const char *p = body ? body : ""; *p && !has_body; p++)
    has_body = *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t';
  ev->program_in_body = has_body;
}

static struct event *finish(struct ld *l, size_t errors)
{
  struct event *ev = l->ev;
  if (l->d->errors > errors) {
    event_free(ev);
    return NULL;
  }
  program(l);
  return ev;
}

static struct event *new_event(const char *path, const char *id,
                               const struct site_format *f)
{
  struct event *ev = xcalloc(1, sizeof(*ev));
  ev->path = xstrdup(path);
  const char *lang = NULL;
  if (id && f->translations) /* the language is in the file's name */
    free(sitefmt_file_id(f, path, &lang));
  ev->id = id ? xstrdup(id) : sitefmt_file_id(f, path, &lang);
  if (lang)
    ev->lang = xstrdup(lang);
  else if (f->translations && f->translations[0])
    ev->lang = xstrdup(f->translations[0]);
  return ev;
}

static void info_init(struct event_info *info)
{
  if (info) {
    memset(info, 0, sizeof(*info));
    info->date_diag = SIZE_MAX;
  }
}

struct event *event_load(const char *path, const struct config *cfg,
                         const struct locations *locs, struct diags *d)
{
  struct buf text = BUF_INIT;
  struct err e;
  if (file_read(path, FILE_MAX, &text, &e) < 0) {
    diag_add(d, DIAG_ERROR, path, 0, "%s",
             strncmp(e.msg, path, strlen(path)) == 0 ? e.msg + strlen(path) + 2
                                                     : e.msg);
    buf_release(&text);
    return NULL;
  }
  struct event *ev =
      event_parse(path, NULL, text.data, text.len, cfg, locs, d, NULL);
  buf_release(&text);
  return ev;
}

/* The front matter of data[0..len) as a map (NULL after an error); the
 * body's offset and first line. */
static struct ynode *front_matter(const char *path, const char *data,
                                  size_t len, size_t *body, int *body_line,
                                  struct diags *d)
{
  size_t ys, ye;
  int line;
  const char *why;
  if (len > FILE_MAX) {
    diag_add(d, DIAG_ERROR, path, 0, "larger than the limit of %zu bytes",
             FILE_MAX);
    return NULL;
  }
  if (utf8_check(data, len, &line, &why) < 0) {
    diag_add(d, DIAG_ERROR, path, line, "%s", why);
    return NULL;
  }
  int fmrc = split_front_matter(data, len, &ys, &ye, body, body_line);
  if (fmrc == -1) {
    diag_add(d, DIAG_ERROR, path, 1,
             "no YAML front matter (the file must start with a '---' line)");
    return NULL;
  }
  if (fmrc == -2) {
    diag_add(d, DIAG_ERROR, path, 1,
             "the front matter is not closed by a '---' line");
    return NULL;
  }
  struct ynode *fm = yamlx_parse(data + ys, ye - ys, path, 1, d);
  if (fm && fm->kind != Y_MAP) {
    diag_add(d, DIAG_ERROR, path, 2,
             "the front matter must be a map of "
             "fields, not %s",
             ykind_name(fm->kind));
    ynode_free(fm);
    return NULL;
  }
  return fm;
}

/* The body: the text after the front matter, or a key of its own. */
static void file_body(struct ld *l, const char *data, size_t len, size_t body,
                      int body_line)
{
  const struct ynode *bn = fget(l, FLD_BODY);
  if (bn && bn->kind == Y_STR && !ynode_is_null(bn))
    set_body(l, bn->str, strlen(bn->str), bn->line);
  else
    set_body(l, data + body, len - body, body_line);
}

struct event *event_parse(const char *path, const char *id, const char *data,
                          size_t len, const struct config *cfg,
                          const struct locations *locs, struct diags *d,
                          struct event_info *info)
{
  const struct site_format *f = format_of(cfg);
  struct ld l = {new_event(path, id, f), f, cfg, locs, NULL, d, info, false};
  size_t errors = d->errors, body = 0;
  int body_line = 0;
  info_init(info);
  struct ynode *fm = front_matter(path, data, len, &body, &body_line, d);
  if (fm) {
    l.ev->line_body = body_line;
    l.fm = fm;
    load_fields(&l);
    file_body(&l, data, len, body, body_line);
  }
  ynode_free(fm);
  return finish(&l, errors);
}

struct event *event_parse_text(const char *path, const char *id,
                               const char *data, size_t len,
                               const struct config *cfg, struct diags *d)
{
  const struct site_format *f = format_of(cfg);
  struct ld l = {new_event(path, id, f), f, cfg, NULL, NULL, d, NULL, false};
  size_t body = 0;
  int body_line = 0;
  struct ynode *fm = front_matter(path, data, len, &body, &body_line, d);
  if (!fm) {
    event_free(l.ev);
    return NULL;
  }
  l.fm = fm;
  int line;
  l.ev->title = fstr(&l, FLD_TITLE, &line);
  l.ev->line_title = line;
  file_body(&l, data, len, body, body_line);
  ynode_free(fm);
  return l.ev;
}

struct event *event_from_map(const char *path, const char *id,
                             const struct ynode *map, const struct config *cfg,
                             const struct locations *locs, struct diags *d,
                             struct event_info *info)
{
  const struct site_format *f = format_of(cfg);
  struct ld l = {new_event(path, id, f), f, cfg, locs, map, d, info, true};
  size_t errors = d->errors;
  info_init(info);
  load_fields(&l);
  const char *bp = f->fields[FLD_BODY] ? f->fields[FLD_BODY] : "body";
  const struct ynode *bn = ypath_get(map, bp);
  if (bn && bn->kind == Y_STR && !ynode_is_null(bn)) {
    set_body(&l, bn->str, strlen(bn->str), bn->line);
    l.ev->line_body = bn->line;
  } else {
    l.ev->body = xstrdup("");
    if (bn && !ynode_is_null(bn))
      diag_add(d, DIAG_ERROR, path, bn->line,
               "'%s' must be Markdown text, "
               "not %s",
               bp, ykind_name(bn->kind));
  }
  return finish(&l, errors);
}

char *event_snapshot(const struct event *ev)
{
  json_t *links = json_array();
  for (size_t i = 0; i < ev->nlinks; i++)
    json_array_append_new(
        links, json_pack("[s, s]", ev->links[i].label, ev->links[i].url));
  json_t *j = json_pack(
      "{s:s, s:s, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o}", "id", ev->id,
      "title", ev->title ? ev->title : "", "start", (json_int_t)ev->start,
      "location", ev->location_key, "place", ev->loc ? ev->loc->name : NULL,
      "street", ev->loc ? ev->loc->street : NULL, "city",
      ev->loc ? ev->loc->city : NULL, "path", ev->path, "categories",
      ev->categories, "links", links);
  /* only when there are: snapshots of other events stay as they were */
  if (ev->end)
    json_object_set_new(j, "end", json_integer((json_int_t)ev->end));
  if (ev->online_url)
    json_object_set_new(j, "online", json_string(ev->online_url));
  if (ev->tz)
    json_object_set_new(j, "tz", json_string(ev->tz));
  if (ev->loc && ev->loc == ev->own_loc && !ev->own_loc->online)
    json_object_set_new(j, "place_inline", json_true());
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(j);
  return s;
}

void event_set_uid(struct event *ev, const char *uid)
{
  free(ev->uid);
  ev->uid = uid && strcmp(uid, ev->id) != 0 ? xstrdup(uid) : NULL;
}

static char *jstr(json_t *o, const char *k)
{
  const char *v = json_string_value(json_object_get(o, k));
  return v ? xstrdup(v) : NULL;
}

struct event *event_from_snapshot(const char *text)
{
  json_t *j = json_loads(text, 0, NULL);
  if (!json_is_object(j) || !json_is_string(json_object_get(j, "id")) ||
      !json_is_integer(json_object_get(j, "start"))) {
    json_decref(j);
    return NULL;
  }
  struct event *ev = xcalloc(1, sizeof(*ev));
  ev->id = jstr(j, "id");
  ev->path = jstr(j, "path");
  if (!ev->path)
    ev->path = xstrdup(ev->id);
  ev->title = jstr(j, "title");
  ev->start = (time_t)json_integer_value(json_object_get(j, "start"));
  ev->end = (time_t)json_integer_value(json_object_get(j, "end"));
  if (ev->end <= ev->start)
    ev->end = 0;
  ev->location_key = jstr(j, "location");
  ev->categories = jstr(j, "categories");
  ev->body = xstrdup("");
  json_t *links = json_object_get(j, "links");
  size_t nl = json_array_size(links);
  ev->links = xcalloc(nl ? nl : 1, sizeof(*ev->links));
  for (size_t i = 0; i < nl; i++) {
    json_t *l = json_array_get(links, i);
    const char *label = json_string_value(json_array_get(l, 0));
    const char *url = json_string_value(json_array_get(l, 1));
    if (!label || !url)
      continue;
    ev->links[ev->nlinks].label = xstrdup(label);
    ev->links[ev->nlinks++].url = xstrdup(url);
  }
  ev->talks_state = TALKS_NONE;
  if (json_is_string(json_object_get(j, "place"))) {
    ev->own_loc = xcalloc(1, sizeof(*ev->own_loc));
    ev->own_loc->key =
        ev->location_key ? xstrdup(ev->location_key) : xstrdup("");
    ev->own_loc->name = jstr(j, "place");
    ev->own_loc->street = jstr(j, "street");
    ev->own_loc->city = jstr(j, "city");
    ev->own_loc->online = !ev->own_loc->street &&
                          !json_is_true(json_object_get(j, "place_inline"));
    ev->loc = ev->own_loc;
  }
  ev->online_url = jstr(j, "online");
  ev->tz = jstr(j, "tz");
  json_decref(j);
  return ev;
}
