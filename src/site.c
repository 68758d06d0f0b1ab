#include "site.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "map.h"
#include "markup.h"
#include <sodium.h>

#include "util.h"
#include "when.h"
#include "xalloc.h"

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- finding the event files ---- */

struct walk {
  const struct config *cfg;
  const char *top; /* the events directory, resolved */
  char **rel;      /* paths found, relative to the events directory */
  size_t n, cap;
  bool full;
  struct diags *d;
};

/* What an entry is, following a link only when it stays inside the
 * events directory: 'f' a regular file, 'd' a directory, 0 something to
 * skip (with a warning when warn: a FIFO, a device, a link that leads
 * out — reading it could hang or read what is not the site's). */
static char entry_kind(const struct walk *w, int dfd, const char *path,
                       const char *name, bool warn, bool *link)
{
  struct stat st;
  *link = false;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  if (S_ISLNK(st.st_mode)) {
    *link = true;
    char *target = realpath(path, NULL);
    size_t tl = w->top ? strlen(w->top) : 0;
    bool inside = target && w->top && strncmp(target, w->top, tl) == 0 &&
                  target[tl] == '/';
    if (!inside) {
      if (warn)
        diag_add(w->d, DIAG_WARNING, path, 0,
                 "a link that leads out of the "
                 "events directory (to %s); skipped",
                 target ? target : "nowhere");
      free(target);
      return 0;
    }
    int r = stat(target, &st);
    free(target);
    if (r < 0)
      return 0;
  }
  if (S_ISREG(st.st_mode))
    return 'f';
  if (S_ISDIR(st.st_mode))
    return 'd';
  if (warn)
    diag_add(w->d, DIAG_WARNING, path, 0, "not a regular file (%s); skipped",
             S_ISFIFO(st.st_mode)                         ? "a FIFO"
             : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
             : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                          : "not a file");
  return 0;
}

static bool is_bundle_index(const char *name)
{
  return strcmp(name, "index.md") == 0 || strcmp(name, "index.markdown") == 0 ||
         (strncmp(name, "index.", 6) == 0 &&
          (strlen(name) > 9 && strcmp(name + strlen(name) - 3, ".md") == 0));
}

static void add_found(struct walk *w, const char *rel)
{
  if (w->n == SITE_MAX_EVENTS) {
    if (!w->full)
      diag_add(w->d, DIAG_ERROR, w->cfg->events_dir, 0,
               "more than %d event files; the rest are ignored",
               SITE_MAX_EVENTS);
    w->full = true;
    return;
  }
  w->rel = xgrow(w->rel, &w->cap, w->n + 1, sizeof(*w->rel));
  w->rel[w->n++] = xstrdup(rel);
}

/* Collects the event files under the directory rel ("" for the events
 * directory). Below the top only page bundles' index files are taken,
 * unless the walk is recursive. */
