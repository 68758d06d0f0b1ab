#include "i18n.h"

#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "map.h"
#include "render.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"
#include "yamlx.h"

/* ---- the table ---- */

enum {
  REL_NOW,
  REL_MIN1,
  REL_MINN,
  REL_TODAY,
  REL_TONIGHT,
  REL_TOMORROW,
  REL_TOMORROW_EVENING,
  REL_DAY_AFTER,
  REL_DAY1,
  REL_DAYN,
  REL_WEEK1,
  REL_WEEKN,
  REL_N
};
enum {
  FIELD_TITLE,
  FIELD_DATE,
  FIELD_TIME,
  FIELD_LOCATION,
  FIELD_END,
  FIELD_N
};

struct pair {
  char *k, *v;
};

struct pairs {
  struct pair *v;
  size_t n, cap;
};

struct lang_data {
  char code[16];
  char *path; /* the file read last, for messages */
  char *name;
  char *weekdays[7], *weekdays_short[7], *months[12], *months_short[12];
  char *am_pm[2];
  char *date, *date_short, *time;
  char *rel[REL_N];
  char *fields[FIELD_N];
  char *words; /* common words, separated by spaces */
  struct pairs zones, zone_aliases, texts, names;
};

static struct lang_data langs[LANG_MAX];
static size_t nlangs;
static bool loaded;
/* For i18n_guess: every word of the languages' lists, with the languages
 * that list it (bit i for langs[i], as the value's pointer): one lookup a
 * word of the text, whatever the number of languages. Made when first
 * asked (a cron run that sends nothing never is), like the languages
 * themselves (ensure): by one thread at a time. */
static struct map words;
static bool words_made;

static void make_words(void)
{
  for (size_t i = 0; i < nlangs; i++)
    for (const char *w = langs[i].words; w && *w;) {
      size_t wl = strcspn(w, " ");
      char *one = xstrndup(w, wl);
      uintptr_t bit = (uintptr_t)1 << i;
      uintptr_t in = (uintptr_t)map_put(&words, one, (void *)bit);
      if (in) /* a word of another language's list too */
        map_put(&words, one, (void *)(in | bit));
      free(one);
      w += wl;
      w += strspn(w, " ");
    }
  words_made = true;
}

static void forget_words(void)
{
  map_release(&words);
  words_made = false;
}

#define LD(m) offsetof(struct lang_data, m)

static const struct {
  const char *path;
  size_t off;
  bool optional;
} scalars[] = {
    {"name", LD(name), false},
    {"date", LD(date), false},
    {"date_short", LD(date_short), false},
    {"time", LD(time), false},
    {"relative.now", LD(rel[REL_NOW]), false},
    {"relative.minutes.one", LD(rel[REL_MIN1]), false},
    {"relative.minutes.other", LD(rel[REL_MINN]), false},
    {"relative.today", LD(rel[REL_TODAY]), false},
    {"relative.tonight", LD(rel[REL_TONIGHT]), false},
    {"relative.tomorrow", LD(rel[REL_TOMORROW]), false},
    {"relative.tomorrow_evening", LD(rel[REL_TOMORROW_EVENING]), false},
    {"relative.day_after_tomorrow", LD(rel[REL_DAY_AFTER]), true},
    {"relative.days.one", LD(rel[REL_DAY1]), false},
    {"relative.days.other", LD(rel[REL_DAYN]), false},
    {"relative.weeks.one", LD(rel[REL_WEEK1]), false},
    {"relative.weeks.other", LD(rel[REL_WEEKN]), false},
    {"fields.title", LD(fields[FIELD_TITLE]), false},
    {"fields.date", LD(fields[FIELD_DATE]), false},
    {"fields.time", LD(fields[FIELD_TIME]), false},
    {"fields.location", LD(fields[FIELD_LOCATION]), false},
    {"fields.end", LD(fields[FIELD_END]), false},
    {"words", LD(words), true},
};

