#include "sitefmt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* ---- crier's fields ---- */

static const struct {
  const char *name; /* in site.fields */
  const char *dflt; /* today's key, or NULL */
  const char *what; /* for hints */
} flds[FLD_N] = {
    [FLD_ID] = {"id", "id", "the id (in data files)"},
    [FLD_TITLE] = {"title", "title", "the title"},
    [FLD_DATE] = {"date", "date", "the date"},
    [FLD_TIME] = {"time", NULL, "the time"},
    [FLD_END] = {"end", "end", "the end"},
    [FLD_DURATION] = {"duration", "duration", "the duration"},
    [FLD_TIMEZONE] = {"timezone", NULL, "the time zone"},
    [FLD_LOCATION] = {"location", "location", "the place"},
    [FLD_PLACE_NAME] = {"place_name", NULL, "the place's name"},
    [FLD_PLACE_ADDRESS] = {"place_address", NULL, "the place's address"},
    [FLD_PLACE_CITY] = {"place_city", NULL, "the place's city"},
    [FLD_PLACE_URL] = {"place_url", NULL, "the place's web page"},
    [FLD_ONLINE] = {"online", NULL, "the URL to join online"},
    [FLD_LINKS] = {"links", "links", "the links"},
    [FLD_MEETUP] = {"meetup", NULL, "the Meetup.com link"},
    [FLD_MEETUP_ID] = {"meetup_id", NULL, "the Meetup.com event id"},
    [FLD_SPEAKERS] = {"speakers", NULL, "the speakers"},
    [FLD_TALKS] = {"talks", "talks", "the talks"},
    [FLD_CANCELLED] = {"cancelled", "cancelled", "whether it is cancelled"},
    [FLD_PUBLISHED] = {"published", "published", "whether it is published"},
    [FLD_DRAFT] = {"draft", "draft", "whether it is a draft"},
    [FLD_BODY] = {"body", NULL, "the text (Markdown)"},
    [FLD_CATEGORIES] = {"categories", "categories", "the categories"},
    [FLD_URL] = {"url", NULL, "the event's page"},
};

/* Keys other meetup sites use for crier's fields: the hint for an
 * unknown key names the field to map it to. */
static const struct {
  const char *key;
  enum fld f;
} aliases[] = {
    {"name", FLD_TITLE},
    {"event_name", FLD_TITLE},
    {"headline", FLD_TITLE},
    {"event_date", FLD_DATE},
    {"eventdate", FLD_DATE},
    {"start_date", FLD_DATE},
    {"startdate", FLD_DATE},
    {"datetime", FLD_DATE},
    {"when", FLD_DATE},
    {"day", FLD_DATE},
    {"start", FLD_DATE},
    {"time", FLD_TIME},
    {"start_time", FLD_TIME},
    {"starttime", FLD_TIME},
    {"hour", FLD_TIME},
    {"begin", FLD_TIME},
    {"timezone", FLD_TIMEZONE},
    {"time_zone", FLD_TIMEZONE},
    {"tz", FLD_TIMEZONE},
    {"venue", FLD_LOCATION},
    {"place", FLD_LOCATION},
    {"where", FLD_LOCATION},
    {"location_name", FLD_LOCATION},
    {"room", FLD_LOCATION},
    {"address", FLD_PLACE_ADDRESS},
    {"street", FLD_PLACE_ADDRESS},
    {"city", FLD_PLACE_CITY},
    {"online", FLD_ONLINE},
    {"online_url", FLD_ONLINE},
    {"stream", FLD_ONLINE},
    {"stream_url", FLD_ONLINE},
    {"livestream", FLD_ONLINE},
    {"join_url", FLD_ONLINE},
    {"zoom", FLD_ONLINE},
    {"jitsi", FLD_ONLINE},
    {"video_call", FLD_ONLINE},
    {"meetup", FLD_MEETUP},
    {"meetup_url", FLD_MEETUP},
    {"meetup_link", FLD_MEETUP},
    {"rsvp", FLD_MEETUP},
    {"rsvp_url", FLD_MEETUP},
    {"signup", FLD_MEETUP},
    {"registration", FLD_MEETUP},
    {"meetup_id", FLD_MEETUP_ID},
    {"meetupid", FLD_MEETUP_ID},
    {"speakers", FLD_SPEAKERS},
    {"speaker", FLD_SPEAKERS},
    {"presenters", FLD_SPEAKERS},
    {"hosts", FLD_SPEAKERS},
    {"talk", FLD_TALKS},
    {"sessions", FLD_TALKS},
    {"agenda", FLD_TALKS},
    {"program", FLD_TALKS},
    {"programme", FLD_TALKS},
    {"schedule", FLD_TALKS},
    {"canceled", FLD_CANCELLED},
    {"description", FLD_BODY},
    {"content", FLD_BODY},
    {"body", FLD_BODY},
    {"details", FLD_BODY},
};