static void walk_dir(struct walk *w, const char *rel, int depth)
{
  const struct site_format *f = &w->cfg->fmt;
  struct buf dirpath = BUF_INIT, path = BUF_INIT, child = BUF_INIT;
  buf_addf(&dirpath, "%s%s%s", w->cfg->events_dir, rel[0] ? "/" : "", rel);
  DIR *dir = opendir(dirpath.data);
  if (!dir) {
    if (depth)
      diag_add(w->d, DIAG_WARNING, dirpath.data, 0,
               "cannot read the "
               "directory: %s; skipped",
               strerror(errno));
    buf_release(&dirpath);
    return;
  }
  struct dirent *de;
  while ((de = readdir(dir)) && !w->full) {
    if (de->d_name[0] == '.')
      continue;
    buf_reset(&path);
    buf_addf(&path, "%s/%s", dirpath.data, de->d_name);
    buf_reset(&child);
    buf_addf(&child, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
    bool wanted = sitefmt_match(f, child.data);
    bool in_bundle = depth == 1 && !f->recursive;
    if (in_bundle && !is_bundle_index(de->d_name))
      continue;
    bool link;
    char k = entry_kind(w, dirfd(dir), path.data, de->d_name, wanted, &link);
    if (k == 'f' && wanted) {
      add_found(w, child.data);
    } else if (k == 'd') {
      if (wanted) /* a directory named like an event file */
        diag_add(w->d, DIAG_WARNING, path.data, 0,
                 "not a regular file (a "
                 "directory); skipped");
      /* subdirectories (not links to them: no loops); page bundles one
       * level down always */
      if (!link && depth < 32 && (f->recursive || depth == 0))
        walk_dir(w, child.data, depth + 1);
    }
  }
  closedir(dir);
  buf_release(&dirpath);
  buf_release(&path);
  buf_release(&child);
}

/* ---- loading ---- */

struct loading {
  struct site *s;
  const struct site_opts *o;
  struct diags *d;
  struct map ids; /* id → the path that has it */
  /* the shapes of dates that loaded: for suggestions */
  struct form {
    char form[96], example[160], path[256];
    size_t count;
  } * forms;
  size_t nforms, capforms;
  struct pending {
    size_t diag;
    char form[96];
  } * bad_dates;
  size_t nbad, capbad;
};

static void add_broken(struct site *s, const char *id)
{
  s->broken = xrealloc(s->broken, (s->nbroken + 1) * sizeof(char *));
  s->broken[s->nbroken++] = xstrdup(id);
}

/* Whether an event of the day y-m-d lies so far back that its problems
 * should not fail a run. */
static bool archived(const struct loading *ld, int y, int m, int d)
{
  if (!ld->o || !ld->o->now || ld->o->strict || !y)
    return false;
  time_t day;
  /* the end of that day in any zone: noon UTC + 36 h */
  struct tm t = {
      .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
  day = timegm(&t) + 36 * 3600;
  return day + ld->s->cfg->fmt.archive_after < ld->o->now;
}

/* After one event was loaded (ev, or NULL when it failed) from path with
 * id: the bookkeeping of ids, broken events, old events and date
 * shapes. from: the index of the first diagnostic of this load. */
static void loaded(struct loading *ld, struct event *ev, const char *path,
                   const char *id, size_t from, const struct event_info *info)
{
  struct site *s = ld->s;
  s->nfiles++;
  if (!ev) {
    add_broken(s, id);
    int y = info ? info->y : 0, m = info ? info->m : 0;
    int d = info ? info->d : 0;
    if (!y && !event_id_date(id, &y, &m, &d, NULL))
      y = 0;
    if (archived(ld, y, m, d))
      diags_demote(ld->d, from,
                   " (an event of the past: a warning only; "
                   "'crier check --strict' makes it an error)");
    if (info && info->date_diag != SIZE_MAX) {
      ld->bad_dates = xgrow(ld->bad_dates, &ld->capbad, ld->nbad + 1,
                            sizeof(*ld->bad_dates));
      ld->bad_dates[ld->nbad].diag = info->date_diag;
      snprintf(ld->bad_dates[ld->nbad].form, sizeof(ld->bad_dates[0].form),
               "%s", info->form);
      ld->nbad++;
    }
  }
  const char *had = map_get(&ld->ids, id);
  if (had) {
    diag_add(ld->d, DIAG_ERROR, path, 0,
             "the id '%s' is also that of %s "
             "(event ids must be unique: rename one)",
             id, had);
    event_free(ev);
    return;
  }
  map_put(&ld->ids, id, (void *)xstrdup(path));
  if (!ev)
    return;
  s->events = xrealloc(s->events, (s->n + 1) * sizeof(*s->events));
  s->events[s->n++] = ev;
  if (info && info->form[0]) {
    size_t i = 0;
    while (i < ld->nforms && strcmp(ld->forms[i].form, info->form) != 0)
      i++;
    if (i == ld->nforms) {
      ld->forms = xgrow(ld->forms, &ld->capforms, i + 1, sizeof(*ld->forms));
      memset(&ld->forms[i], 0, sizeof(ld->forms[i]));
      snprintf(ld->forms[i].form, sizeof(ld->forms[i].form), "%s", info->form);
      snprintf(ld->forms[i].example, sizeof(ld->forms[i].example), "%s",
               info->example);
      snprintf(ld->forms[i].path, sizeof(ld->forms[i].path), "%s", path);
      ld->nforms++;
    }
    ld->forms[i].count++;
  }
}

/* Dates that did not read: say how the site's other events write them. */
static void suggest_forms(struct loading *ld)
{
  const struct form *best = NULL;
  for (size_t i = 0; i < ld->nforms; i++)
    if (!best || ld->forms[i].count > best->count)
      best = &ld->forms[i];
  if (!best)
    return;
  for (size_t i = 0; i < ld->nbad; i++) {
    if (strcmp(ld->bad_dates[i].form, best->form) == 0)
      continue; /* written as the others are: the form is not at fault */
    struct buf b = BUF_INIT;
    buf_addf(&b, " (the site's other events write %s, as in %s)", best->example,
             best->path);
    diag_append(ld->d, ld->bad_dates[i].diag, b.data);
    buf_release(&b);
  }
}

static void free_path(void *ud, const char *k, void *v)
{
  (void)ud;
  (void)k;
  free(v);
}

/* Reads the file at path into text; an error in d if it cannot. */
static bool read_text(const char *path, struct buf *text, struct diags *d)
{
  struct err e;
  if (file_read(path, FILE_MAX, text, &e) == 0)
    return true;
  size_t pl = strlen(path);
  diag_add(d, DIAG_ERROR, path, 0, "%s",
           strncmp(e.msg, path, pl) == 0 && e.msg[pl] == ':' ? e.msg + pl + 2
                                                             : e.msg);
  return false;
}

static void load_event_file(struct loading *ld, const char *path,
                            const char *id)
{
  struct buf text = BUF_INIT;
  size_t from = ld->d->n;
  struct event_info info;
  struct event *ev = NULL;
  memset(&info, 0, sizeof(info));
  info.date_diag = SIZE_MAX;
  if (read_text(path, &text, ld->d))
    ev = event_parse(path, id, text.data, text.len, ld->s->cfg, &ld->s->locs,
                     ld->d, &info);
  loaded(ld, ev, path, id, from, &info);
  buf_release(&text);
}

static struct event *find_id(const struct site *s, const char *id)
{
  for (size_t i = s->n; i-- > 0;)
    if (strcmp(s->events[i]->id, id) == 0)
      return s->events[i];
  return NULL;
}

/* A translation: its title and body go to the event of its id. */
static void load_translation(struct loading *ld, const char *path,
                             const char *id, const char *lang,
                             struct map *by_id)
{
  struct event *main = map_get(by_id, id);
  if (!main) {
    /* a page only in another language: an event of its own */
    if (site_is_broken(ld->s, id))
      return;
    load_event_file(ld, path, id);
    struct event *ev = find_id(ld->s, id);
    if (ev)
      map_put(by_id, id, ev);
    return;
  }
  struct buf text = BUF_INIT;
  if (read_text(path, &text, ld->d)) {
    struct event *tr =
        event_parse_text(path, id, text.data, text.len, ld->s->cfg, ld->d);
    if (tr) {
      event_add_text(main, lang, tr);
      event_free(tr);
    }
  }
  buf_release(&text);
}

/* ---- data files ---- */

static bool id_ok(const char *id)
{
  size_t n = strlen(id);
  if (!n || n > 200 || !isalnum((unsigned char)id[0]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)id[i]) && !strchr("._-", id[i]))
      return false;
  return true;
}

/* The ids a data file that does not parse seems to hold: every line
 * "ID_KEY: value" (at any depth, after "- " too), and every "ID:" that
 * starts a line and opens a map (a map from id to event). */
static size_t scan_ids(struct loading *ld, const char *path)
{
  struct buf text = BUF_INIT;
  struct err e;
  size_t found = 0;
  const char *key = ld->s->cfg->fmt.fields[FLD_ID];
  if (!key || strchr(key, '.') || file_read(path, FILE_MAX, &text, &e) < 0) {
    buf_release(&text);
    return 0;
  }
  size_t kl = strlen(key);
  for (char *p = text.data; p && *p;) {
    char *eol = strchr(p, '\n');
    char *q = p;
    /* a map from id to event: "ID:" at the start of a line */
    size_t kn = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                          "VWXYZ0123456789._-");
    if (kn && p[kn] == ':' &&
        (p[kn + 1] == '\n' || p[kn + 1] == '\r' || !p[kn + 1] ||
         p[kn + 1] == ' ')) {
      const char *r = p + kn + 1;
      while (*r == ' ' || *r == '\r')
        r++;
      char *id = xstrndup(p, kn);
      if ((*r == '\n' || !*r) && id_ok(id) && strcmp(id, key) != 0 &&
          !site_is_broken(ld->s, id)) {
        add_broken(ld->s, id);
        found++;
      }
      free(id);
    }
    while (*q == ' ' || *q == '-')
      q++;
    if (strncmp(q, key, kl) == 0 && q[kl] == ':') {
      q += kl + 1;
      while (*q == ' ')
        q++;
      size_t vl = eol ? (size_t)(eol - q) : strlen(q);
      while (vl && (q[vl - 1] == ' ' || q[vl - 1] == '\r'))
        vl--;
      if (vl >= 2 && (q[0] == '"' || q[0] == '\'') && q[vl - 1] == q[0]) {
        q++;
        vl -= 2;
      }
      char *id = xstrndup(q, vl);
      if (id_ok(id) && !site_is_broken(ld->s, id)) {
        add_broken(ld->s, id);
        found++;
      }
      free(id);
    }
    p = eol ? eol + 1 : NULL;
  }
  buf_release(&text);
  return found;
}