static const struct {
  const char *key;
  size_t off, n;
} lists[] = {
    {"weekdays", LD(weekdays), 7}, {"weekdays_short", LD(weekdays_short), 7},
    {"months", LD(months), 12},    {"months_short", LD(months_short), 12},
    {"am_pm", LD(am_pm), 2},
};

static const struct {
  const char *key;
  size_t off;
} maps[] = {
    {"zones", LD(zones)},
    {"zone_aliases", LD(zone_aliases)},
    {"texts", LD(texts)},
    {"languages", LD(names)},
};

#define N(a) (sizeof(a) / sizeof(*(a)))

static char **slot(struct lang_data *L, size_t off)
{
  return (char **)((char *)L + off);
}

static void pairs_release(struct pairs *p)
{
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].k);
    free(p->v[i].v);
  }
  free(p->v);
  memset(p, 0, sizeof(*p));
}

static void pairs_set(struct pairs *p, const char *k, const char *v)
{
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->v[i].k, k) == 0) {
      free(p->v[i].v);
      p->v[i].v = xstrdup(v);
      return;
    }
  p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
  p->v[p->n++] = (struct pair){xstrdup(k), xstrdup(v)};
}

static const char *pairs_get(const struct pairs *p, const char *k)
{
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->v[i].k, k) == 0)
      return p->v[i].v;
  return NULL;
}

static void lang_release(struct lang_data *L)
{
  free(L->path);
  for (size_t i = 0; i < N(scalars); i++)
    xfree(slot(L, scalars[i].off));
  for (size_t i = 0; i < N(lists); i++)
    for (size_t k = 0; k < lists[i].n; k++)
      xfree(slot(L, lists[i].off) + k);
  for (size_t i = 0; i < N(maps); i++)
    pairs_release((struct pairs *)((char *)L + maps[i].off));
  memset(L, 0, sizeof(*L));
}

/* Reports the keys of map that are not among known (under where). */
static int unknown_keys(const struct ynode *map, const char *const *known,
                        size_t n, const char *where, const char *path,
                        struct diags *d)
{
  int rc = 0;
  for (size_t i = 0; i < map->n; i++) {
    const char *k = map->keys[i].str;
    bool ok = false;
    for (size_t j = 0; j < n && !ok; j++)
      ok = strcmp(known[j], k) == 0;
    if (ok)
      continue;
    const char *near = closest_word(k, known, n);
    rc = diag_add(d, DIAG_ERROR, path, map->keys[i].line,
                  "unknown key '%s%s'%s%s%s", where, k,
                  near ? " (did you mean '" : "", near ? near : "",
                  near ? "'?)" : "");
  }
  return rc;
}

/* The keys a map at the dotted prefix may have (from the scalars table),
 * collected into known (at most max). */
static size_t keys_under(const char *prefix, const char **known, size_t max)
{
  size_t pl = strlen(prefix), n = 0;
  for (size_t i = 0; i < N(scalars) && n < max; i++) {
    const char *p = scalars[i].path;
    if (strncmp(p, prefix, pl) != 0)
      continue;
    p += pl;
    size_t seg = strcspn(p, ".");
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++)
      seen = strlen(known[k]) == seg && strncmp(known[k], p, seg) == 0;
    if (!seen)
      known[n++] = xstrndup(p, seg);
  }
  return n;
}

static int check_keys(const struct ynode *map, const char *prefix,
                      const char *path, struct diags *d)
{
  const char *known[32];
  size_t n = keys_under(prefix, known, 24);
  if (!prefix[0]) {
    for (size_t i = 0; i < N(lists); i++)
      known[n++] = xstrdup(lists[i].key);
    for (size_t i = 0; i < N(maps); i++)
      known[n++] = xstrdup(maps[i].key);
  }
  int rc = unknown_keys(map, known, n, prefix, path, d);
  for (size_t i = 0; i < map->n; i++) {
    const struct ynode *v = &map->items[i];
    if (v->kind != Y_MAP)
      continue;
    bool ismap = false;
    for (size_t k = 0; k < N(maps) && !prefix[0]; k++)
      ismap |= strcmp(maps[k].key, map->keys[i].str) == 0;
    if (ismap)
      continue;
    struct buf sub = BUF_INIT;
    buf_addf(&sub, "%s%s.", prefix, map->keys[i].str);
    if (check_keys(v, sub.data, path, d) < 0)
      rc = -1;
    buf_release(&sub);
  }
  for (size_t i = 0; i < n; i++)
    free((char *)known[i]);
  return rc;
}

