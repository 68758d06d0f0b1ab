#ifndef CRIER_TPL_H
#define CRIER_TPL_H
/*
 * Mustache templates over jansson values: the core of the Mustache spec
 * (interpolation, sections, inverted sections, comments, partials, set
 * delimiters) and template inheritance (parents and blocks). A parsed
 * struct tpl is immutable and owned by the caller (tpl_free). Partials
 * are fetched by name through a loader at render time.
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

#define TPL_MAX_DEPTH 40                 /* nested partials and parents */
#define TPL_MAX_OUTPUT ((size_t)4 << 20) /* bytes one render may produce */

struct tpl;

/* Looks up partial name: returns 1 and fills src, 0 when there is no such
 * partial (it then renders as empty), or -1 after filling e. */
typedef int (*tpl_load_fn)(void *ud, const char *name, struct buf *src,
                           struct err *e);

/* Looks up partial name, parsed with every line of it indented by indent
 * (""; a standalone partial tag's indentation): returns 1 and sets *t
 * (borrowed: the loader keeps it at least until the render returns), 0
 * when there is no such partial (it then renders as empty), or -1 after
 * filling e. A loader that keeps parsed partials saves parsing them again
 * on every render. */
struct tpl;
typedef int (*tpl_parsed_fn)(void *ud, const char *name, const char *indent,
                             const struct tpl **t, struct err *e);

/* Appends s[0..n) to out, escaped for the output format. */
typedef void (*tpl_escape_fn)(struct buf *out, const char *s, size_t n);

/* Parses src. name is used in error messages ("name:line: ..."). Returns
 * NULL on a syntax error (EX_DATAERR). */
struct tpl *tpl_parse(const char *src, size_t len, const char *name,
                      struct err *e);
void tpl_free(struct tpl *t);
/* Parses the source of partial name as it is included with indent (NULL
 * or "": as it is): what a tpl_parsed_fn returns. */
struct tpl *tpl_parse_partial(const char *src, size_t len, const char *name,
                              const char *indent, struct err *e);

/* Renders t with data (the bottom of the context stack) and appends the
 * result to out. load may be NULL (no partials). esc NULL means HTML
 * escaping as the spec requires. Fails on a partial error, a partial
 * nesting deeper than TPL_MAX_DEPTH, or output beyond TPL_MAX_OUTPUT. */
int tpl_render(const struct tpl *t, json_t *data, tpl_load_fn load,
               void *load_ud, tpl_escape_fn esc, struct buf *out,
               struct err *e);

/* The same, with partials from a loader that parses them (tpl_parsed_fn). */
int tpl_render_parsed(const struct tpl *t, json_t *data, tpl_parsed_fn parsed,
                      void *ud, tpl_escape_fn esc, struct buf *out,
                      struct err *e);

/* The escapers crier uses. */
void tpl_escape_html(struct buf *out, const char *s, size_t n);
void tpl_escape_none(struct buf *out, const char *s, size_t n);
/* Backslash-escapes the characters that would make plain text Markdown. */
void tpl_escape_markdown(struct buf *out, const char *s, size_t n);

#endif