static void load_data_entry(struct loading *ld, const char *path,
                            const struct ynode *m, const char *key_id)
{
  const struct site_format *f = &ld->s->cfg->fmt;
  const char *idpath = f->fields[FLD_ID] ? f->fields[FLD_ID] : "id";
  const struct ynode *idn = ypath_get(m, idpath);
  const char *id = idn && idn->kind == Y_STR ? idn->str : key_id;
  if (!id || !*id) {
    diag_add(ld->d, DIAG_ERROR, path, m->line,
             "an event without '%s' (its "
             "id: each event of a data file needs one, see site.fields.id)",
             idpath);
    ld->s->nfiles++;
    return;
  }
  if (!id_ok(id)) {
    diag_add(ld->d, DIAG_ERROR, path, idn ? idn->line : m->line,
             "the id "
             "'%s' may hold only letters, digits, '.', '_' and '-', and "
             "must start with a letter or a digit",
             id);
    ld->s->nfiles++;
    return;
  }
  size_t from = ld->d->n;
  struct event_info info;
  struct event *ev =
      event_from_map(path, id, m, ld->s->cfg, &ld->s->locs, ld->d, &info);
  loaded(ld, ev, path, id, from, &info);
}

static void load_data_file(struct loading *ld, const char *path)
{
  size_t from = ld->d->n;
  struct ynode *root = yamlx_load_file(path, ld->d);
  if (!root) {
    size_t n = scan_ids(ld, path);
    if (n)
      diag_add(ld->d, DIAG_WARNING, path, 0,
               "%zu event%s in this file %s "
               "left alone until it loads",
               n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
    else
      ld->s->broken_unknown = true;
    (void)from;
    return;
  }
  const struct site_format *f = &ld->s->cfg->fmt;
  const char *idpath = f->fields[FLD_ID] ? f->fields[FLD_ID] : "id";
  if (root->kind == Y_SEQ) {
    for (size_t i = 0; i < root->n; i++) {
      if (root->items[i].kind != Y_MAP) {
        diag_add(ld->d, DIAG_ERROR, path, root->items[i].line,
                 "an event "
                 "must be a map of fields, not %s",
                 ykind_name(root->items[i].kind));
        ld->s->nfiles++;
        continue;
      }
      load_data_entry(ld, path, &root->items[i], NULL);
    }
  } else if (root->kind == Y_MAP && ypath_get(root, idpath)) {
    load_data_entry(ld, path, root, NULL); /* one event */
  } else if (root->kind == Y_MAP) {
    /* a map from the id to the event */
    for (size_t i = 0; i < root->n; i++) {
      if (root->items[i].kind != Y_MAP) {
        diag_add(ld->d, DIAG_ERROR, path, root->items[i].line,
                 "event '%s' "
                 "must be a map of fields, not %s",
                 root->keys[i].str, ykind_name(root->items[i].kind));
        ld->s->nfiles++;
        continue;
      }
      load_data_entry(ld, path, &root->items[i], root->keys[i].str);
    }
  } else {
    diag_add(ld->d, DIAG_ERROR, path, root->line,
             "a data file must hold a "
             "list of events, one event, or a map from id to event, not %s",
             ykind_name(root->kind));
    ld->s->broken_unknown = true;
  }
  ynode_free(root);
}

static bool yaml_name(const char *name)
{
  size_t n = strlen(name);
  return name[0] != '.' && ((n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
                            (n > 5 && strcmp(name + n - 5, ".yaml") == 0));
}

static void load_data(struct loading *ld)
{
  char **data = ld->s->cfg->fmt.data;
  for (size_t i = 0; data && data[i]; i++) {
    struct stat st;
    if (stat(data[i], &st) < 0) {
      diag_add(ld->d, DIAG_ERROR, data[i], 0,
               "cannot read the data file: "
               "%s",
               strerror(errno));
      ld->s->broken_unknown = true;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      load_data_file(ld, data[i]);
      continue;
    }
    DIR *dir = opendir(data[i]);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir)))
      if (yaml_name(de->d_name)) {
        names = xgrow(names, &cap, n + 1, sizeof(*names));
        names[n++] = xstrdup(de->d_name);
      }
    if (dir)
      closedir(dir);
    if (n)
      qsort(names, n, sizeof(*names), cmp_str);
    struct buf p = BUF_INIT;
    for (size_t k = 0; k < n; k++) {
      buf_reset(&p);
      buf_addf(&p, "%s/%s", data[i], names[k]);
      load_data_file(ld, p.data);
      free(names[k]);
    }
    buf_release(&p);
    free(names);
  }
}