/* Reads one language file over L (entries it has replace L's). */
static int lang_read(struct lang_data *L, const char *path, struct diags *d)
{
  size_t errors = d->errors;
  struct ynode *root = yamlx_load_file(path, d);
  if (!root)
    return -1;
  free(L->path);
  L->path = xstrdup(path);
  if (root->kind != Y_MAP) {
    diag_add(d, DIAG_ERROR, path, root->line,
             "a language file must be a "
             "map, not %s",
             ykind_name(root->kind));
    goto out;
  }
  check_keys(root, "", path, d);
  for (size_t i = 0; i < N(scalars); i++) {
    const struct ynode *v = ypath_get(root, scalars[i].path);
    if (!v)
      continue;
    if (v->kind != Y_STR) {
      diag_add(d, DIAG_ERROR, path, v->line, "'%s' must be a string, not %s",
               scalars[i].path, ykind_name(v->kind));
      continue;
    }
    char **s = slot(L, scalars[i].off);
    free(*s);
    *s = xstrdup(v->str);
  }
  for (size_t i = 0; i < N(lists); i++) {
    const struct ynode *v = ymap_get(root, lists[i].key);
    if (!v)
      continue;
    if (v->kind != Y_SEQ || v->n != lists[i].n) {
      diag_add(d, DIAG_ERROR, path, v->line,
               "'%s' must be a list of %zu "
               "names",
               lists[i].key, lists[i].n);
      continue;
    }
    for (size_t k = 0; k < v->n; k++) {
      if (v->items[k].kind != Y_STR || !v->items[k].str[0]) {
        diag_add(d, DIAG_ERROR, path, v->items[k].line,
                 "'%s' must be a "
                 "list of %zu names",
                 lists[i].key, lists[i].n);
        break;
      }
      char **s = slot(L, lists[i].off) + k;
      free(*s);
      *s = xstrdup(v->items[k].str);
    }
  }
  for (size_t i = 0; i < N(maps); i++) {
    const struct ynode *v = ymap_get(root, maps[i].key);
    if (!v || ynode_is_null(v))
      continue;
    if (v->kind != Y_MAP) {
      diag_add(d, DIAG_ERROR, path, v->line,
               "'%s' must be a map of "
               "strings",
               maps[i].key);
      continue;
    }
    struct pairs *p = (struct pairs *)((char *)L + maps[i].off);
    for (size_t k = 0; k < v->n; k++) {
      if (v->items[k].kind != Y_STR) {
        diag_add(d, DIAG_ERROR, path, v->items[k].line,
                 "'%s.%s' must be a "
                 "string",
                 maps[i].key, v->keys[k].str);
        continue;
      }
      pairs_set(p, v->keys[k].str, v->items[k].str);
    }
  }
out:
  ynode_free(root);
  return d->errors > errors ? -1 : 0;
}

static int lang_complete(const struct lang_data *L, struct diags *d)
{
  int rc = 0;
  for (size_t i = 0; i < N(scalars); i++)
    if (!scalars[i].optional && !*slot((struct lang_data *)L, scalars[i].off))
      rc = diag_add(d, DIAG_ERROR, L->path, 0, "language '%s' has no '%s'",
                    L->code, scalars[i].path);
  for (size_t i = 0; i < N(lists); i++)
    if (!*slot((struct lang_data *)L, lists[i].off))
      rc = diag_add(d, DIAG_ERROR, L->path, 0, "language '%s' has no '%s'",
                    L->code, lists[i].key);
  return rc;
}

