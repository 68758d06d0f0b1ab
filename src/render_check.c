/* crier check's part for templates: every file parses, every notice
 * renders. */
#include "render.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "chan.h"
#include "render_lookup.h"
#include "tpl.h"
#include "util.h"

/* The languages a notice can be sent or previewed in: German, English
 * and those of the channels. */
static int check_langs(const struct renderer *r)
{
  int langs = LANG_DE | LANG_EN;
  for (size_t i = 0; r->cfg && i < r->cfg->nchannels; i++)
    langs |= r->cfg->channels[i].langs;
  return langs;
}

/* Whether a channel of the configuration is of type. */
static bool type_used(const struct renderer *r, const struct chan_type *type)
{
  for (size_t i = 0; r->cfg && i < r->cfg->nchannels; i++)
    if (r->cfg->channels[i].type == type)
      return true;
  return false;
}

/* Whether the walk skips rel/name: with crier's templates alone (no
 * 'templates' of the site's own, which may change what any of them
 * includes), those of languages no notice is sent or previewed in and of
 * channel types the config does not use: they cannot touch this site's
 * texts, and crier's tests render every one of them. */
static bool not_sent(const struct renderer *r, const char *rel,
                     const char *name)
{
  if (!r->cfg || r->cfg->templates)
    return false;
  if (!rel[0]) { /* a language */
    int l = lang_find(name);
    return l >= 0 && !(check_langs(r) & (1 << l));
  }
  if (strchr(rel, '/'))
    return false;
  const struct chan_type *type = chan_type_find(name); /* lang/TYPE */
  return type && !type_used(r, type);
}

static void check_dir_templates(struct renderer *r, const char *dir,
                                const char *rel, int depth, struct diags *d)
{
  struct buf p = BUF_INIT;
  buf_adds(&p, dir);
  if (rel[0]) {
    buf_addc(&p, '/');
    buf_adds(&p, rel);
  }
  DIR *dd = opendir(p.data);
  if (!dd) {
    if (!rel[0])
      diag_add(d, DIAG_ERROR, p.data, 0,
               "cannot read the templates "
               "directory");
    buf_release(&p);
    return;
  }
  /* partials are parsed as partials when included: here checked (and
   * kept for where they are included as they are) */
  size_t rl = strlen(rel);
  bool in_partials = (rl == 8 || (rl > 8 && rel[rl - 9] == '/')) &&
                     strcmp(rel + rl - (rl >= 8 ? 8 : rl), "partials") == 0;
  struct dirent *de;
  while ((de = readdir(dd))) {
    if (de->d_name[0] == '.')
      continue;
    struct buf child = BUF_INIT, full = BUF_INIT;
    buf_adds(&child, rel);
    if (rel[0])
      buf_addc(&child, '/');
    buf_adds(&child, de->d_name);
    buf_add(&full, p.data, p.len);
    buf_addc(&full, '/');
    buf_adds(&full, de->d_name);
    /* the entry's type when the file system says it (no stat) */
    bool is_dir = de->d_type == DT_DIR ||
                  ((de->d_type == DT_UNKNOWN || de->d_type == DT_LNK) &&
                   render_is_dir(full.data));
    if (is_dir) {
      if (depth < 4 && !not_sent(r, rel, de->d_name))
        check_dir_templates(r, dir, child.data, depth + 1, d);
    } else {
      size_t n = strlen(de->d_name);
      if (n > 9 && strcmp(de->d_name + n - 9, ".mustache") == 0) {
        struct err e;
        bool failed = false;
        const struct cached *c =
            render_source(r, full.data, de->d_type == DT_REG, &e, &failed);
        if (failed) {
          diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
        } else if (c && c->src && in_partials) {
          if (!render_check_partial(r, c, &e))
            diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
        } else if (c && c->src && !render_parsed(r, c, &e)) {
          /* a template: parsed once, for the messages rendered next */
          diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
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
  struct buf p = BUF_INIT;
  bool found = false;
  for (size_t i = 0; i < r->ndirs && !found; i++)
    for (size_t l = 0; l < lang_count() && !found; l++) {
      buf_reset(&p);
      buf_adds(&p, r->dirs[i]);
      buf_addc(&p, '/');
      buf_adds(&p, lang_code((enum lang)l));
      buf_addc(&p, '/');
      buf_adds(&p, type);
      found = render_is_dir(p.data);
    }
  buf_release(&p);
  return found;
}

/* Renders q's message and lets it go; -1 with the error in d when it does
 * not render. */
static int renders(struct renderer *r, const struct render_req *req,
                   struct diags *d)
{
  struct message m;
  struct err e;
  struct render_req q = *req;
  q.no_html = true; /* only whether it renders */
  if (render_message(r, &q, &m, &e) < 0) {
    diag_add(d, DIAG_ERROR, NULL, 0, "%s", e.msg);
    return -1;
  }
  message_release(&m);
  return 0;
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
  int langs = check_langs(r);
  /* the site's own templates may change what any type includes: then
   * every type renders; crier's alone, the types the channels use (crier's
   * tests render its templates of every type) */
  bool own = r->cfg && r->cfg->templates;
  for (size_t k = 0; k < ARRAY_SIZE(notices); k++) {
    /* the generic templates, then every type with templates of its own */
    for (size_t t = 0; t == 0 || chan_types[t - 1]; t++) {
      const struct chan_type *type = t ? chan_types[t - 1] : NULL;
      if (type && !own && !type_used(r, type))
        continue;
      if (type && !has_type_dir(r, type->name))
        continue; /* it uses the generic templates, checked first */
      struct channel ch = {.name = (char *)"check", .type = type};
      struct render_req q = {.ev = ev,
                             .old = ev,
                             .notice = notices[k],
                             .ch = type ? &ch : NULL,
                             .langs = langs,
                             .now = now};
      if (renders(r, &q, d) < 0)
        return;
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
    if (renders(r, &q, d) < 0)
      return;
  }
}
