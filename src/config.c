#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "chan.h"
#include "render.h"
#include "url.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"
#include "yamlx.h"

/* A table-driven reader: each section lists its keys (struct cfg_field,
 * config.h), their kind, and where the value goes (an offset into the
 * struct being filled). A channel type lists its own (chan.h). */
#define CF(k, t, m)                                                            \
  {                                                                            \
    k, t, offsetof(struct config, m), NULL, 0, NULL                            \
  }
#define IGNORED(k)                                                             \
  {                                                                            \
    k, CFG_IGNORE, 0, NULL, 0, NULL                                            \
  }

static const struct cfg_field site_fields[] = {
    CF("events", CFG_PATH, events_dir), CF("locations", CFG_PATH, locations),
    CF("timezone", CFG_STR, timezone), CF("url", CFG_URL, site_url),
    CF("permalink", CFG_STR, permalink), CF("name", CFG_STR, site_name),
    /* the format of the event files: sitefmt.c */
    IGNORED("fields"), IGNORED("recursive"), IGNORED("include"),
    IGNORED("exclude"), IGNORED("data"), IGNORED("translations"),
    IGNORED("other_keys"), IGNORED("default_time"), IGNORED("talks_missing"),
    IGNORED("body"), IGNORED("places"), IGNORED("shortcodes"),
    IGNORED("archive_after"), CFG_END};

static const struct cfg_field serve_fields[] = {
    CF("listen", CFG_STR, serve_listen),
    CF("branch", CFG_STR, serve_branch),
    CF("github_secret", CFG_SECRET, serve_github_secret),
    CF("announce_secret", CFG_SECRET, serve_announce_secret),
    CF("queue", CFG_INT, serve_queue),
    CF("git_timeout", CFG_INT, serve_git_timeout),
    CFG_END};

static const struct cfg_field calendar_fields[] = {
    CF("name", CFG_STR, cal_name),
    CF("output", CFG_PATH, cal_output),
    CF("times", CFG_STR, cal_times),
    CF("past", CFG_DURATION, cal_past),
    CF("future", CFG_DURATION, cal_future),
    CF("refresh", CFG_DURATION, cal_refresh),
    CFG_END};

static const struct cfg_field delivery_fields[] = {
    CF("connections", CFG_INT, connections), CFG_END};

static const struct cfg_field top_fields[] = {
    CFG_SUB("site", site_fields),
    CF("journal", CFG_PATH, journal),
    CF("templates", CFG_PATH, templates),
    IGNORED("schedule"),
    IGNORED("channels"),
    CFG_SUB("serve", serve_fields),
    CFG_SUB("calendar", calendar_fields),
    CFG_SUB("delivery", delivery_fields),
    CFG_END};

static const char *const schedule_keys[] = {"announce_lead", "reminders",
                                            "min_gap", "max_vanished",
                                            "default_duration"};

struct ctx {
  const char *file;
  const char *dir;
  struct diags *d;
};

#define bad(c, line, ...)                                                      \
  diag_add((c)->d, DIAG_ERROR, (c)->file, line, __VA_ARGS__)