/* Keys of static site generators that never carry crier's fields. */
static const char *const generator_keys[] = {
    "layout",  "tags",     "permalink",  "slug",           "aliases",
    "weight",  "type",     "lastmod",    "author",         "authors",
    "excerpt", "image",    "images",     "translationKey", "lang",
    "menu",    "toc",      "comments",   "sitemap",        "redirect_from",
    "summary", "keywords", "expiryDate", "publishDate"};

#define N(a) (sizeof(a) / sizeof(*(a)))

const char *fld_name(enum fld f)
{
  return (size_t)f < FLD_N ? flds[f].name : "?";
}

static char **strv_new(const char *const *v, size_t n)
{
  char **out = xcalloc(n + 1, sizeof(*out));
  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup(v[i]);
  return out;
}

static void strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

void sitefmt_init(struct site_format *f)
{
  memset(f, 0, sizeof(*f));
  for (size_t i = 0; i < FLD_N; i++)
    f->fields[i] = flds[i].dflt ? xstrdup(flds[i].dflt) : NULL;
  static const char *const inc[] = {"*.md", "*.markdown"};
  static const char *const exc[] = {"_index.md", "_index.*.md"};
  f->include = strv_new(inc, 2);
  f->exclude = strv_new(exc, 2);
  f->archive_after = 7 * 86400;
}

void sitefmt_release(struct site_format *f)
{
  for (size_t i = 0; i < FLD_N; i++)
    free(f->fields[i]);
  for (size_t i = 0; i < f->nlinks; i++) {
    free(f->links[i].label);
    free(f->links[i].path);
  }
  free(f->links);
  strv_free(f->include);
  strv_free(f->exclude);
  strv_free(f->data);
  strv_free(f->translations);
  strv_free(f->other_keys);
  free(f->default_time);
  free(f->meetup_group);
  memset(f, 0, sizeof(*f));
}

/* ---- reading the config ---- */

static const char *const format_keys[] = {
    "fields",       "recursive",  "include",      "exclude",       "data",
    "translations", "other_keys", "default_time", "talks_missing", "body",
    "places",       "shortcodes", "archive_after"};

bool sitefmt_key(const char *key)
{
  for (size_t i = 0; i < N(format_keys); i++)
    if (strcmp(format_keys[i], key) == 0)
      return true;
  return false;
}

struct rd {
  const char *file, *dir;
  struct diags *d;
};

#define bad(r, line, ...)                                                      \
  diag_add((r)->d, DIAG_ERROR, (r)->file, line, __VA_ARGS__)

/* A dotted path: segments that are not empty. */
static bool path_ok(const char *p)
{
  if (!*p || *p == '.' || p[strlen(p) - 1] == '.' || strstr(p, ".."))
    return false;
  return true;
}

static int read_path(struct rd *r, const char *name, const struct ynode *v,
                     char **slot)
{
  if (ynode_is_null(v)) { /* the field is not read */
    xfree(slot);
    return 0;
  }
  if (v->kind != Y_STR || !path_ok(v->str))
    return bad(r, v->line,
               "'site.fields.%s' must be a key or a dotted path "
               "such as 'event.date'",
               name);
  free(*slot);
  *slot = xstrdup(v->str);
  return 0;
}

