#include "md.h"

#include <stdlib.h>

#include <cmark.h>

void md_to_html(const char *markdown, size_t len, struct buf *out)
{
  /* Since cmark 0.29 safe mode is the default; CMARK_OPT_UNSAFE is never
   * passed here. */
  char *html = cmark_markdown_to_html(markdown, len, CMARK_OPT_DEFAULT);
  if (!html)
    abort();
  buf_adds(out, html);
  free(html);
}