static bool code_ok(const char *s)
{
  size_t n = strlen(s);
  if (n < 2 || n > 15)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!islower((unsigned char)s[i]) &&
        !(i >= 2 && (s[i] == '-' || isalnum((unsigned char)s[i]))))
      return false;
  return true;
}

static int cmp_code(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the language codes that have a language.yaml under dir. */
static void scan_dir(const char *dir, char ***codes, size_t *n, size_t *cap)
{
  DIR *dd = opendir(dir);
  struct dirent *de;
  struct buf p = BUF_INIT;
  while (dd && (de = readdir(dd))) {
    if (!code_ok(de->d_name))
      continue;
    buf_reset(&p);
    buf_addf(&p, "%s/%s/language.yaml", dir, de->d_name);
    struct stat st;
    if (stat(p.data, &st) < 0 || !S_ISREG(st.st_mode))
      continue;
    bool seen = false;
    for (size_t i = 0; i < *n && !seen; i++)
      seen = strcmp((*codes)[i], de->d_name) == 0;
    if (!seen) {
      *codes = xgrow(*codes, cap, *n + 1, sizeof(**codes));
      (*codes)[(*n)++] = xstrdup(de->d_name);
    }
  }
  if (dd)
    closedir(dd);
  buf_release(&p);
}

int i18n_load(const char *const *dirs, size_t ndirs, struct diags *d)
{
  for (size_t i = 0; i < nlangs; i++)
    lang_release(&langs[i]);
  nlangs = 0;
  forget_words();
  loaded = true;
  size_t errors = d->errors;
  char **codes = NULL;
  size_t n = 0, cap = 0;
  for (size_t i = 0; i < ndirs; i++)
    if (dirs[i])
      scan_dir(dirs[i], &codes, &n, &cap);
  if (n)
    qsort(codes, n, sizeof(*codes), cmp_code);
  /* de and en first, then the others in the order of their codes */
  const char *order[LANG_MAX];
  size_t norder = 0;
  static const char *const first[] = {"de", "en"};
  for (size_t f = 0; f < 2; f++) {
    bool have = false;
    for (size_t i = 0; i < n && !have; i++)
      have = strcmp(codes[i], first[f]) == 0;
    if (!have)
      diag_add(d, DIAG_ERROR, NULL, 0,
               "no language data for '%s' (%s/"
               "language.yaml in the templates directory)",
               first[f], first[f]);
    order[norder++] = first[f];
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(codes[i], "de") == 0 || strcmp(codes[i], "en") == 0)
      continue;
    if (norder == LANG_MAX) {
      diag_add(d, DIAG_ERROR, NULL, 0,
               "more than %d languages; '%s' and "
               "the rest are ignored",
               LANG_MAX, codes[i]);
      break;
    }
    order[norder++] = codes[i];
  }
  struct buf p = BUF_INIT;
  for (size_t k = 0; k < norder && d->errors == errors; k++) {
    struct lang_data *L = &langs[nlangs++];
    snprintf(L->code, sizeof(L->code), "%s", order[k]);
    /* the last directory is the base; earlier ones override entries */
    for (size_t i = ndirs; i-- > 0;) {
      if (!dirs[i])
        continue;
      buf_reset(&p);
      buf_addf(&p, "%s/%s/language.yaml", dirs[i], order[k]);
      struct stat st;
      if (stat(p.data, &st) == 0)
        lang_read(L, p.data, d);
    }
    lang_complete(L, d);
  }
  buf_release(&p);
  for (size_t i = 0; i < n; i++)
    free(codes[i]);
  free(codes);
  if (d->errors > errors) {
    for (size_t i = 0; i < nlangs; i++)
      lang_release(&langs[i]);
    nlangs = 0;
    return -1;
  }
  return 0;
}

/* The built-in languages, when nothing was loaded (tests, fuzzers). */
static void ensure(void)
{
  if (loaded)
    return;
  const char *dir = render_builtin_dir();
  struct diags d;
  diags_init(&d);
  i18n_load(&dir, dir ? 1 : 0, &d);
  diags_release(&d);
}