static int read_fields(struct rd *r, struct site_format *f,
                       const struct ynode *m)
{
  if (m->kind != Y_MAP)
    return bad(r, m->line,
               "'site.fields' must be a map from crier's field "
               "to a key of the front matter");
  const char *names[FLD_N + 1];
  for (size_t i = 0; i < FLD_N; i++)
    names[i] = flds[i].name;
  names[FLD_N] = "link";
  int rc = 0;
  for (size_t i = 0; i < m->n; i++) {
    const char *k = m->keys[i].str;
    const struct ynode *v = &m->items[i];
    if (strcmp(k, "link") == 0) {
      if (v->kind != Y_MAP) {
        rc = bad(r, v->line,
                 "'site.fields.link' must be a map from a "
                 "link's label to the key that holds its URL");
        continue;
      }
      for (size_t j = 0; j < v->n; j++) {
        char *p = NULL;
        if (read_path(r, "link", &v->items[j], &p) < 0 || !p) {
          rc = -1;
          free(p);
          continue;
        }
        f->links = xrealloc(f->links, (f->nlinks + 1) * sizeof(*f->links));
        f->links[f->nlinks++] = (struct link_field){xstrdup(v->keys[j].str), p};
      }
      continue;
    }
    size_t fi = 0;
    while (fi < FLD_N && strcmp(flds[fi].name, k) != 0)
      fi++;
    if (fi == FLD_N) {
      const char *near = closest_word(k, names, FLD_N + 1);
      rc = bad(r, m->keys[i].line,
               "unknown field '%s' in 'site.fields'%s%s%s"
               " (crier's fields: title, date, time, timezone, location, "
               "place_name, place_address, place_city, place_url, online, "
               "links, link, meetup, meetup_id, speakers, talks, cancelled, "
               "published, draft, body, categories, url, id)",
               k, near ? " (did you mean '" : "", near ? near : "",
               near ? "'?)" : "");
      continue;
    }
    if (read_path(r, k, v, &f->fields[fi]) < 0)
      rc = -1;
  }
  return rc;
}

/* A list of strings (or one string) into a NULL-terminated array;
 * paths: resolved against the config's directory. */
static int read_list(struct rd *r, const char *key, const struct ynode *v,
                     bool paths, char ***out)
{
  const struct ynode *items = v;
  size_t n = 1;
  if (v->kind == Y_SEQ) {
    items = v->items;
    n = v->n;
  } else if (v->kind != Y_STR) {
    return bad(r, v->line, "'site.%s' must be a list of strings", key);
  }
  char **list = xcalloc(n + 1, sizeof(*list));
  size_t k = 0;
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (items[i].kind != Y_STR || !items[i].str[0]) {
      rc = bad(r, items[i].line, "'site.%s' must be a list of strings", key);
      continue;
    }
    const char *s = items[i].str;
    if (paths && s[0] != '/' && r->dir && strcmp(r->dir, ".") != 0) {
      struct buf b = BUF_INIT;
      buf_addf(&b, "%s/%s", r->dir, s);
      list[k++] = buf_detach(&b);
    } else {
      list[k++] = xstrdup(s);
    }
  }
  strv_free(*out);
  *out = list;
  if (!k) { /* [] is none */
    free(list);
    *out = NULL;
  }
  return rc;
}

static int read_choice(struct rd *r, const char *key, const struct ynode *v,
                       const char *const *choices, size_t n, int *out)
{
  for (size_t i = 0; v->kind == Y_STR && i < n; i++)
    if (strcmp(v->str, choices[i]) == 0) {
      *out = (int)i;
      return 0;
    }
  struct buf list = BUF_INIT;
  for (size_t i = 0; i < n; i++)
    buf_addf(&list, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "", choices[i]);
  bad(r, v->line, "'site.%s' must be %s, not '%s'", key, list.data,
      v->kind == Y_STR ? v->str : ykind_name(v->kind));
  buf_release(&list);
  return -1;
}

