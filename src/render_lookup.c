/* Template lookup: the directories a renderer searches, the cache of
 * sources read, and partials. */
#include "render_lookup.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"

bool render_is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Appends lang[/type][/dir]/name[.suffix].mustache to b. */
static void render_rel(struct buf *b, const char *lang, const char *type,
                       const char *dir, const char *name, const char *suffix)
{
  buf_adds(b, lang);
  const char *mid[] = {type, dir, name};
  for (size_t i = 0; i < ARRAY_SIZE(mid); i++)
    if (mid[i]) {
      buf_addc(b, '/');
      buf_adds(b, mid[i]);
    }
  if (suffix) {
    buf_addc(b, '.');
    buf_adds(b, suffix);
  }
  buf_adds(b, ".mustache");
}

/* The names joined by \x1f (NULL as empty) into k; false if they do not
 * fit. */
static bool names_key(char *k, size_t cap, const char *const *names, size_t n)
{
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = names[i] ? strlen(names[i]) : 0;
    if (at + len + 2 > cap)
      return false;
    if (len)
      memcpy(k + at, names[i], len);
    at += len;
    k[at++] = '\x1f';
  }
  k[at] = '\0';
  return true;
}

const struct cached *render_lookup(struct renderer *r, const char *lang,
                                   const char *type, const char *dir,
                                   const char *name, const char *suffix,
                                   struct buf *tried, struct err *e,
                                   bool *failed)
{
  char key[256];
  const char *names[] = {lang, type, dir, name, suffix};
  bool keyed = names_key(key, sizeof(key), names, ARRAY_SIZE(names));
  const struct cached *c = keyed ? map_get(&r->named, key) : NULL;
  if (c)
    return c;
  /* the renderer's scratch buffers: no lookup runs inside another */
  struct buf *a = &r->scratch[0], *b = &r->scratch[1];
  buf_reset(a);
  buf_reset(b);
  if (type)
    render_rel(a, lang, type, dir, name, suffix);
  render_rel(b, lang, NULL, dir, name, suffix);
  const char *rel[] = {type ? a->data : NULL, b->data};
  c = render_find(r, rel, 2, tried, e, failed);
  if (c && keyed)
    map_put(&r->named, key, (void *)c);
  return c;
}

const char *render_builtin_dir(void)
{
  static char found[PATH_MAX];
  static bool done;
  if (done)
    return found[0] ? found : NULL;
  done = true;
  const char *env = getenv("CRIER_TEMPLATES_DIR");
  if (env && render_is_dir(env)) {
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
      if (render_is_dir(cand) && realpath(cand, found))
        return found;
    }
  }
  if (render_is_dir(CRIER_SOURCE_DIR "/templates")) {
    snprintf(found, sizeof(found), "%s", CRIER_SOURCE_DIR "/templates");
    return found;
  }
  if (render_is_dir(CRIER_DATADIR "/templates")) {
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
  body_recur_free(r->recur);
  render_memo_free(r->memo);
  for (size_t i = 0; i < RENDER_MD_KEPT; i++) {
    buf_release(&r->md[i].in);
    buf_release(&r->md[i].out);
  }
  for (size_t i = 0; i < ARRAY_SIZE(r->scratch); i++)
    buf_release(&r->scratch[i]);
  for (size_t i = 0; i < r->ncache; i++) {
    struct cached *c = r->cache[i];
    for (size_t k = 0; k < c->npartials; k++) {
      free(c->partials[k].indent);
      tpl_free(c->partials[k].tpl);
    }
    free(c->partials);
    tpl_free(c->tpl);
    free(c->path);
    free(c->src);
    free(c);
  }
  free(r->cache);
  map_release(&r->named);
  map_release(&r->by_path);
  free(r);
}

/* Reads path, which is not in the cache, into a new entry (src NULL: it
 * does not exist); NULL with *failed if it cannot be read or is not
 * UTF-8. */
