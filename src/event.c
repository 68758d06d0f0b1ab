#include "event.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "evdate.h"
#include "term.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"
#include "yamlx.h"

/* ---- locations ---- */

static const char *const location_keys[] = {
    "short", "name", "street", "city", "web", "osm", "directions"};

static char *opt_str(const struct ynode *map, const char *key)
{
  const struct ynode *v = ymap_get(map, key);
  if (!v || v->kind != Y_STR || ynode_is_null(v))
    return NULL;
  return xstrdup(v->str);
}

static int want_str(const struct ynode *map, const char *key,
                    const char *file, struct diags *d)
{
  const struct ynode *v = ymap_get(map, key);
  if (v && v->kind != Y_STR)
    return diag_add(d, DIAG_ERROR, file, v->line,
                    "'%s' must be a string, not %s", key, ykind_name(v->kind));
  return 0;
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
      diag_add(d, sev, file, map->keys[i].line, "unknown %s key '%s'", what,
               k);
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
             "not %s", ykind_name(root->kind));
    goto out;
  }
  l->v = xcalloc(root->n, sizeof(*l->v));
  for (size_t i = 0; i < root->n; i++) {
    const struct ynode *m = &root->items[i];
    if (m->kind != Y_MAP) {
      diag_add(d, DIAG_ERROR, path, m->line, "location '%s' must be a map, "
               "not %s", root->keys[i].str, ykind_name(m->kind));
      continue;
    }
    for (size_t k = 0; k < sizeof(location_keys) / sizeof(*location_keys); k++)
      want_str(m, location_keys[k], path, d);
    unknown_keys(m, location_keys, sizeof(location_keys) / sizeof(*location_keys),
                 "location", DIAG_WARNING, path, d);
    struct location *loc = &l->v[l->n++];
    loc->key = xstrdup(root->keys[i].str);
    loc->line = root->keys[i].line;
    loc->short_name = opt_str(m, "short");
    loc->name = opt_str(m, "name");
    loc->street = opt_str(m, "street");
    loc->city = opt_str(m, "city");
    loc->web = opt_str(m, "web");
    loc->osm = opt_str(m, "osm");
    loc->directions = opt_str(m, "directions");
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
    free(loc->directions);
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

static const char *const event_keys[] = {
    "title", "date", "categories", "links", "location", "talks",
    "cancelled", "layout", "tags", "published", "draft"};
static const char *const talk_keys[] = {"title", "speaker", "abstract",
                                        "slides", "video"};
static const char *const speaker_keys[] = {"name", "github", "twitter"};

#define NKEYS(a) (sizeof(a) / sizeof(*(a)))

void event_free(struct event *ev)
{
  if (!ev)
    return;
  free(ev->id);
  free(ev->uid);
  free(ev->path);
  free(ev->title);
  free(ev->date_text);
  free(ev->location_key);
  for (size_t i = 0; i < ev->ntalks; i++) {
    struct talk *t = &ev->talks[i];
    free(t->title);
    free(t->abstract);
    free(t->slides);
    free(t->video);
    free(t->speaker);
    free(t->github);
    free(t->twitter);
  }
  free(ev->talks);
  for (size_t i = 0; i < ev->nlinks; i++) {
    free(ev->links[i].label);
    free(ev->links[i].url);
  }
  free(ev->links);
  free(ev->categories);
  free(ev->body);
  if (ev->own_loc) {
    free(ev->own_loc->key);
    free(ev->own_loc->name);
    free(ev->own_loc->street);
    free(ev->own_loc->city);
    free(ev->own_loc);
  }
  free(ev);
}

const char *event_link(const struct event *ev, const char *label)
{
  for (size_t i = 0; i < ev->nlinks; i++)
    if (strcasecmp(ev->links[i].label, label) == 0)
      return ev->links[i].url;
  return NULL;
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
    if (n == 3 && (memcmp(text + i, "---", 3) == 0 ||
                   memcmp(text + i, "...", 3) == 0)) {
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

static int load_talks(struct event *ev, const struct ynode *t,
                      struct diags *d)
{
  const char *file = ev->path;
  bool b;
  ev->line_talks = t->line;
  if (ynode_bool(t, &b)) {
    if (b)
      return diag_add(d, DIAG_ERROR, file, t->line,
                      "'talks: true' means nothing: use a list of talks, [] "
                      "or false (an open space)");
    ev->talks_state = TALKS_OPEN;
    return 0;
  }
  if (ynode_is_null(t)) {
    ev->talks_state = TALKS_WANTED;
    return 0;
  }
  if (t->kind != Y_SEQ)
    return diag_add(d, DIAG_ERROR, file, t->line,
                    "'talks' must be a list of talks, [] or false, not %s",
                    ykind_name(t->kind));
  ev->talks_state = t->n ? TALKS_LIST : TALKS_NONE;
  ev->talks = xcalloc(t->n, sizeof(*ev->talks));
  int rc = 0;
  for (size_t i = 0; i < t->n; i++) {
    const struct ynode *m = &t->items[i];
    if (m->kind != Y_MAP) {
      rc = diag_add(d, DIAG_ERROR, file, m->line,
                    "a talk must be a map with a title, not %s",
                    ykind_name(m->kind));
      continue;
    }
    unknown_keys(m, talk_keys, NKEYS(talk_keys), "talk", DIAG_WARNING, file,
                 d);
    for (size_t k = 0; k < NKEYS(talk_keys); k++)
      if (k != 1 && want_str(m, talk_keys[k], file, d) < 0)
        rc = -1;
    struct talk *tk = &ev->talks[ev->ntalks++];
    tk->title = opt_str(m, "title");
    tk->abstract = opt_str(m, "abstract");
    tk->slides = opt_str(m, "slides");
    tk->video = opt_str(m, "video");
    if (!tk->title)
      rc = diag_add(d, DIAG_ERROR, file, m->line, "a talk without a 'title'");
    const struct ynode *sp = ymap_get(m, "speaker");
    if (sp && sp->kind == Y_STR) {
      tk->speaker = node_text(sp);
    } else if (sp && sp->kind == Y_MAP) {
      unknown_keys(sp, speaker_keys, NKEYS(speaker_keys), "speaker",
                   DIAG_WARNING, file, d);
      for (size_t k = 0; k < NKEYS(speaker_keys); k++)
        if (want_str(sp, speaker_keys[k], file, d) < 0)
          rc = -1;
      tk->speaker = opt_str(sp, "name");
      tk->github = opt_str(sp, "github");
      tk->twitter = opt_str(sp, "twitter");
      if (!tk->speaker)
        tk->speaker = xstrdup(tk->github ? tk->github
                                         : tk->twitter ? tk->twitter : "");
      if (!tk->speaker[0])
        xfree(&tk->speaker);
    } else if (sp) {
      rc = diag_add(d, DIAG_ERROR, file, sp->line,
                    "'speaker' must be a name or a map, not a list");
    }
  }
  return rc;
}

static int load_links(struct event *ev, const struct ynode *l,
                      struct diags *d)
{
  ev->line_links = l->line;
  if (ynode_is_null(l))
    return 0;
  if (l->kind != Y_MAP)
    return diag_add(d, DIAG_ERROR, ev->path, l->line,
                    "'links' must be a map from a label to a URL, not %s",
                    ykind_name(l->kind));
  ev->links = xcalloc(l->n, sizeof(*ev->links));
  int rc = 0;
  for (size_t i = 0; i < l->n; i++) {
    const struct ynode *v = &l->items[i];
    if (v->kind != Y_STR || !v->str[0]) {
      rc = diag_add(d, DIAG_ERROR, ev->path, v->line,
                    "link '%s' must be a URL", l->keys[i].str);
      continue;
    }
    if (strncmp(v->str, "https://", 8) != 0 &&
        strncmp(v->str, "http://", 7) != 0)
      diag_add(d, DIAG_WARNING, ev->path, v->line,
               "link '%s' is not an http(s) URL: '%s'", l->keys[i].str,
               v->str);
    ev->links[ev->nlinks].label = xstrdup(l->keys[i].str);
    ev->links[ev->nlinks].url = xstrdup(v->str);
    ev->links[ev->nlinks].line = l->keys[i].line;
    ev->nlinks++;
  }
  return rc;
}

static void event_hash(struct event *ev)
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
  unsigned char h[crypto_hash_sha256_BYTES];
  if (sodium_init() < 0)
    abort();
  crypto_hash_sha256(h, (const unsigned char *)b.data, b.len);
  sodium_bin2hex(ev->hash, sizeof(ev->hash), h, sizeof(h));
  buf_release(&b);
  buf_release(&when);
}

char *event_id_from_path(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 3 && strcmp(base + n - 3, ".md") == 0)
    n -= 3;
  else if (n > 9 && strcmp(base + n - 9, ".markdown") == 0)
    n -= 9;
  return xstrndup(base, n);
}

struct event *event_load(const char *path, const struct locations *locs,
                         struct diags *d)
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
  struct event *ev = event_parse(path, text.data, text.len, locs, d);
  buf_release(&text);
  return ev;
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
    diag_add(d, DIAG_WARNING, path, n->line, "control character U+%04X in "
             "a value (crier shows it escaped; remove it)",
             control_at(n->str, at));
  for (size_t i = 0; (n->kind == Y_MAP || n->kind == Y_SEQ) && i < n->n; i++) {
    if (n->kind == Y_MAP)
      warn_controls(&n->keys[i], path, d);
    warn_controls(&n->items[i], path, d);
  }
}