int sitefmt_read(struct site_format *f, const struct ynode *site,
                 const char *file, const char *dir, struct diags *d)
{
  struct rd r = {file, dir, d};
  int rc = 0;
  if (!site || site->kind != Y_MAP)
    return 0;
  f->events_given = ymap_get(site, "events") != NULL;
  for (size_t i = 0; i < site->n; i++) {
    const char *k = site->keys[i].str;
    const struct ynode *v = &site->items[i];
    int c = 0;
    if (strcmp(k, "fields") == 0) {
      c = read_fields(&r, f, v);
    } else if (strcmp(k, "recursive") == 0) {
      if (!ynode_bool(v, &f->recursive))
        c = bad(&r, v->line, "'site.recursive' must be true or false");
    } else if (strcmp(k, "include") == 0) {
      c = read_list(&r, k, v, false, &f->include);
    } else if (strcmp(k, "exclude") == 0) {
      c = read_list(&r, k, v, false, &f->exclude);
    } else if (strcmp(k, "data") == 0) {
      c = read_list(&r, k, v, true, &f->data);
    } else if (strcmp(k, "translations") == 0) {
      c = read_list(&r, k, v, false, &f->translations);
      for (size_t j = 0; c == 0 && f->translations && f->translations[j]; j++) {
        const char *t = f->translations[j];
        size_t tl = strlen(t);
        if (tl < 2 || tl > 8 || strspn(t, "abcdefghijklmnopqrstuvwxyz-") != tl)
          c = bad(&r, v->line,
                  "'site.translations' must be language codes "
                  "such as [en, de], not '%s'",
                  t);
      }
    } else if (strcmp(k, "other_keys") == 0) {
      c = read_list(&r, k, v, false, &f->other_keys);
    } else if (strcmp(k, "default_time") == 0) {
      if (ynode_is_null(v))
        xfree(&f->default_time);
      else if (v->kind != Y_STR)
        c = bad(&r, v->line,
                "'site.default_time' must be a time such as "
                "19:00");
      else {
        free(f->default_time);
        f->default_time = xstrdup(v->str);
      }
    } else if (strcmp(k, "talks_missing") == 0) {
      static const char *const ch[] = {"wanted", "description"};
      int x;
      c = read_choice(&r, k, v, ch, 2, &x);
      if (c == 0)
        f->talks_missing = (enum talks_missing)x;
    } else if (strcmp(k, "body") == 0) {
      static const char *const ch[] = {"detect", "invitation", "details",
                                       "ignore"};
      int x;
      c = read_choice(&r, k, v, ch, 4, &x);
      if (c == 0)
        f->body = (enum body_mode)x;
    } else if (strcmp(k, "places") == 0) {
      static const char *const ch[] = {"auto", "key", "text"};
      int x;
      c = read_choice(&r, k, v, ch, 3, &x);
      if (c == 0)
        f->places = (enum places_mode)x;
    } else if (strcmp(k, "shortcodes") == 0) {
      static const char *const ch[] = {"remove", "keep"};
      int x;
      c = read_choice(&r, k, v, ch, 2, &x);
      if (c == 0)
        f->keep_markup = x == 1;
    } else if (strcmp(k, "archive_after") == 0) {
      struct err e;
      if (v->kind != Y_STR ||
          when_parse_duration(v->str, &f->archive_after, &e) < 0)
        c = bad(&r, v->line, "'site.archive_after': %s",
                v->kind == Y_STR ? e.msg : "must be a duration such as 7d");
    }
    if (c < 0)
      rc = -1;
  }
  /* each glob must be usable */
  return rc;
}

/* ---- front-matter keys ---- */

static size_t seg_len(const char *path)
{
  return strcspn(path, ".");
}

static bool first_segment_is(const char *path, const char *key)
{
  size_t n = seg_len(path);
  return strlen(key) == n && strncmp(path, key, n) == 0;
}

bool sitefmt_known_key(const struct site_format *f, const char *key)
{
  for (size_t i = 0; i < FLD_N; i++)
    if (f->fields[i] && first_segment_is(f->fields[i], key))
      return true;
  for (size_t i = 0; i < f->nlinks; i++)
    if (first_segment_is(f->links[i].path, key))
      return true;
  for (size_t i = 0; i < N(generator_keys); i++)
    if (strcmp(generator_keys[i], key) == 0)
      return true;
  for (size_t i = 0; f->other_keys && f->other_keys[i]; i++)
    if (strcmp(f->other_keys[i], key) == 0)
      return true;
  return false;
}