int site_load(struct site *s, const struct config *cfg,
              const struct site_opts *o, struct diags *d)
{
  memset(s, 0, sizeof(*s));
  s->cfg = cfg;
  s->events = xcalloc(1, sizeof(*s->events));
  if (locations_load(&s->locs, cfg->locations, d) < 0)
    s->locations_failed = true; /* events naming a place fail to load */
  struct loading ld = {.s = s, .o = o, .d = d, .ids = MAP_INIT};
  struct walk w = {.cfg = cfg, .d = d};
  if (cfg->walk_events) {
    DIR *dir = opendir(cfg->events_dir);
    if (!dir)
      return diag_add(d, DIAG_ERROR, cfg->events_dir, 0,
                      "cannot read the events directory: %s", strerror(errno));
    closedir(dir);
    char *top = realpath(cfg->events_dir, NULL);
    w.top = top;
    walk_dir(&w, "", 0);
    free(top);
  }
  if (w.n)
    qsort(w.rel, w.n, sizeof(*w.rel), cmp_str);
  /* the files in the site's language first, then the translations */
  struct map by_id = MAP_INIT;
  struct buf path = BUF_INIT;
  bool tty = o && o->progress && isatty(2);
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < w.n; i++) {
      buf_reset(&path);
      buf_addf(&path, "%s/%s", cfg->events_dir, w.rel[i]);
      const char *lang;
      char *id = sitefmt_file_id(&cfg->fmt, w.rel[i], &lang);
      if (pass == 0 && !lang) {
        load_event_file(&ld, path.data, id);
        struct event *ev = find_id(s, id);
        if (ev && !map_get(&by_id, id))
          map_put(&by_id, id, ev);
      } else if (pass == 1 && lang) {
        load_translation(&ld, path.data, id, lang, &by_id);
      }
      free(id);
      if (pass == 1 && tty && w.n >= 2000 && (i % 1000 == 999 || i + 1 == w.n))
        log_msg(LOG_TRACE, "\rcrier: loading events %zu/%zu", i + 1, w.n);
    }
  }
  if (tty && w.n >= 2000)
    log_msg(LOG_TRACE, "\n");
  load_data(&ld);
  suggest_forms(&ld);
  for (size_t i = 0; i < w.n; i++)
    free(w.rel[i]);
  free(w.rel);
  map_release(&by_id);
  map_each(&ld.ids, free_path, NULL);
  map_release(&ld.ids);
  free(ld.forms);
  free(ld.bad_dates);
  buf_release(&path);
  return 0;
}