static char *resolve_path(const char *dir, const char *p)
{
  if (p[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
    return xstrdup(p);
  struct buf b = BUF_INIT;
  buf_addf(&b, "%s/%s", dir, p);
  return buf_detach(&b);
}

static void strlist_release(struct strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

static void secret_release(struct secret_ref *s)
{
  free(s->name);
  s->name = NULL;
  s->kind = SECRET_NONE;
}

static int read_secret(struct ctx *c, const char *key, const struct ynode *v,
                       struct secret_ref *out)
{
  if (v->kind != Y_MAP || v->n != 1)
    return bad(c, v->line,
               "'%s' is a secret: write {env: NAME} or {file: PATH}, never "
               "the secret itself",
               key);
  const char *how = v->keys[0].str;
  const struct ynode *val = &v->items[0];
  if (val->kind != Y_STR || !val->str[0])
    return bad(c, val->line, "'%s.%s' must be a name or a path", key, how);
  if (strcmp(how, "env") == 0) {
    out->kind = SECRET_ENV;
    out->name = xstrdup(val->str);
  } else if (strcmp(how, "file") == 0) {
    out->kind = SECRET_FILE;
    out->name = resolve_path(c->dir, val->str);
  } else {
    return bad(c, v->keys[0].line,
               "'%s' is a secret: {env: NAME} or {file: PATH}, not '%s'", key,
               how);
  }
  return 0;
}

static void report_unknown(struct ctx *c, const struct ynode *k,
                           const char *const *known, size_t n,
                           const char *where)
{
  const char *near = closest_word(k->str, known, n);
  if (near)
    diag_add(c->d, DIAG_ERROR, c->file, k->line,
             "unknown key '%s' in %s (did you mean '%s'?)", k->str, where,
             near);
  else
    diag_add(c->d, DIAG_ERROR, c->file, k->line, "unknown key '%s' in %s",
             k->str, where);
}

/* Reads value v of key k (field f) into its slot in base. */
static int read_value(struct ctx *c, const struct cfg_field *f, const char *k,
                      const struct ynode *v, void *base)
{
  char *slot = (char *)base + f->off;
  if (f->kind == CFG_SECRET)
    return read_secret(c, k, v, (struct secret_ref *)slot);
  if (f->kind == CFG_LIST) {
    struct strlist *l = (struct strlist *)slot;
    strlist_release(l);
    if (v->kind == Y_STR && !ynode_is_null(v)) {
      l->v = xcalloc(1, sizeof(char *));
      l->v[l->n++] = xstrdup(v->str);
      return 0;
    }
    if (v->kind != Y_SEQ)
      return bad(c, v->line, "'%s' must be a list of strings", k);
    int rc = 0;
    l->v = xcalloc(v->n ? v->n : 1, sizeof(char *));
    for (size_t j = 0; j < v->n; j++) {
      if (v->items[j].kind != Y_STR) {
        rc = bad(c, v->items[j].line, "'%s' must be a list of strings", k);
        continue;
      }
      l->v[l->n++] = xstrdup(v->items[j].str);
    }
    return rc;
  }
  if (v->kind != Y_STR)
    return bad(c, v->line, "'%s' must be a single value, not %s", k,
               ykind_name(v->kind));
  const char *s = v->str;
  char *end;
  struct err de;
  switch (f->kind) {
  case CFG_BOOL:
    if (!ynode_bool(v, (bool *)slot))
      return bad(c, v->line, "'%s' must be true or false, not '%s'", k, s);
    break;
  case CFG_INT: {
    long n = strtol(s, &end, 10);
    if (!*s || *end || n < 0 || n > 86400)
      return bad(c, v->line, "'%s' must be a whole number, not '%s'", k, s);
    *(long *)slot = n;
    break;
  }
  case CFG_NUM: {
    double n = strtod(s, &end);
    if (!*s || *end || n < 0 || n > 3600)
      return bad(c, v->line, "'%s' must be a number of seconds, not '%s'", k,
                 s);
    *(double *)slot = n;
    break;
  }
  case CFG_URL:
  case CFG_ENDPOINT: {
    /* an endpoint is where crier sends requests (and credentials) */
    struct url u;
    struct err ue;
    if (url_parse(s, &u, &ue) < 0 ||
        (f->kind == CFG_ENDPOINT && url_check_endpoint(s, &ue) < 0))
      return bad(c, v->line, "'%s': %s", k, ue.msg);
    free(*(char **)slot);
    *(char **)slot = xstrdup(s);
    break;
  }
  case CFG_DURATION:
    if (when_parse_duration(s, (long *)slot, &de) < 0)
      return bad(c, v->line, "'%s': %s", k, de.msg);
    break;
  case CFG_PATH:
    free(*(char **)slot);
    *(char **)slot = resolve_path(c->dir, s);
    break;
  default:
    free(*(char **)slot);
    *(char **)slot = xstrdup(s);
  }
  return 0;
}

static int read_fields(struct ctx *c, const struct ynode *map,
                       const struct cfg_field *fields, void *base,
                       const char *where)
{
  int rc = 0;
  if (map->kind != Y_MAP)
    return bad(c, map->line, "%s must be a map, not %s", where,
               ykind_name(map->kind));
  const char *names[48];
  size_t nnames = 0;
  for (const struct cfg_field *f = fields; f->key && nnames < 48; f++)
    names[nnames++] = f->key;
  for (size_t i = 0; i < map->n; i++) {
    const struct ynode *k = &map->keys[i], *v = &map->items[i];
    const struct cfg_field *f = fields;
    while (f->key && strcmp(f->key, k->str) != 0)
      f++;
    if (!f->key) {
      report_unknown(c, k, names, nnames, where);
      rc = -1;
      continue;
    }
    if (f->kind == CFG_IGNORE)
      continue;
    if (f->kind == CFG_SECTION) {
      struct buf w = BUF_INIT;
      buf_addf(&w, "'%s'", k->str);
      if (read_fields(c, v, f->sub, base, w.data) < 0)
        rc = -1;
      buf_release(&w);
      continue;
    }
    if (read_value(c, f, k->str, v, base) < 0)
      rc = -1;
  }
  return rc;
}

/* The defaults of the keys map does not have, and the required ones it
 * lacks (an error at line). */
static int fill_defaults(struct ctx *c, const struct ynode *map,
                         const struct cfg_field *fields, void *base,
                         const char *name, int line)
{
  int rc = 0;
  for (const struct cfg_field *f = fields; f->key; f++) {
    const struct ynode *v = map ? ymap_get(map, f->key) : NULL;
    if (!v && (f->flags & CFG_REQUIRED)) {
      rc = bad(c, line, "channel '%s' needs '%s'", name, f->key);
    } else if (f->kind == CFG_SECTION) {
      if (v && v->kind == Y_MAP &&
          fill_defaults(c, v, f->sub, base, name, v->line) < 0)
        rc = -1;
    } else if (!v && f->def) {
      /* written as in crier.yaml, without quotes: "true" is a bool */
      struct ynode dv = {
          .kind = Y_STR, .line = line, .str = (char *)f->def, .plain = true};
      if (read_value(c, f, f->key, &dv, base) < 0)
        rc = -1;
    }
  }
  return rc;
}

/* Frees what the fields' slots in base hold. */
static void release_fields(const struct cfg_field *fields, void *base)
{
  for (const struct cfg_field *f = fields; f->key; f++) {
    char *slot = (char *)base + f->off;
    switch (f->kind) {
    case CFG_SECTION:
      release_fields(f->sub, base);
      break;
    case CFG_STR:
    case CFG_PATH:
    case CFG_URL:
    case CFG_ENDPOINT:
      xfree((char **)slot);
      break;
    case CFG_LIST:
      strlist_release((struct strlist *)slot);
      break;
    case CFG_SECRET:
      secret_release((struct secret_ref *)slot);
      break;
    default:
      break;
    }
  }
}

/* The field of key in fields (sections too), or NULL. */
static const struct cfg_field *find_field(const struct cfg_field *fields,
                                          const char *key)
{
  for (const struct cfg_field *f = fields; f->key; f++) {
    if (f->kind == CFG_SECTION) {
      const struct cfg_field *in = find_field(f->sub, key);
      if (in)
        return in;
    } else if (strcmp(f->key, key) == 0 && f->kind != CFG_IGNORE) {
      return f;
    }
  }
  return NULL;
}

static int read_schedule(struct ctx *c, const struct ynode *s,
                         struct config *cfg)
{
  int rc = 0;
  struct err e;
  if (s->kind != Y_MAP)
    return bad(c, s->line, "'schedule' must be a map, not %s",
               ykind_name(s->kind));
  for (size_t i = 0; i < s->n; i++) {
    const struct ynode *k = &s->keys[i], *v = &s->items[i];
    if (strcmp(k->str, "announce_lead") == 0 ||
        strcmp(k->str, "min_gap") == 0) {
      long *slot = k->str[0] == 'a' ? &cfg->announce_lead : &cfg->min_gap;
      if (v->kind != Y_STR || when_parse_duration(v->str, slot, &e) < 0)
        rc = bad(c, v->line, "'%s': %s", k->str,
                 v->kind == Y_STR ? e.msg : "expected a duration such as 21d");
    } else if (strcmp(k->str, "default_duration") == 0) {
      long secs = 0;
      if (v->kind != Y_STR || when_parse_duration(v->str, &secs, &e) < 0)
        rc = bad(c, v->line, "'default_duration': %s",
                 v->kind == Y_STR ? e.msg : "expected a duration such as 2h");
      else if (secs < 60 || secs > 14 * 86400)
        rc = bad(c, v->line, "'default_duration' must be from 1m to 14d");
      else
        cfg->default_duration = secs;
    } else if (strcmp(k->str, "max_vanished") == 0) {
      char *end = NULL;
      long n = v->kind == Y_STR ? strtol(v->str, &end, 10) : -1;
      if (v->kind != Y_STR || !*v->str || *end || n < 0 || n > 100000)
        rc = bad(c, v->line,
                 "'max_vanished' must be a whole number (how "
                 "many vanished events may be cancelled at once)");
      else
        cfg->max_vanished = n;
    } else if (strcmp(k->str, "reminders") == 0) {
      if (v->kind != Y_SEQ) {
        rc = bad(c, v->line,
                 "'%s' must be a list of durations such as "
                 "[7d, 1d, 2h]",
                 k->str);
        continue;
      }
      if (v->n > CONFIG_MAX_REMINDERS) {
        rc = bad(c, v->line,
                 "'reminders': %zu reminders, more than the "
                 "limit of %d",
                 v->n, CONFIG_MAX_REMINDERS);
        continue;
      }
      free(cfg->reminders);
      cfg->reminders = xcalloc(v->n ? v->n : 1, sizeof(long));
      cfg->nreminders = 0;
      for (size_t j = 0; j < v->n; j++) {
        long secs;
        if (v->items[j].kind != Y_STR ||
            when_parse_duration(v->items[j].str, &secs, &e) < 0 || secs <= 0) {
          rc = bad(c, v->items[j].line, "'reminders': %s",
                   v->items[j].kind == Y_STR ? e.msg : "expected a duration");
          continue;
        }
        for (size_t m = 0; m < cfg->nreminders; m++)
          if (cfg->reminders[m] == secs)
            rc = bad(c, v->items[j].line,
                     "'reminders': '%s' is listed "
                     "twice",
                     v->items[j].str);
        cfg->reminders[cfg->nreminders++] = secs;
      }
      /* sort descending: the earliest reminder first */
      for (size_t a = 1; a < cfg->nreminders; a++)
        for (size_t b = a; b > 0 && cfg->reminders[b - 1] < cfg->reminders[b];
             b--) {
          long t = cfg->reminders[b];
          cfg->reminders[b] = cfg->reminders[b - 1];
          cfg->reminders[b - 1] = t;
        }
    } else {
      report_unknown(c, k, schedule_keys, 5, "'schedule'");
      rc = -1;
    }
  }
  return rc;
}

static int read_lang(struct ctx *c, const struct ynode *v, struct channel *ch)
{
  const struct ynode *one = v;
  size_t n = 1;
  if (v->kind == Y_SEQ) {
    n = v->n;
    one = v->items;
  }
  if (v->kind == Y_MAP || n == 0 || n > LANG_MAX)
    return bad(c, v->line,
               "'lang' must be a language (%s) or a list of "
               "them, such as [de, en]",
               lang_list());
  ch->langs = 0;
  ch->nlang_order = 0;
  ch->lang_name[0] = '\0';
  struct buf name = BUF_INIT;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    const struct ynode *l = &one[i];
    int id = l->kind == Y_STR ? lang_find(l->str) : -1;
    if (id < 0 || (ch->langs & (1 << id)))
      rc = bad(c, l->line,
               "'lang' must be one of the languages with a "
               "data file (%s), each once, not '%s'",
               lang_list(), l->kind == Y_STR ? l->str : "?");
    else {
      if (id == LANG_ID_DE && (ch->langs & LANG_EN))
        ch->lang_first_en = true;
      ch->langs |= 1 << id;
      ch->lang_order[ch->nlang_order++] = (unsigned char)id;
      buf_addf(&name, "%s%s", i ? "+" : "", l->str);
    }
  }
  snprintf(ch->lang_name, sizeof(ch->lang_name), "%s", name.data);
  buf_release(&name);
  return rc;
}

static int read_notices(struct ctx *c, const struct ynode *v,
                        struct config *cfg, struct channel *ch)
{
  struct notice_filter *f = &ch->notices;
  f->announce = f->update = f->cancel = f->all_reminders = false;
  if (v->kind != Y_SEQ)
    return bad(c, v->line,
               "'notices' must be a list such as [announce, "
               "reminder, update, cancel]");
  int rc = 0;
  for (size_t i = 0; i < v->n; i++) {
    const struct ynode *n = &v->items[i];
    const char *s = n->kind == Y_STR ? n->str : "";
    if (strcmp(s, "announce") == 0) {
      f->announce = true;
    } else if (strcmp(s, "update") == 0) {
      f->update = true;
    } else if (strcmp(s, "cancel") == 0) {
      f->cancel = true;
    } else if (strcmp(s, "reminder") == 0) {
      f->all_reminders = true;
    } else if (strncmp(s, "reminder-", 9) == 0) {
      long secs;
      struct err e;
      bool known = false;
      if (when_parse_duration(s + 9, &secs, &e) == 0)
        for (size_t k = 0; k < cfg->nreminders; k++)
          known |= cfg->reminders[k] == secs;
      if (!known) {
        rc = bad(c, n->line,
                 "'%s' is not one of the reminders in "
                 "'schedule.reminders'",
                 s);
        continue;
      }
      f->reminders =
          xrealloc(f->reminders, (f->nreminders + 1) * sizeof(char *));
      struct buf b = BUF_INIT;
      buf_adds(&b, "reminder-");
      when_format_duration(secs, &b);
      f->reminders[f->nreminders++] = buf_detach(&b);
    } else {
      static const char *const kinds[] = {"announce", "reminder", "update",
                                          "cancel"};
      const char *near = closest_word(s, kinds, 4);
      if (near)
        rc = bad(c, n->line, "unknown notice '%s' (did you mean '%s'?)", s,
                 near);
      else
        rc = bad(c, n->line,
                 "unknown notice '%s' (expected announce, "
                 "reminder, reminder-OFFSET, update or cancel)",
                 s);
    }
  }
  return rc;
}

/* The keys every channel has, whatever its type. */
static const struct cfg_field common_fields[] = {
    IGNORED("name"),
    IGNORED("type"),
    IGNORED("lang"),
    IGNORED("notices"),
    {"timeout", CFG_INT, offsetof(struct channel, timeout), NULL, 0, NULL},
    {"retries", CFG_INT, offsetof(struct channel, retries), NULL, 0, NULL},
    CFG_END};

int cfg_error(const struct cfg_check *k, const char *key, const char *fmt, ...)
{
  const struct ynode *v = key ? ymap_get(k->node, key) : NULL;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return diag_add(k->d, DIAG_ERROR, k->file, v ? v->line : k->node->line, "%s",
                  msg);
}

bool cfg_has(const struct cfg_check *k, const char *key)
{
  return ymap_get(k->node, key) != NULL;
}

/* The keys of a channel: the common ones, then its type's (the names
 * offered for a misspelt key). */
static int read_channel_keys(struct ctx *c, const struct ynode *m,
                             struct channel *ch, const char *where)
{
  const struct chan_type *t = ch->type;
  int rc = 0;
  const char *names[64];
  size_t nnames = 0;
  for (const struct cfg_field *f = common_fields; f->key; f++)
    names[nnames++] = f->key;
  for (const struct cfg_field *f = t->fields; f->key && nnames < 64; f++)
    names[nnames++] = f->key;
  for (size_t i = 0; i < m->n; i++) {
    const struct ynode *k = &m->keys[i], *v = &m->items[i];
    const struct cfg_field *f = common_fields;
    void *base = ch;
    while (f->key && strcmp(f->key, k->str) != 0)
      f++;
    if (!f->key) {
      base = ch->conf;
      for (f = t->fields; f->key && strcmp(f->key, k->str) != 0;)
        f++;
    }
    if (!f->key) {
      report_unknown(c, k, names, nnames, where);
      rc = -1;
    } else if (f->kind == CFG_SECTION) {
      struct buf w = BUF_INIT;
      buf_addf(&w, "'%s'", k->str);
      if (read_fields(c, v, f->sub, base, w.data) < 0)
        rc = -1;
      buf_release(&w);
    } else if (f->kind != CFG_IGNORE && read_value(c, f, k->str, v, base) < 0) {
      rc = -1;
    }
  }
  return rc;
}

static int read_channel(struct ctx *c, const struct ynode *m,
                        struct config *cfg, struct channel *ch)
{
  ch->line = m->line;
  ch->retries = -1;
  ch->langs = LANG_DE;
  ch->lang_order[ch->nlang_order++] = LANG_ID_DE;
  snprintf(ch->lang_name, sizeof(ch->lang_name), "de");
  ch->notices.announce = ch->notices.update = ch->notices.cancel = true;
  ch->notices.all_reminders = true;
  if (m->kind != Y_MAP)
    return bad(c, m->line,
               "a channel must be a map with name and type, not "
               "%s",
               ykind_name(m->kind));
  const struct ynode *name = ymap_get(m, "name");
  const struct ynode *type = ymap_get(m, "type");
  if (!name || name->kind != Y_STR || !name->str[0])
    return bad(c, m->line, "a channel needs a 'name'");
  ch->name = xstrdup(name->str);
  if (!type || type->kind != Y_STR)
    return bad(c, m->line, "channel '%s' needs a 'type' (%s)", ch->name,
               chan_type_names());
  const struct chan_type *t = chan_type_find(type->str);
  if (!t) {
    const char *names[64];
    size_t n = 0;
    while (n < 64 && chan_types[n]) {
      names[n] = chan_types[n]->name;
      n++;
    }
    const char *near = closest_word(type->str, names, n);
    return diag_add(c->d, DIAG_ERROR, c->file, type->line,
                    "unknown channel type '%s'%s%s%s (expected %s)", type->str,
                    near ? " (did you mean '" : "", near ? near : "",
                    near ? "'?)" : "", chan_type_names());
  }
  ch->type = t;
  ch->conf = xcalloc(1, t->conf_size ? t->conf_size : 1);
  struct buf where = BUF_INIT;
  buf_addf(&where, "channel '%s' (type %s)", ch->name, t->name);
  int keys = read_channel_keys(c, m, ch, where.data);
  buf_release(&where);
  int rc = keys;
  const struct ynode *v = ymap_get(m, "lang");
  if (v && read_lang(c, v, ch) < 0)
    rc = -1;
  v = ymap_get(m, "notices");
  if (v && read_notices(c, v, cfg, ch) < 0)
    rc = -1;
  if (fill_defaults(c, m, t->fields, ch->conf, ch->name, m->line) < 0)
    keys = rc = -1;
  /* A type's own checks read its keys: only when every key was read and
   * every required one is there (a telegram channel without chat_id must
   * not reach its check); a bad 'lang' is reported beside them. */
  struct cfg_check k = {.file = c->file, .d = c->d, .node = m, .cfg = cfg};
  if (keys == 0 && t->check && t->check(&k, ch) < 0)
    rc = -1;
  return rc;
}

char *config_find(const char *explicit_path, struct err *e)
{
  if (explicit_path)
    return xstrdup(explicit_path);
  if (access("crier.yaml", F_OK) == 0)
    return xstrdup("crier.yaml");
  if (access("/etc/crier/crier.yaml", F_OK) == 0)
    return xstrdup("/etc/crier/crier.yaml");
  err_set(e, EX_CONFIG,
          "no configuration: ./crier.yaml and "
          "/etc/crier/crier.yaml do not exist (use -c FILE)");
  return NULL;
}

static int config_from(struct config *cfg, const char *path, struct ynode *root,
                       size_t errors, struct diags *d);

int config_load(struct config *cfg, const char *path, struct diags *d)
{
  size_t errors = d->errors;
  return config_from(cfg, path, yamlx_load_file(path, d), errors, d);
}

int config_parse(struct config *cfg, const char *path, const char *text,
                 size_t len, struct diags *d)
{
  size_t errors = d->errors;
  struct ynode *root = NULL;
  int line;
  const char *why;
  if (len > FILE_MAX)
    diag_add(d, DIAG_ERROR, path, 0, "larger than %zu bytes", FILE_MAX);
  else if (utf8_check(text, len, &line, &why) < 0)
    diag_add(d, DIAG_ERROR, path, line, "%s", why);
  else
    root = yamlx_parse(text, len, path, 0, d);
  return config_from(cfg, path, root, errors, d);
}

/* Fills cfg from a parsed tree (NULL: it did not parse); frees root. */
static int config_from(struct config *cfg, const char *path, struct ynode *root,
                       size_t errors, struct diags *d)
{
  static const long default_reminders[] = {7 * 86400, 86400, 2 * 3600};
  memset(cfg, 0, sizeof(*cfg));
  cfg->path = xstrdup(path);
  const char *slash = strrchr(path, '/');
  cfg->dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path)))
                   : xstrdup(".");
  cfg->announce_lead = 21 * 86400;
  cfg->min_gap = 6 * 3600;
  cfg->default_duration = 2 * 3600;
  cfg->cal_past = 90 * 86400;
  cfg->cal_refresh = 12 * 3600;
  cfg->max_vanished = 1;
  cfg->serve_queue = 32;
  cfg->serve_git_timeout = 60;
  cfg->connections = 16;
  cfg->nreminders = 3;
  sitefmt_init(&cfg->fmt);
  cfg->reminders = xmalloc(sizeof(default_reminders));
  memcpy(cfg->reminders, default_reminders, sizeof(default_reminders));

  struct ctx c = {.file = path, .dir = cfg->dir, .d = d};
  struct err e;
  if (!root)
    goto out;
  if (read_fields(&c, root, top_fields, cfg, "the configuration") < 0)
    goto out;
  if (sitefmt_read(&cfg->fmt, ymap_get(root, "site"), path, cfg->dir, d) < 0)
    goto out;
  /* the languages (the channels name them, dates use their words) */
  const char *ldirs[] = {cfg->templates, render_builtin_dir()};
  if (i18n_load(ldirs, 2, d) < 0)
    goto out;
  const struct ynode *s = ymap_get(root, "schedule");
  if (s)
    read_schedule(&c, s, cfg);
  s = ymap_get(root, "serve");
  if (cfg->serve_queue < 1 || cfg->serve_queue > 1000)
    bad(&c, ymap_get(s, "queue")->line, "'queue' must be between 1 and 1000");
  if (cfg->serve_git_timeout < 1)
    bad(&c, ymap_get(s, "git_timeout")->line,
        "'git_timeout' must be at least 1 (seconds)");
  s = ymap_get(root, "delivery");
  if (cfg->connections < 1 || cfg->connections > 256)
    bad(&c, ymap_get(s, "connections")->line,
        "'connections' must be between 1 and 256");
  s = ymap_get(root, "channels");
  if (s && s->kind != Y_SEQ && !ynode_is_null(s)) {
    bad(&c, s->line, "'channels' must be a list of channels, not %s",
        ykind_name(s->kind));
  } else if (s && s->kind == Y_SEQ) {
    cfg->channels = xcalloc(s->n, sizeof(*cfg->channels));
    for (size_t i = 0; i < s->n; i++) {
      struct channel *ch = &cfg->channels[cfg->nchannels++];
      read_channel(&c, &s->items[i], cfg, ch);
      for (size_t j = 0; ch->name && j + 1 < cfg->nchannels; j++)
        if (cfg->channels[j].name &&
            strcmp(cfg->channels[j].name, ch->name) == 0)
          bad(&c, s->items[i].line, "channel name '%s' is used twice",
              ch->name);
    }
  }
  /* a site of data files only has no events directory to read; its
   * directory is that of the first data file */
  cfg->walk_events = cfg->fmt.events_given || !cfg->fmt.data;
  if (!cfg->events_dir && cfg->walk_events)
    cfg->events_dir = resolve_path(cfg->dir, "_posts");
  if (!cfg->events_dir) {
    const char *slash2 = strrchr(cfg->fmt.data[0], '/');
    cfg->events_dir =
        slash2 ? xstrndup(cfg->fmt.data[0], (size_t)(slash2 - cfg->fmt.data[0]))
               : xstrdup(".");
  }
  if (!cfg->locations) {
    struct buf p = BUF_INIT;
    buf_addf(&p, "%s/_data/locations.yml", cfg->dir);
    if (access(p.data, F_OK) == 0)
      cfg->locations = buf_detach(&p);
    buf_release(&p);
  }
  /* places: auto means keys of the locations file when there is one,
   * else the place as text */
  if (cfg->fmt.places == PLACES_AUTO)
    cfg->fmt.places = cfg->locations ? PLACES_KEY : PLACES_TEXT;
  if (!cfg->timezone)
    cfg->timezone = xstrdup("Europe/Berlin");
  if (!cfg->permalink)
    cfg->permalink = xstrdup("/:year/:month/:day/:title.html");
  if (!cfg->journal)
    cfg->journal = resolve_path(cfg->dir, "crier.db");
  if (!cfg->cal_times)
    cfg->cal_times = xstrdup("local");
  s = ymap_get(root, "calendar");
  if (strcmp(cfg->cal_times, "local") != 0 &&
      strcmp(cfg->cal_times, "utc") != 0)
    bad(&c, ymap_get(s, "times")->line,
        "'times' must be local (with the "
        "zone's rules) or utc, not '%s'",
        cfg->cal_times);
  if (cfg->cal_refresh < 60 || cfg->cal_refresh > 30 * 86400)
    bad(&c, ymap_get(s, "refresh")->line, "'refresh' must be from 1m to 30d");
  if (when_set_zone(cfg->timezone, &e) < 0) {
    const struct ynode *site = ymap_get(root, "site");
    const struct ynode *tz = ymap_get(site, "timezone");
    diag_add(d, DIAG_ERROR, path, tz ? tz->line : 0, "%s", e.msg);
  }
