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
#include "render.h"

/* A cache entry is allocated on its own and lives as long as the renderer:
 * loading a partial adds entries while a caller still holds another one,
 * so entries never move (the array holds pointers). */
struct cached {
  char *path;
  char *src; /* NULL: the file does not exist */
  size_t len;
};

struct renderer {
  const struct config *cfg;
  const char *dirs[2];
  size_t ndirs;
  struct cached **cache;
  size_t ncache, cap;
  const char *lang; /* while rendering: for partial lookup */
  const char *type;
  const struct site *site;  /* borrowed (renderer_set_site), may be NULL */
  struct body_recur *recur; /* of site's bodies, made when first needed */
};

bool render_is_dir(const char *path);

/* The source of path from the cache (reading it once); NULL with *failed
 * if it cannot be read or is not UTF-8. An entry with src NULL says the
 * file does not exist. The entry is borrowed from the renderer and stays
 * valid until renderer_free, whatever is loaded meanwhile. */
const struct cached *render_source(struct renderer *r, const char *path,
                                   struct err *e, bool *failed);

/* The first existing file among the renderer's directories × rel[0..nrel)
 * (NULL entries skipped); NULL if none exists (the paths tried are added
 * to tried, comma-separated, when tried is not NULL) or with *failed. */
const struct cached *render_find(struct renderer *r, const char *const *rel,
                                 size_t nrel, struct buf *tried, struct err *e,
                                 bool *failed);

/* tpl_partial_fn: the partial name for r->lang and r->type. */
int render_load_partial(void *ud, const char *name, struct buf *src,
                        struct err *e);

#endif