static struct cached *source_add(struct renderer *r, const char *path,
                                 bool exists, struct err *e, bool *failed)
{
  struct cached c = {.path = xstrdup(path)};
  if (exists) {
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
  map_put(&r->by_path, entry->path, entry);
  return entry;
}

/* The source of path from the cache (reading it once); NULL if it cannot
 * be read. The entry is borrowed from the renderer and stays valid until
 * renderer_free, whatever is loaded meanwhile. */
const struct cached *render_source(struct renderer *r, const char *path,
                                   bool listed, struct err *e, bool *failed)
{
  struct cached *known = map_get(&r->by_path, path);
  if (known)
    return known;
  return source_add(r, path, listed || access(path, F_OK) == 0, e, failed);
}

/* Finds the first existing file among dirs × candidates (render_lookup
 * keeps the answer; render_source the files). A file that does not exist
 * is not kept: render_lookup asks for each path once. */
const struct cached *render_find(struct renderer *r, const char *const *rel,
                                 size_t nrel, struct buf *tried, struct err *e,
                                 bool *failed)
{
  const struct cached *c = NULL;
  struct buf *p = &r->scratch[2];
  for (size_t d = 0; d < r->ndirs && !c; d++) {
    for (size_t k = 0; k < nrel && !c; k++) {
      if (!rel[k])
        continue;
      buf_reset(p);
      buf_adds(p, r->dirs[d]);
      buf_addc(p, '/');
      buf_adds(p, rel[k]);
      c = map_get(&r->by_path, p->data);
      if (!c && access(p->data, F_OK) == 0)
        c = source_add(r, p->data, true, e, failed);
      if (*failed)
        break;
      if (!c || !c->src) {
        if (tried) {
          if (tried->len)
            buf_adds(tried, ", ");
          buf_adds(tried, p->data);
        }
        c = NULL;
      }
    }
  }
  return c;
}

/* The file of partial name for r->lang and r->type; NULL after filling e
 * (not found, or unreadable). */
static struct cached *find_partial(struct renderer *r, const char *name,
                                   struct err *e)
{
  if (strchr(name, '/') || name[0] == '.') {
    err_set(e, EX_DATAERR,
            "partial name '%s' may not contain '/' or "
            "start with '.'",
            name);
    return NULL;
  }
  struct buf tried = BUF_INIT;
  bool failed = false;
  const struct cached *c = render_lookup(r, r->lang, r->type, "partials", name,
                                         NULL, &tried, e, &failed);
  if (!c && !failed)
    err_set(e, EX_DATAERR, "partial '%s' not found (looked for %s)", name,
            tried.data);
  buf_release(&tried);
  /* the renderer's own entry (render_find lends it as const) */
  return (struct cached *)c;
}

/* A one-line partial is an inline snippet: its line end is not part of it
 * (editors add one). */
static size_t partial_len(const struct cached *c)
{
  size_t len = c->len;
  if (len && c->src[len - 1] == '\n' && !memchr(c->src, '\n', len - 1))
    len--;
  return len;
}

int render_load_partial(void *ud, const char *name, struct buf *src,
                        struct err *e)
{
  const struct cached *c = find_partial(ud, name, e);
  if (!c)
    return -1;
  buf_add(src, c->src, partial_len(c));
  return 1;
}

bool render_check_partial(struct renderer *r, const struct cached *c,
                          struct err *e)
{
  (void)r;
  struct cached *entry = (struct cached *)c; /* the renderer's own */
  size_t n = partial_len(c);
  /* parsed as it is included: a one-line partial without its line end
   * (which adds a text at the end, nothing that parses otherwise) */
  struct tpl *t = tpl_parse(c->src, n, c->path, e);
  if (!t && n != c->len) { /* the error as the whole file has it */
    struct tpl *whole = tpl_parse(c->src, c->len, c->path, e);
    tpl_free(whole);
    return whole != NULL;
  }
  if (!t)
    return false;
  for (size_t i = 0; i < entry->npartials; i++)
    if (!entry->partials[i].indent[0]) { /* included before */
      tpl_free(t);
      return true;
    }
  entry->partials = xrealloc(entry->partials,
                             (entry->npartials + 1) * sizeof(*entry->partials));
  entry->partials[entry->npartials++] = (struct cached_partial){xstrdup(""), t};
  return true;
}

int render_parsed_partial(void *ud, const char *name, const char *indent,
                          const struct tpl **t, struct err *e)
{
  struct cached *c = find_partial(ud, name, e);
  if (!c)
    return -1;
  for (size_t i = 0; i < c->npartials; i++)
    if (strcmp(c->partials[i].indent, indent) == 0) {
      *t = c->partials[i].tpl;
      return 1;
    }
  struct tpl *p = tpl_parse_partial(c->src, partial_len(c), name, indent, e);
  if (!p)
    return -1;
  c->partials =
      xrealloc(c->partials, (c->npartials + 1) * sizeof(*c->partials));
  c->partials[c->npartials++] = (struct cached_partial){xstrdup(indent), p};
  *t = p;
  return 1;
}

const struct tpl *render_parsed(struct renderer *r, const struct cached *c,
                                struct err *e)
{
  (void)r;
  struct cached *entry = (struct cached *)c; /* the renderer's own */
  if (!entry->tpl)
    entry->tpl = tpl_parse(c->src, c->len, c->path, e);
  return entry->tpl;
}