bool site_is_event_path(const struct config *cfg, const char *rel)
{
  const struct site_format *f = &cfg->fmt;
  if (!cfg->walk_events || !sitefmt_match(f, rel))
    return false;
  for (const char *p = rel; *p; p++)
    if (*p == '.' && (p == rel || p[-1] == '/'))
      return false; /* a hidden file or directory */
  const char *slash = strchr(rel, '/');
  if (!slash || f->recursive)
    return true;
  const char *base = slash + 1;
  return !strchr(base, '/') && is_bundle_index(base);
}

bool site_is_data_path(const struct config *cfg, const char *path)
{
  char *real = realpath(path, NULL);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  bool hit = false;
  for (size_t i = 0; !hit && cfg->fmt.data && cfg->fmt.data[i]; i++) {
    char *d = realpath(cfg->fmt.data[i], NULL);
    if (d && real && strcmp(d, real) == 0) {
      hit = true;
    } else if (d && yaml_name(base)) {
      /* a file in a data directory: its directory is d */
      char *dir = xstrndup(path, (size_t)(base - path));
      char *rdir = realpath(dir[0] ? dir : ".", NULL);
      hit = rdir && strcmp(rdir, d) == 0;
      free(rdir);
      free(dir);
    }
    free(d);
  }
  free(real);
  return hit;
}