static const struct lang_data *get(enum lang l)
{
  ensure();
  static struct lang_data none;
  return (size_t)l < nlangs ? &langs[l] : &none;
}

static const char *str(const char *s)
{
  return s ? s : "";
}

size_t lang_count(void)
{
  ensure();
  return nlangs;
}

const char *lang_code(enum lang l)
{
  return get(l)->code;
}

int lang_find(const char *code)
{
  ensure();
  for (size_t i = 0; i < nlangs; i++)
    if (strcmp(langs[i].code, code) == 0)
      return (int)i;
  return -1;
}

const char *lang_list(void)
{
  static char list[LANG_MAX * 18];
  ensure();
  size_t at = 0;
  list[0] = '\0';
  for (size_t i = 0; i < nlangs; i++) {
    int w = snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "",
                     langs[i].code);
    if (w < 0 || (size_t)w >= sizeof(list) - at)
      break;
    at += (size_t)w;
  }
  return list;
}

const char *i18n_weekday(enum lang l, int wday)
{
  return str(get(l)->weekdays[((wday % 7) + 7) % 7]);
}

const char *i18n_month(enum lang l, int mon)
{
  return str(get(l)->months[((mon % 12) + 12) % 12]);
}

const char *i18n_month_short(enum lang l, int mon)
{
  return str(get(l)->months_short[((mon % 12) + 12) % 12]);
}

/* Expands a date or time pattern ({weekday}, {day2}, …) for tm. */
static void expand(const struct lang_data *L, const char *fmt,
                   const struct tm *tm, struct buf *out)
{
  for (const char *p = str(fmt); *p;) {
    const char *end = *p == '{' ? strchr(p, '}') : NULL;
    if (!end) {
      buf_addc(out, *p++);
      continue;
    }
    size_t n = (size_t)(end - p - 1);
    const char *name = p + 1;
#define IS(w) (n == sizeof(w) - 1 && memcmp(name, w, n) == 0)
    int h12 = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12;
    if (IS("weekday"))
      buf_adds(out, str(L->weekdays[tm->tm_wday % 7]));
    else if (IS("weekday_short"))
      buf_adds(out, str(L->weekdays_short[tm->tm_wday % 7]));
    else if (IS("day"))
      buf_addf(out, "%d", tm->tm_mday);
    else if (IS("day2"))
      buf_addf(out, "%02d", tm->tm_mday);
    else if (IS("month"))
      buf_adds(out, str(L->months[tm->tm_mon % 12]));
    else if (IS("month_short"))
      buf_adds(out, str(L->months_short[tm->tm_mon % 12]));
    else if (IS("month2"))
      buf_addf(out, "%02d", tm->tm_mon + 1);
    else if (IS("year"))
      buf_addf(out, "%d", tm->tm_year + 1900);
    else if (IS("hour"))
      buf_addf(out, "%d", tm->tm_hour);
    else if (IS("hour2"))
      buf_addf(out, "%02d", tm->tm_hour);
    else if (IS("hour12"))
      buf_addf(out, "%d", h12);
    else if (IS("minute2"))
      buf_addf(out, "%02d", tm->tm_min);
    else if (IS("ampm"))
      buf_adds(out, str(L->am_pm[tm->tm_hour >= 12]));
    else
      buf_add(out, p, n + 2);
#undef IS
    p = end + 1;
  }
}

void i18n_date(enum lang l, const struct tm *tm, struct buf *out)
{
  expand(get(l), get(l)->date, tm, out);
}

void i18n_date_short(enum lang l, const struct tm *tm, struct buf *out)
{
  expand(get(l), get(l)->date_short, tm, out);
}

void i18n_time(enum lang l, const struct tm *tm, struct buf *out)
{
  expand(get(l), get(l)->time, tm, out);
}