out:
  ynode_free(root);
  return d->errors > errors ? -1 : 0;
}

void config_release(struct config *cfg)
{
  for (size_t i = 0; i < cfg->nchannels; i++) {
    struct channel *ch = &cfg->channels[i];
    if (ch->type && ch->conf)
      release_fields(ch->type->fields, ch->conf);
    free(ch->conf);
    free(ch->name);
    for (size_t k = 0; k < ch->notices.nreminders; k++)
      free(ch->notices.reminders[k]);
    free(ch->notices.reminders);
  }
  free(cfg->channels);
  char **strs[] = {&cfg->path,      &cfg->dir,          &cfg->events_dir,
                   &cfg->locations, &cfg->timezone,     &cfg->site_url,
                   &cfg->permalink, &cfg->site_name,    &cfg->journal,
                   &cfg->templates, &cfg->serve_listen, &cfg->serve_branch,
                   &cfg->cal_name,  &cfg->cal_output,   &cfg->cal_times};
  for (size_t k = 0; k < ARRAY_SIZE(strs); k++)
    xfree(strs[k]);
  secret_release(&cfg->serve_github_secret);
  secret_release(&cfg->serve_announce_secret);
  sitefmt_release(&cfg->fmt);
  free(cfg->reminders);
  memset(cfg, 0, sizeof(*cfg));
}

