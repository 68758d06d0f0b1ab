/* Fuzz target: Markdown to HTML, where the HTML must never carry raw tags
 * or a javascript: link from the input, and to plain text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct buf out = BUF_INIT;
  md_to_html((const char *)data, size, &out);
  if (str_find_ci(out.data, "<script") ||
      str_find_ci(out.data, "href=\"javascript:"))
    abort();
  buf_release(&out);
  /* the plain text of a mail: no crash, no leak, ends with a newline */
  md_to_text((const char *)data, size, &out);
  if (!out.len || out.data[out.len - 1] != '\n')
    abort();
  buf_release(&out);
  return 0;
}