/* A digest of a tree of fields: kinds, keys and values, with lengths. */
static void digest_node(crypto_hash_sha256_state *st, const struct ynode *n)
{
  char head[32];
  int hl = snprintf(head, sizeof(head), "%d:%zu:", (int)n->kind,
                    n->kind == Y_STR ? strlen(n->str) : n->n);
  crypto_hash_sha256_update(st, (const unsigned char *)head, (size_t)hl);
  if (n->kind == Y_STR) {
    crypto_hash_sha256_update(st, (const unsigned char *)n->str,
                              strlen(n->str));
    return;
  }
  for (size_t i = 0; i < n->n; i++) {
    if (n->kind == Y_MAP)
      digest_node(st, &n->keys[i]);
    digest_node(st, &n->items[i]);
  }
}

static void add_entry(struct data_entry **v, size_t *n, size_t *cap,
                      const char *id, const struct ynode *m)
{
  *v = xgrow(*v, cap, *n + 1, sizeof(**v));
  struct data_entry *e = &(*v)[(*n)++];
  e->id = xstrdup(id);
  crypto_hash_sha256_state st;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_init(&st);
  digest_node(&st, m);
  crypto_hash_sha256_final(&st, h);
  sodium_bin2hex(e->digest, sizeof(e->digest), h, sizeof(h));
}