void i18n_zone(enum lang l, const char *abbr, struct buf *out)
{
  const char *said = pairs_get(&get(l)->zones, abbr);
  size_t n = strlen(abbr);
  bool offset = (abbr[0] == '+' || abbr[0] == '-') && n >= 3 &&
                strspn(abbr + 1, "0123456789") == n - 1;
  if (said || !offset) {
    buf_adds(out, said ? said : abbr);
    return;
  }
  /* a zone without an abbreviation: "+1030" is UTC+10:30 */
  buf_addf(out, "UTC%c%d", abbr[0], (abbr[1] - '0') * 10 + (abbr[2] - '0'));
  if (n >= 5 && (abbr[3] != '0' || abbr[4] != '0'))
    buf_addf(out, ":%c%c", abbr[3], abbr[4]);
}

const char *i18n_zone_meaning(const char *written)
{
  ensure();
  for (size_t i = 0; i < nlangs; i++) {
    const struct pairs *z = &langs[i].zones;
    for (size_t k = 0; k < z->n; k++)
      if (strcasecmp(z->v[k].v, written) == 0)
        return z->v[k].k;
    const char *a = pairs_get(&langs[i].zone_aliases, written);
    for (size_t k = 0; !a && k < langs[i].zone_aliases.n; k++)
      if (strcasecmp(langs[i].zone_aliases.v[k].k, written) == 0)
        a = langs[i].zone_aliases.v[k].v;
    if (a)
      return a;
  }
  return NULL;
}

size_t i18n_zone_spellings(const char *abbr, const char **out, size_t max)
{
  ensure();
  size_t n = 0;
  for (size_t i = 0; i < nlangs; i++) {
    const struct pairs *p[] = {&langs[i].zones, &langs[i].zone_aliases};
    for (size_t k = 0; k < 2; k++)
      for (size_t j = 0; j < p[k]->n; j++) {
        const char *said = k == 0 ? p[k]->v[j].v : p[k]->v[j].k;
        const char *means = k == 0 ? p[k]->v[j].k : p[k]->v[j].v;
        bool seen = false;
        for (size_t q = 0; q < n && !seen; q++)
          seen = strcmp(out[q], said) == 0;
        if (!seen && n < max && strcmp(means, abbr) == 0)
          out[n++] = said;
      }
  }
  return n;
}

/* Whether word[0..n) is name, ASCII case ignored, either with or without
 * a final '.'. */
static bool same_word(const char *word, size_t n, const char *name)
{
  if (!name)
    return false;
  size_t nl = strlen(name);
  if (n && word[n - 1] == '.')
    n--;
  if (nl && name[nl - 1] == '.')
    nl--;
  return n == nl && n && strncasecmp(word, name, n) == 0;
}

int i18n_month_from(const char *word, size_t n)
{
  ensure();
  for (size_t i = 0; i < nlangs; i++)
    for (int m = 0; m < 12; m++)
      if (same_word(word, n, langs[i].months[m]) ||
          same_word(word, n, langs[i].months_short[m]))
        return m;
  return -1;
}

bool i18n_is_weekday(const char *word, size_t n)
{
  ensure();
  for (size_t i = 0; i < nlangs; i++)
    for (int w = 0; w < 7; w++)
      if (same_word(word, n, langs[i].weekdays[w]) ||
          same_word(word, n, langs[i].weekdays_short[w]))
        return true;
  return false;
}

/* "p.m." and "pm" alike: letters only, ASCII case ignored. */
static bool same_letters(const char *word, size_t n, const char *name)
{
  size_t i = 0, k = 0;
  if (!name)
    return false;
  for (;;) {
    while (i < n && word[i] == '.')
      i++;
    while (name[k] == '.')
      k++;
    if (i == n || !name[k])
      return i == n && !name[k];
    if (tolower((unsigned char)word[i]) != tolower((unsigned char)name[k]))
      return false;
    i++;
    k++;
  }
}

int i18n_ampm_from(const char *word, size_t n)
{
  ensure();
  for (size_t i = 0; i < nlangs; i++)
    for (int k = 0; k < 2; k++)
      if (same_letters(word, n, langs[i].am_pm[k]))
        return k;
  return -1;
}

