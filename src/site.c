#include "site.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_event_file(const char *name)
{
  size_t n = strlen(name);
  if (name[0] == '.')
    return false;
  return (n > 3 && strcmp(name + n - 3, ".md") == 0) ||
         (n > 9 && strcmp(name + n - 9, ".markdown") == 0);
}

/* Whether the directory entry name is a file to read as an event: a regular
 * file, or a link to one inside the events directory (top, resolved).
 * Anything else (a FIFO, a device, a directory, a link that leads out) is a
 * warning and skipped: reading it could hang or read what is not the
 * site's. */
static bool usable_entry(int dfd, const char *top, const char *dir,
                         const char *name, struct diags *d)
{
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  struct buf p = BUF_INIT;
  buf_addf(&p, "%s/%s", dir, name);
  bool ok = true;
  if (S_ISLNK(st.st_mode)) {
    char *target = realpath(p.data, NULL);
    size_t tl = top ? strlen(top) : 0;
    if (!target || !top || strncmp(target, top, tl) != 0 ||
        target[tl] != '/') {
      diag_add(d, DIAG_WARNING, p.data, 0, "a link that leads out of the "
               "events directory (to %s); skipped",
               target ? target : "nowhere");
      ok = false;
    } else if (stat(target, &st) < 0) {
      ok = false;
    }
    free(target);
  }
  if (ok && !S_ISREG(st.st_mode)) {
    diag_add(d, DIAG_WARNING, p.data, 0, "not a regular file (%s); skipped",
             S_ISFIFO(st.st_mode)  ? "a FIFO"
             : S_ISDIR(st.st_mode) ? "a directory"
             : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
             : S_ISSOCK(st.st_mode) ? "a socket"
                                    : "not a file");
    ok = false;
  }
  buf_release(&p);
  return ok;
}