size_t site_data_entries(const struct config *cfg, const char *text, size_t len,
                         struct data_entry **out)
{
  struct diags quiet;
  diags_init(&quiet);
  struct ynode *root = yamlx_parse(text, len, "data", 0, &quiet);
  diags_release(&quiet);
  *out = NULL;
  if (!root)
    return 0;
  const char *idpath = cfg->fmt.fields[FLD_ID] ? cfg->fmt.fields[FLD_ID] : "id";
  size_t n = 0, cap = 0;
  const struct ynode *idn;
  if (root->kind == Y_SEQ) {
    for (size_t i = 0; i < root->n; i++)
      if ((idn = ypath_get(&root->items[i], idpath)) && idn->kind == Y_STR)
        add_entry(out, &n, &cap, idn->str, &root->items[i]);
  } else if (root->kind == Y_MAP && (idn = ypath_get(root, idpath)) &&
             idn->kind == Y_STR) {
    add_entry(out, &n, &cap, idn->str, root);
  } else if (root->kind == Y_MAP) {
    for (size_t i = 0; i < root->n; i++) {
      idn = ypath_get(&root->items[i], idpath);
      add_entry(out, &n, &cap,
                idn && idn->kind == Y_STR ? idn->str : root->keys[i].str,
                &root->items[i]);
    }
  }
  ynode_free(root);
  return n;
}

void data_entries_free(struct data_entry *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i].id);
  free(v);
}

int site_load_file(struct site *s, const char *path, struct diags *d)
{
  struct loading ld = {.s = s, .d = d, .ids = MAP_INIT};
  size_t before = s->n;
  size_t n = strlen(path);
  bool data = (n > 4 && strcmp(path + n - 4, ".yml") == 0) ||
              (n > 5 && strcmp(path + n - 5, ".yaml") == 0);
  if (data) {
    load_data_file(&ld, path);
  } else {
    char *id = sitefmt_file_id(&s->cfg->fmt, path, NULL);
    load_event_file(&ld, path, id);
    free(id);
  }
  suggest_forms(&ld);
  map_each(&ld.ids, free_path, NULL);
  map_release(&ld.ids);
  free(ld.forms);
  free(ld.bad_dates);
  return s->n > before ? (int)(s->n - before) : -1;
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
  if (s->broken_unknown)
    for (size_t i = 0; i < s->n; i++)
      if (strcmp(s->events[i]->id, id) == 0)
        return false;
  return s->broken_unknown;
}

static bool same_file(const char *a, const char *b)
{
  char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
  bool same = ra && rb && strcmp(ra, rb) == 0;
  free(ra);
  free(rb);
  return same;
}