struct event *event_parse(const char *path, const char *data, size_t len,
                          const struct locations *locs, struct diags *d)
{
  struct event *ev = xcalloc(1, sizeof(*ev));
  struct buf warn = BUF_INIT;
  struct { const char *data; size_t len; } text = {data, len};
  struct ynode *fm = NULL;
  struct err e;
  size_t errors = d->errors;
  size_t ys, ye, body;
  int line;
  const char *why;
  ev->path = xstrdup(path);
  ev->id = event_id_from_path(path);
  if (len > FILE_MAX) {
    diag_add(d, DIAG_ERROR, path, 0, "larger than the limit of %zu bytes",
             FILE_MAX);
    goto out;
  }
  if (utf8_check(text.data, text.len, &line, &why) < 0) {
    diag_add(d, DIAG_ERROR, path, line, "%s", why);
    goto out;
  }
  int fmrc = split_front_matter(text.data, text.len, &ys, &ye, &body,
                                &ev->line_body);
  if (fmrc == -1) {
    diag_add(d, DIAG_ERROR, path, 1,
             "no YAML front matter (the file must start with a '---' line)");
    goto out;
  }
  if (fmrc == -2) {
    diag_add(d, DIAG_ERROR, path, 1,
             "the front matter is not closed by a '---' line");
    goto out;
  }
  fm = yamlx_parse(text.data + ys, ye - ys, path, 1, d);
  if (!fm)
    goto out;
  if (fm->kind != Y_MAP) {
    diag_add(d, DIAG_ERROR, path, 2, "the front matter must be a map of "
             "fields, not %s", ykind_name(fm->kind));
    goto out;
  }
  unknown_keys(fm, event_keys, NKEYS(event_keys), "front-matter",
               DIAG_WARNING, path, d);
  warn_controls(fm, path, d);
  ev->body = xstrndup(text.data + body, text.len - body);
  size_t at;
  if (term_find_control(ev->body, strlen(ev->body), &at)) {
    int bl = ev->line_body;
    for (size_t i = 0; i < at; i++)
      bl += ev->body[i] == '\n';
    diag_add(d, DIAG_WARNING, path, bl, "control character U+%04X in the "
             "text (crier shows it escaped; remove it)",
             control_at(ev->body, at));
  }

  const struct ynode *n = ymap_get(fm, "title");
  if (!n || ynode_is_null(n)) {
    diag_add(d, DIAG_ERROR, path, n ? n->line : 2, "no 'title'");
  } else if (n->kind != Y_STR) {
    diag_add(d, DIAG_ERROR, path, n->line, "'title' must be a string, not %s",
             ykind_name(n->kind));
  } else {
    ev->title = xstrdup(n->str);
    ev->line_title = n->line;
  }

  n = ymap_get(fm, "date");
  if (!n || ynode_is_null(n)) {
    diag_add(d, DIAG_ERROR, path, n ? n->line : 2, "no 'date'");
  } else if (n->kind != Y_STR) {
    diag_add(d, DIAG_ERROR, path, n->line, "'date' must be a string, not %s",
             ykind_name(n->kind));
  } else {
    ev->line_date = n->line;
    ev->date_text = xstrdup(n->str);
    if (evdate_parse_str(n->str, &ev->start, &warn, &e) < 0)
      diag_add(d, DIAG_ERROR, path, n->line, "%s", e.msg);
    else if (warn.len)
      diag_add(d, DIAG_WARNING, path, n->line, "%s", warn.data);
  }

  n = ymap_get(fm, "location");
  if (n && !ynode_is_null(n)) {
    ev->line_location = n->line;
    if (n->kind != Y_STR) {
      diag_add(d, DIAG_ERROR, path, n->line,
               "'location' must be a key of the locations file, not %s",
               ykind_name(n->kind));
    } else {
      ev->location_key = xstrdup(n->str);
      if (locs) {
        ev->loc = locations_find(locs, n->str);
        if (!ev->loc) {
          const char **keys = xcalloc(locs->n, sizeof(*keys));
          for (size_t i = 0; i < locs->n; i++)
            keys[i] = locs->v[i].key;
          const char *near = closest_word(n->str, keys, locs->n);
          diag_add(d, DIAG_ERROR, path, n->line,
                   "location '%s' is not in %s%s%s%s", n->str,
                   locs->path ? locs->path : "the locations file",
                   near ? " (did you mean '" : "", near ? near : "",
                   near ? "'?)" : "");
          free(keys);
        }
      }
    }
  }

  n = ymap_get(fm, "talks");
  if (n)
    load_talks(ev, n, d);
  else
    ev->talks_state = TALKS_WANTED;
  n = ymap_get(fm, "links");
  if (n)
    load_links(ev, n, d);
  n = ymap_get(fm, "categories");
  if (n && n->kind == Y_STR)
    ev->categories = node_text(n);
  n = ymap_get(fm, "cancelled");
  if (n && !ynode_bool(n, &ev->cancelled))
    diag_add(d, DIAG_ERROR, path, n->line,
             "'cancelled' must be true or false, not '%s'",
             n->kind == Y_STR ? n->str : ykind_name(n->kind));
  /* Jekyll's drafts: published: false, or draft: true (Hugo) */
  bool published = true, draft = false;
  n = ymap_get(fm, "published");
  if (n && !ynode_bool(n, &published))
    diag_add(d, DIAG_ERROR, path, n->line,
             "'published' must be true or false, not '%s'",
             n->kind == Y_STR ? n->str : ykind_name(n->kind));
  const struct ynode *dn = ymap_get(fm, "draft");
  if (dn && !ynode_bool(dn, &draft))
    diag_add(d, DIAG_ERROR, path, dn->line,
             "'draft' must be true or false, not '%s'",
             dn->kind == Y_STR ? dn->str : ykind_name(dn->kind));
  ev->unpublished = !published || draft;
out:
  ynode_free(fm);
  buf_release(&warn);
  if (d->errors > errors) {
    event_free(ev);
    return NULL;
  }
  event_hash(ev);
  return ev;
}

char *event_snapshot(const struct event *ev)
{
  json_t *links = json_array();
  for (size_t i = 0; i < ev->nlinks; i++)
    json_array_append_new(links, json_pack("[s, s]", ev->links[i].label,
                                           ev->links[i].url));
  json_t *j = json_pack(
      "{s:s, s:s, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o}", "id",
      ev->id, "title", ev->title ? ev->title : "", "start",
      (json_int_t)ev->start, "location", ev->location_key, "place",
      ev->loc ? ev->loc->name : NULL, "street", ev->loc ? ev->loc->street
                                                        : NULL,
      "city", ev->loc ? ev->loc->city : NULL, "path", ev->path, "categories",
      ev->categories, "links", links);
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
    ev->own_loc->key = ev->location_key ? xstrdup(ev->location_key)
                                        : xstrdup("");
    ev->own_loc->name = jstr(j, "place");
    ev->own_loc->street = jstr(j, "street");
    ev->own_loc->city = jstr(j, "city");
    ev->loc = ev->own_loc;
  }
  json_decref(j);
  event_hash(ev);
  return ev;
}