int site_load(struct site *s, const struct config *cfg, struct diags *d,
              bool progress)
{
  memset(s, 0, sizeof(*s));
  s->cfg = cfg;
  if (locations_load(&s->locs, cfg->locations, d) < 0)
    s->locations_failed = true; /* events naming a place fail to load */
  DIR *dir = opendir(cfg->events_dir);
  if (!dir)
    return diag_add(d, DIAG_ERROR, cfg->events_dir, 0,
                    "cannot read the events directory: %s", strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  char *top = realpath(cfg->events_dir, NULL);
  while ((de = readdir(dir))) {
    if (!is_event_file(de->d_name) ||
        !usable_entry(dirfd(dir), top, cfg->events_dir, de->d_name, d))
      continue;
    if (n == SITE_MAX_EVENTS) {
      diag_add(d, DIAG_ERROR, cfg->events_dir, 0,
               "more than %d event files; the rest are ignored",
               SITE_MAX_EVENTS);
      break;
    }
    names = xgrow(names, &cap, n + 1, sizeof(*names));
    names[n++] = xstrdup(de->d_name);
  }
  closedir(dir);
  free(top);
  if (n)
    qsort(names, n, sizeof(*names), cmp_str);
  s->events = xcalloc(n, sizeof(*s->events));
  s->nfiles = n;
  struct buf path = BUF_INIT;
  bool tty = progress && isatty(2);
  for (size_t i = 0; i < n; i++) {
    buf_reset(&path);
    buf_addf(&path, "%s/%s", cfg->events_dir, names[i]);
    struct event *ev = event_load(path.data, cfg, &s->locs, d);
    if (ev) {
      s->events[s->n++] = ev;
    } else {
      s->broken = xrealloc(s->broken, (s->nbroken + 1) * sizeof(char *));
      s->broken[s->nbroken++] = event_id_from_path(names[i]);
    }
    free(names[i]);
    if (tty && n >= 2000 && (i % 1000 == 999 || i + 1 == n))
      fprintf(stderr, "\rcrier: loading events %zu/%zu", i + 1, n);
  }
  if (tty && n >= 2000)
    fputc('\n', stderr);
  buf_release(&path);
  free(names);
  return 0;
}

void site_release(struct site *s)
{
  for (size_t i = 0; i < s->n; i++)
    event_free(s->events[i]);
  free(s->events);
  for (size_t i = 0; i < s->nbroken; i++)
    free(s->broken[i]);
  free(s->broken);
  locations_release(&s->locs);
  memset(s, 0, sizeof(*s));
}

bool site_is_broken(const struct site *s, const char *id)
{
  for (size_t i = 0; i < s->nbroken; i++)
    if (strcmp(s->broken[i], id) == 0)
      return true;
  return false;
}

static bool same_file(const char *a, const char *b)
{
  char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
  bool same = ra && rb && strcmp(ra, rb) == 0;
  free(ra);
  free(rb);
  return same;
}

const struct event *site_find(struct site *s, const char *what,
                              struct diags *d, struct err *e)
{
  size_t wlen = strlen(what);
  bool pathlike = strchr(what, '/') ||
                  (wlen > 3 && strcmp(what + wlen - 3, ".md") == 0 &&
                   access(what, F_OK) == 0);
  if (pathlike && access(what, F_OK) == 0) {
    for (size_t i = 0; i < s->n; i++)
      if (same_file(s->events[i]->path, what))
        return s->events[i];
    size_t errors = d->errors;
    struct event *ev = event_load(what, s->cfg, &s->locs, d);
    if (!ev) {
      err_set(e, d->errors > errors ? EX_DATAERR : EX_NOINPUT,
              "'%s' does not load", what);
      return NULL;
    }
    s->events = xrealloc(s->events, (s->n + 1) * sizeof(*s->events));
    s->events[s->n++] = ev;
    return ev;
  }
  if (strchr(what, '/')) {
    err_set(e, EX_NOINPUT, "%s: no such file", what);
    return NULL;
  }
  size_t wl = strlen(what);
  if (wl > 3 && strcmp(what + wl - 3, ".md") == 0)
    wl -= 3;
  /* the id, else the id without its date, else a unique prefix of
   * either */
  const struct event *found = NULL;
  int matches = 0;
  for (int pass = 0; pass < 3 && !matches; pass++) {
    for (size_t i = 0; i < s->n; i++) {
      const char *id = s->events[i]->id;
      size_t il = strlen(id);
      bool m = pass == 0   ? il == wl && strncmp(id, what, wl) == 0
               : pass == 1 ? il == wl + 11 && strncmp(id + 11, what, wl) == 0
                           : (il > wl && strncmp(id, what, wl) == 0) ||
                                 (il > wl + 11 &&
                                  strncmp(id + 11, what, wl) == 0);
      if (m) {
        found = s->events[i];
        matches++;
      }
    }
  }
  if (matches == 1)
    return found;
  if (matches > 1)
    err_set(e, EX_USAGE, "'%s' matches %d events; give the full id", what,
            matches);
  else
    err_set(e, EX_NOINPUT, "no event '%s' in %s (see 'crier list --all')",
            what, s->cfg->events_dir);
  return NULL;
}

/* ---- lint ---- */

static bool word_at(const char *title, const char *w)
{
  size_t wl = strlen(w);
  for (const char *p = strstr(title, w); p; p = strstr(p + 1, w)) {
    bool left = p == title || !isalpha((unsigned char)p[-1]);
    bool right = !isalpha((unsigned char)p[wl]) && (unsigned char)p[wl] < 0x80;
    if (left && right)
      return true;
  }
  return false;
}

struct link_ref {
  int label; /* 0: Meetup, 1: planning */
  const char *url;
  size_t event;
  int line;
};

static int cmp_link_ref(const void *pa, const void *pb)
{
  const struct link_ref *a = pa, *b = pb;
  if (a->label != b->label)
    return a->label - b->label;
  int c = strcmp(a->url, b->url);
  if (c)
    return c;
  return a->event < b->event ? -1 : a->event > b->event;
}

/* The same Meetup or planning link in two files: sorted, so that a large
 * site costs n log n, not n². */
static void lint_links(const struct site *s, struct diags *d)
{
  static const char *const labels[] = {LINK_MEETUP, LINK_PLANNING};
  struct link_ref *v = NULL;
  size_t n = 0, cap = 0;
  for (size_t i = 0; i < s->n; i++) {
    const struct event *ev = s->events[i];
    for (size_t k = 0; k < ev->nlinks; k++)
      for (int l = 0; l < 2; l++)
        if (strcasecmp(ev->links[k].label, labels[l]) == 0) {
          v = xgrow(v, &cap, n + 1, sizeof(*v));
          v[n++] = (struct link_ref){l, ev->links[k].url, i,
                                     ev->links[k].line};
        }
  }
  if (n)
    qsort(v, n, sizeof(*v), cmp_link_ref);
  for (size_t i = 1; i < n; i++) {
    size_t first = i - 1;
    while (i < n && v[i].label == v[first].label &&
           strcmp(v[i].url, v[first].url) == 0) {
      if (v[i].event != v[first].event)
        diag_add(d, DIAG_WARNING, s->events[v[i].event]->path, v[i].line,
                 "the same '%s' link as %s: %s", labels[v[i].label],
                 s->events[v[first].event]->path, v[i].url);
      i++;
    }
  }
  free(v);
}

void site_lint(const struct site *s, struct diags *d)
{
  for (size_t i = 0; i < s->n; i++) {
    const struct event *ev = s->events[i];
    struct tm tm;
    when_local(ev->start, &tm);
    int y, m, dd;
    char c;
    if (sscanf(ev->id, "%4d-%2d-%2d%c", &y, &m, &dd, &c) == 4 && c == '-') {
      if (y != tm.tm_year + 1900 || m != tm.tm_mon + 1 || dd != tm.tm_mday)
        diag_add(d, DIAG_WARNING, ev->path, ev->line_date,
                 "the file name says %04d-%02d-%02d but 'date:' says "
                 "%04d-%02d-%02d", y, m, dd, tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday);
    } else {
      diag_add(d, DIAG_WARNING, ev->path, 0,
               "the file name does not start with the date (YYYY-MM-DD-)");
    }
    for (int l = 0; l < 2 && ev->title; l++) {
      for (int mon = 0; mon < 12; mon++) {
        const char *name = i18n_month((enum lang)l, mon);
        /* "May"/"Mai" are also ordinary words; only whole words count */
        if (mon != tm.tm_mon && word_at(ev->title, name) &&
            !(mon == 4 && l == 1 && strstr(ev->title, "May ") == ev->title))
          diag_add(d, DIAG_WARNING, ev->path, ev->line_title,
                   "the title names %s but the event is in %s", name,
                   i18n_month((enum lang)l, tm.tm_mon));
      }
    }
  }
  lint_links(s, d);
}

void site_event_url(const struct config *cfg, const struct event *ev,
                    struct buf *out)
{
  struct tm tm;
  when_local(ev->start, &tm);
  const char *slug = ev->id;
  int y, m, dd;
  char c;
  if (sscanf(ev->id, "%4d-%2d-%2d%c", &y, &m, &dd, &c) == 4 && c == '-')
    slug = ev->id + 11;
  const char *url = cfg->site_url ? cfg->site_url : "";
  size_t ul = strlen(url);
  while (ul && url[ul - 1] == '/')
    ul--;
  buf_add(out, url, ul);
  for (const char *p = cfg->permalink; *p;) {
    if (*p != ':') {
      buf_addc(out, *p++);
      continue;
    }
    const char *q = p + 1;
    while (isalpha((unsigned char)*q) || *q == '_')
      q++;
    size_t n = (size_t)(q - p - 1);
#define IS(w) (n == strlen(w) && strncmp(p + 1, w, n) == 0)
    if (IS("year"))
      buf_addf(out, "%04d", tm.tm_year + 1900);
    else if (IS("short_year"))
      buf_addf(out, "%02d", tm.tm_year % 100);
    else if (IS("month"))
      buf_addf(out, "%02d", tm.tm_mon + 1);
    else if (IS("i_month"))
      buf_addf(out, "%d", tm.tm_mon + 1);
    else if (IS("day"))
      buf_addf(out, "%02d", tm.tm_mday);
    else if (IS("i_day"))
      buf_addf(out, "%d", tm.tm_mday);
    else if (IS("title") || IS("slug"))
      buf_adds(out, slug);
    else if (IS("categories")) {
      const char *cat = ev->categories ? ev->categories : "";
      size_t before = out->len;
      for (const char *s = cat; *s;) {
        while (*s == ' ')
          s++;
        size_t w = strcspn(s, " ");
        if (w) {
          if (out->len > before)
            buf_addc(out, '/');
          buf_add(out, s, w);
        }
        s += w;
      }
      if (out->len == before && out->len && out->data[out->len - 1] == '/' &&
          q[0] == '/')
        q++;
    } else
      buf_add(out, p, n + 1);
#undef IS
    p = q;
  }
}