const struct event *site_find(struct site *s, const char *what, struct diags *d,
                              struct err *e)
{
  size_t wlen = strlen(what);
  bool pathlike =
      strchr(what, '/') || (wlen > 3 && strcmp(what + wlen - 3, ".md") == 0 &&
                            access(what, F_OK) == 0);
  if (pathlike && access(what, F_OK) == 0) {
    for (size_t i = 0; i < s->n; i++)
      if (same_file(s->events[i]->path, what))
        return s->events[i];
    size_t errors = d->errors, before = s->n;
    if (site_load_file(s, what, d) < 0) {
      err_set(e, d->errors > errors ? EX_DATAERR : EX_NOINPUT,
              "'%s' does not load", what);
      return NULL;
    }
    return s->events[before];
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
  for (int pass = 0; pass < 4 && !matches; pass++) {
    for (size_t i = 0; i < s->n; i++) {
      const char *id = s->events[i]->id;
      size_t il = strlen(id);
      bool m = pass == 0   ? il == wl && strncmp(id, what, wl) == 0
               : pass == 1 ? il == wl + 11 && strncmp(id + 11, what, wl) == 0
               /* "ownership" for the bundle 01-ownership */
               : pass == 2
                   ? il > wl + 1 && id[il - wl - 1] == '-' &&
                         strncmp(id + il - wl, what, wl) == 0
                   : (il > wl && strncmp(id, what, wl) == 0) ||
                         (il > wl + 11 && strncmp(id + 11, what, wl) == 0);
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
    err_set(e, EX_NOINPUT, "no event '%s' in %s (see 'crier list --all')", what,
            s->cfg->events_dir);
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
          v[n++] = (struct link_ref){l, ev->links[k].url, i, ev->links[k].line};
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

static bool dated_id(const char *id, int *y, int *m, int *d)
{
  return event_id_date(id, y, m, d, NULL);
}

static bool from_data_file(const struct event *ev)
{
  size_t n = strlen(ev->path);
  return (n > 4 && strcmp(ev->path + n - 4, ".yml") == 0) ||
         (n > 5 && strcmp(ev->path + n - 5, ".yaml") == 0);
}

void site_lint(const struct site *s, struct diags *d)
{
  /* the languages whose month names a title may use: German, English
   * and those of the channels */
  int langs = LANG_DE | LANG_EN;
  for (size_t i = 0; s->cfg && i < s->cfg->nchannels; i++)
    langs |= s->cfg->channels[i].langs;
  /* file names start with the date where the site names them so */
  size_t files = 0, dated = 0;
  int y, m, dd;
  for (size_t i = 0; i < s->n; i++)
    if (!from_data_file(s->events[i])) {
      files++;
      dated += dated_id(s->events[i]->id, &y, &m, &dd);
    }
  bool names_dated = dated * 2 >= files;
  for (size_t i = 0; i < s->n; i++) {
    const struct event *ev = s->events[i];
    if (ev->unpublished)
      diag_add(d, DIAG_WARNING, ev->path, 0,
               "a draft (published: false or "
               "draft: true): crier never announces it");
    struct tm tm;
    when_local_in(ev->tz, ev->start, &tm);
    if (dated_id(ev->id, &y, &m, &dd)) {
      if (y != tm.tm_year + 1900 || m != tm.tm_mon + 1 || dd != tm.tm_mday)
        diag_add(d, DIAG_WARNING, ev->path, ev->line_date,
                 "the file name says %04d-%02d-%02d but '%s:' says "
                 "%04d-%02d-%02d",
                 y, m, dd,
                 s->cfg && s->cfg->fmt.fields[FLD_DATE]
                     ? s->cfg->fmt.fields[FLD_DATE]
                     : "date",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    } else if (names_dated && !from_data_file(ev)) {
      diag_add(d, DIAG_WARNING, ev->path, 0,
               "the file name does not start with the date (YYYY-MM-DD-)");
    }
    for (int l = 0; l < LANG_MAX && ev->title; l++) {
      if (!(langs & (1 << l)) || (size_t)l >= lang_count())
        continue;
      for (int mon = 0; mon < 12; mon++) {
        const char *name = i18n_month((enum lang)l, mon);
        /* "May"/"Mai" are also ordinary words; only whole words count */
        if (mon != tm.tm_mon && name[0] && word_at(ev->title, name) &&
            !(mon == 4 && l == LANG_ID_EN &&
              strstr(ev->title, "May ") == ev->title))
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
  if (ev->page_url) { /* the file names its page */
    url_resolve(cfg->site_url, ev->page_url, out);
    return;
  }
  struct tm tm;
  when_local_in(ev->tz, ev->start, &tm);
  const char *slug = ev->id;
  int y, m, dd;
  event_id_date(ev->id, &y, &m, &dd, &slug);
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