const struct channel *config_channel(const struct config *c, const char *name)
{
  for (size_t i = 0; i < c->nchannels; i++)
    if (c->channels[i].name && strcmp(c->channels[i].name, name) == 0)
      return &c->channels[i];
  return NULL;
}

bool channel_takes(const struct channel *ch, const char *notice)
{
  const struct notice_filter *f = &ch->notices;
  if (strcmp(notice, "announce") == 0)
    return f->announce;
  if (strcmp(notice, "update") == 0)
    return f->update;
  /* a channel told of a cancellation is told when it is taken back */
  if (strcmp(notice, "cancel") == 0 || strcmp(notice, "reinstate") == 0)
    return f->cancel;
  if (strncmp(notice, "reminder", 8) == 0) {
    if (f->all_reminders)
      return true;
    for (size_t i = 0; i < f->nreminders; i++)
      if (strcmp(f->reminders[i], notice) == 0)
        return true;
  }
  return false;
}

const char *channel_lang_name(const struct channel *ch)
{
  if (ch->lang_name[0])
    return ch->lang_name;
  if (ch->langs == (LANG_DE | LANG_EN))
    return ch->lang_first_en ? "en+de" : "de+en";
  return ch->langs == LANG_EN ? "en" : "de";
}

const void *channel_value(const struct channel *ch, const char *key)
{
  const struct cfg_field *f =
      ch->type && ch->conf ? find_field(ch->type->fields, key) : NULL;
  return f ? (const char *)ch->conf + f->off : NULL;
}

const char *channel_str(const struct channel *ch, const char *key)
{
  const struct cfg_field *f =
      ch->type && ch->conf ? find_field(ch->type->fields, key) : NULL;
  if (!f || (f->kind != CFG_STR && f->kind != CFG_PATH && f->kind != CFG_URL &&
             f->kind != CFG_ENDPOINT))
    return NULL;
  return *(char *const *)((const char *)ch->conf + f->off);
}