/* Days between the local calendar dates of a and b. */
static long day_diff(time_t a, time_t b)
{
  struct tm ta, tb;
  when_local(a, &ta);
  when_local(b, &tb);
  struct tm da = {
      .tm_year = ta.tm_year, .tm_mon = ta.tm_mon, .tm_mday = ta.tm_mday};
  struct tm db = {
      .tm_year = tb.tm_year, .tm_mon = tb.tm_mon, .tm_mday = tb.tm_mday};
  return (long)((timegm(&db) - timegm(&da)) / 86400);
}

/* A phrase with {n} replaced by n. */
static void counted(const char *phrase, long n, struct buf *out)
{
  for (const char *p = str(phrase); *p; p++) {
    if (strncmp(p, "{n}", 3) == 0) {
      buf_addf(out, "%ld", n);
      p += 2;
    } else {
      buf_addc(out, *p);
    }
  }
}

void i18n_relative(enum lang l, time_t now, time_t start, struct buf *out)
{
  const struct lang_data *L = get(l);
  long secs = (long)(start - now);
  if (secs <= 0) {
    buf_adds(out, str(L->rel[REL_NOW]));
    return;
  }
  long days = day_diff(now, start);
  struct tm st;
  when_local(start, &st);
  bool evening = st.tm_hour >= 17;
  if (secs < 3600) {
    long m = (secs + 59) / 60;
    counted(L->rel[m == 1 ? REL_MIN1 : REL_MINN], m, out);
  } else if (days == 0) {
    buf_adds(out, str(L->rel[evening ? REL_TONIGHT : REL_TODAY]));
  } else if (days == 1) {
    buf_adds(out, str(L->rel[evening ? REL_TOMORROW_EVENING : REL_TOMORROW]));
  } else if (days == 2 && L->rel[REL_DAY_AFTER]) {
    buf_adds(out, L->rel[REL_DAY_AFTER]);
  } else if (days % 7 == 0 && days >= 7) {
    counted(L->rel[days == 7 ? REL_WEEK1 : REL_WEEKN], days / 7, out);
  } else {
    counted(L->rel[REL_DAYN], days, out);
  }
}

const char *i18n_field(enum lang l, const char *field)
{
  static const char *const names[FIELD_N] = {"title", "date", "time",
                                             "location", "end"};
  for (size_t i = 0; i < FIELD_N; i++)
    if (strcmp(names[i], field) == 0 && get(l)->fields[i])
      return get(l)->fields[i];
  return field;
}

const char *i18n_lang_name(enum lang l, enum lang of)
{
  const char *n = pairs_get(&get(l)->names, lang_code(of));
  return n ? n : str(get(of)->name);
}

int i18n_guess(const char *text)
{
  ensure();
  if (!words_made)
    make_words();
  size_t score[LANG_MAX] = {0};
  char word[32];
  for (const char *p = text ? text : ""; *p;) {
    size_t n = 0;
    while (*p && (isalpha((unsigned char)*p) || (unsigned char)*p >= 0x80 ||
                  *p == '\'')) {
      if (n + 1 < sizeof(word))
        word[n++] = (char)tolower((unsigned char)*p);
      p++;
    }
    if (!n) {
      p++;
      continue;
    }
    word[n] = '\0';
    for (uintptr_t in = (uintptr_t)map_get(&words, word); in; in &= in - 1)
      score[__builtin_ctzll(in)]++;
  }
  size_t best = 0, second = 0;
  int id = -1;
  for (size_t i = 0; i < nlangs; i++) {
    if (score[i] > best) {
      second = best;
      best = score[i];
      id = (int)i;
    } else if (score[i] > second) {
      second = score[i];
    }
  }
  return best >= 3 && best >= 2 * second ? id : -1;
}

bool i18n_text(enum lang l, size_t i, const char **name, const char **value)
{
  const struct pairs *t = &get(l)->texts;
  if (i >= t->n)
    return false;
  *name = t->v[i].k;
  *value = t->v[i].v;
  return true;
}
