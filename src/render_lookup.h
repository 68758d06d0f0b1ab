#ifndef CRIER_RENDER_LOOKUP_H
#define CRIER_RENDER_LOOKUP_H
/*
 * Inside the renderer (render.c, render_check.c; nothing else includes
 * this): where templates are found and the cache of their sources.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "map.h"
#include "render.h"
#include "tpl.h"

enum { RENDER_MD_KEPT = 8 };

/* A partial parsed as it is included with indent. */
struct cached_partial {
  char *indent;
  struct tpl *tpl;
};

/* A cache entry is allocated on its own and lives as long as the renderer:
 * loading a partial adds entries while a caller still holds another one,
 * so entries never move (the array holds pointers). */
struct cached {
  char *path;
  char *src; /* NULL: the file does not exist */
  size_t len;
  struct tpl *tpl;                 /* parsed as a template (render_parsed) */
  struct cached_partial *partials; /* parsed as a partial, by indentation */
  size_t npartials;
};

struct renderer {
  const struct config *cfg;
  const char *dirs[2];
  size_t ndirs;
  struct cached **cache;
  size_t ncache, cap;
  struct map named;   /* render_lookup's: lang, type, dir, name, suffix */
  struct map by_path; /* the cache's entries by path */
  const char *lang;   /* while rendering: for partial lookup */
  const char *type;
  const struct site *site;  /* borrowed (renderer_set_site), may be NULL */
  struct body_recur *recur; /* of site's bodies, made when first needed */
  struct render_memo *memo; /* of site's events, made when first needed */
  /* the Markdown made HTML last (RENDER_MD_KEPT of them, the oldest
   * replaced first) and that HTML, found by the whole Markdown: the
   * channels of a catch-up render the same body one after the other,
   * check the same body for several channel types */
  struct render_md {
    struct buf in, out;
  } md[RENDER_MD_KEPT];
  size_t md_next; /* md's slot to take next */
  /* render_lookup's relative paths and render_find's path, kept */
  struct buf scratch[3];
};

bool render_is_dir(const char *path);

/* render_context for render_message: the context is kept in q's memo (for
 * an event of the memo, and an old event of it or none) and made again
 * only when anything but the channel differs from the last one for l.
 * The context returned is valid until the next call for l: nothing may
 * hold it longer. */
json_t *render_context_kept(const struct config *cfg,
                            const struct render_req *q, enum lang l);

/* The template lang/type[/dir]/name[.suffix].mustache, else
 * lang[/dir]/name[.suffix].mustache (type, dir and suffix may be NULL),
 * through render_find (tried and failed as there). An answer found is
 * kept by these names: every message and every partial it includes is
 * looked up here. */
const struct cached *render_lookup(struct renderer *r, const char *lang,
                                   const char *type, const char *dir,
                                   const char *name, const char *suffix,
                                   struct buf *tried, struct err *e,
                                   bool *failed);

/* The source of path from the cache (reading it once); NULL with *failed
 * if it cannot be read or is not UTF-8. An entry with src NULL says the
 * file does not exist. With listed (a regular file its directory lists)
 * it is read without asking first whether it exists. The entry is
 * borrowed from the renderer and stays valid until renderer_free,
 * whatever is loaded meanwhile. */
const struct cached *render_source(struct renderer *r, const char *path,
                                   bool listed, struct err *e, bool *failed);

/* The first existing file among the renderer's directories × rel[0..nrel)
 * (NULL entries skipped); NULL if none exists (the paths tried are added
 * to tried, comma-separated, when tried is not NULL) or with *failed. */
const struct cached *render_find(struct renderer *r, const char *const *rel,
                                 size_t nrel, struct buf *tried, struct err *e,
                                 bool *failed);

/* The template in c, parsed once (NULL after filling e: it does not
 * parse). Borrowed from the renderer. */
const struct tpl *render_parsed(struct renderer *r, const struct cached *c,
                                struct err *e);

/* Whether the partial in c parses (an error names c's path, as for a
 * template); the parse is kept for where the partial is included without
 * indentation (render_parsed_partial), which parses the same source. */
bool render_check_partial(struct renderer *r, const struct cached *c,
                          struct err *e);

/* tpl_load_fn: the partial name for r->lang and r->type. */
int render_load_partial(void *ud, const char *name, struct buf *src,
                        struct err *e);
/* tpl_parsed_fn: the same, parsed once for each indentation. */
int render_parsed_partial(void *ud, const char *name, const char *indent,
                          const struct tpl **t, struct err *e);

#endif
