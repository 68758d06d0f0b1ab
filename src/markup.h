#ifndef CRIER_MARKUP_H
#define CRIER_MARKUP_H
/*
 * Event bodies written for a static site generator, made plain Markdown:
 *
 * - Hugo shortcodes: a pair ({{< note >}}…{{< /note >}}, also with %)
 *   becomes what it encloses (highlight: a fenced code block); youtube,
 *   vimeo and gist become a link, figure its caption (or title, or alt
 *   text), ref and relref the page's URL; any other is removed. One
 *   escaped the Hugo way (a comment inside the delimiters) is shown as
 *   written, without the comment marks.
 * - Liquid: {% raw %} keeps what it encloses as written, {% comment %}
 *   drops it, {% highlight %} becomes a fenced code block, post_url and
 *   link become the page's URL, other tags are removed (what they enclose
 *   stays); {{ site.url }}, {{ site.baseurl }}, {{ page.title }} and a
 *   quoted path with | relative_url or | absolute_url become their value,
 *   any other {{ … }} is removed.
 * - Relative links and images (inline, reference definitions, href= and
 *   src= in raw HTML) are resolved against the event's page (one that
 *   starts with '/' against the site's URL).
 *
 * Code (fenced blocks and `spans`) is left as written.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct markup_ctx {
  const char *base;  /* the site's URL (a directory); NULL: links stay */
  const char *page;  /* the event's page: a link relative to it (not
                        starting with '/') resolves against it, as a
                        browser would there; NULL: against base */
  const char *title; /* {{ page.title }} */
  bool keep;         /* leave shortcodes and tags as written */
  /* the URL of the page of a post ("2024-09-11-slug"), for post_url and
   * link; NULL: base + the id */
  void (*post_url)(void *ud, const char *id, struct buf *out);
  void *ud;
};

/* Appends body[0..len), cleaned, to out. */
void markup_clean(const struct markup_ctx *c, const char *body, size_t len,
                  struct buf *out);

/* Appends ref resolved against base (RFC 3986; base is taken as a
 * directory) to out; a ref with a scheme, "#…" or an empty one as it
 * is. */
void url_resolve(const char *base, const char *ref, struct buf *out);

#endif