void sitefmt_hint(const struct site_format *f, const char *key, struct buf *out)
{
  /* a field's own name, or a key other sites use for it */
  for (size_t i = 0; i < FLD_N + N(aliases); i++) {
    const char *k = i < FLD_N ? flds[i].name : aliases[i - FLD_N].key;
    if (strcasecmp(k, key) != 0)
      continue;
    enum fld fi = i < FLD_N ? (enum fld)i : aliases[i - FLD_N].f;
    if (f->fields[fi])
      buf_addf(out,
               "crier reads %s from '%s'; to read it from here, set "
               "site.fields.%s: %s",
               flds[fi].what, f->fields[fi], flds[fi].name, key);
    else
      buf_addf(out, "to read %s from it, set site.fields.%s: %s", flds[fi].what,
               flds[fi].name, key);
    return;
  }
  /* a misspelt key of this site */
  const char *cands[FLD_N];
  char segs[FLD_N][64];
  size_t n = 0;
  for (size_t i = 0; i < FLD_N; i++) {
    if (!f->fields[i] || seg_len(f->fields[i]) >= sizeof(segs[0]))
      continue;
    snprintf(segs[n], sizeof(segs[n]), "%.*s", (int)seg_len(f->fields[i]),
             f->fields[i]);
    cands[n] = segs[n];
    n++;
  }
  const char *near = closest_word(key, cands, n);
  if (near)
    buf_addf(out, "did you mean '%s'?", near);
  else
    buf_adds(out, "list it in site.other_keys if the site uses it for "
                  "something else");
}

/* ---- file names ---- */

/* '*' and '?' within a name, [...] classes, '**' across names. */
static bool match_here(const char *p, const char *s)
{
  for (; *p; p++, s++) {
    if (p[0] == '*' && p[1] == '*') {
      const char *rest = p + 2;
      if (*rest == '/')
        rest++; /* "**" + "/": zero or more whole directories */
      for (const char *t = s;; t++) {
        if ((t == s || t[-1] == '/') && match_here(rest, t))
          return true;
        if (!*t)
          return false;
      }
    }
    if (*p == '*') {
      for (const char *t = s;; t++) {
        if (match_here(p + 1, t))
          return true;
        if (!*t || *t == '/')
          return false;
      }
    }
    if (!*s)
      return false;
    if (*p == '?') {
      if (*s == '/')
        return false;
      continue;
    }
    if (*p == '[') {
      const char *q = p + 1;
      bool neg = *q == '!' || *q == '^';
      if (neg)
        q++;
      bool hit = false;
      for (; *q && (*q != ']' || q == p + 1 + neg); q++) {
        if (q[1] == '-' && q[2] && q[2] != ']') {
          hit |= *s >= q[0] && *s <= q[2];
          q += 2;
        } else {
          hit |= *s == *q;
        }
      }
      if (!*q || hit == neg || *s == '/')
        return false;
      p = q;
      continue;
    }
    if (*p != *s)
      return false;
  }
  return !*s;
}

bool glob_match(const char *pat, const char *rel)
{
  if (!strchr(pat, '/')) {
    const char *base = strrchr(rel, '/');
    return match_here(pat, base ? base + 1 : rel);
  }
  if (pat[0] == '/')
    pat++;
  return match_here(pat, rel);
}

bool sitefmt_match(const struct site_format *f, const char *rel)
{
  bool in = false;
  for (size_t i = 0; f->include && f->include[i] && !in; i++)
    in = glob_match(f->include[i], rel);
  for (size_t i = 0; in && f->exclude && f->exclude[i]; i++)
    in = !glob_match(f->exclude[i], rel);
  return in;
}

char *sitefmt_file_id(const struct site_format *f, const char *path,
                      const char **lang)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 3 && strcmp(base + n - 3, ".md") == 0)
    n -= 3;
  else if (n > 9 && strcmp(base + n - 9, ".markdown") == 0)
    n -= 9;
  if (lang)
    *lang = NULL;
  for (size_t i = 0; f && f->translations && f->translations[i]; i++) {
    size_t tl = strlen(f->translations[i]);
    if (n > tl + 1 && base[n - tl - 1] == '.' &&
        memcmp(base + n - tl, f->translations[i], tl) == 0) {
      n -= tl + 1;
      if (lang && i > 0)
        *lang = f->translations[i];
      break;
    }
  }
  if (n == 5 && memcmp(base, "index", 5) == 0 && base > path + 1) {
    /* a page bundle: the directory's name */
    const char *end = base - 1, *start = end;
    while (start > path && start[-1] != '/')
      start--;
    if (end > start)
      return xstrndup(start, (size_t)(end - start));
  }
  return xstrndup(base, n);
}
