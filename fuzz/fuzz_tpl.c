/* Fuzz target: Mustache templates and data. The input is a template, a
 * NUL byte, and JSON data; partials named "a" and "b" are the template
 * itself and its first half, so recursion and cycles are reached. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tpl.h"

struct src {
  const char *t;
  size_t n;
};

static int load(void *ud, const char *name, struct buf *out, struct err *e)
{
  (void)e;
  const struct src *s = ud;
  if (strcmp(name, "a") == 0)
    buf_add(out, s->t, s->n);
  else if (strcmp(name, "b") == 0)
    buf_add(out, s->t, s->n / 2);
  else
    return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *p = (const char *)data;
  const char *nul = memchr(p, 0, size);
  size_t tn = nul ? (size_t)(nul - p) : size;
  json_t *ctx = nul ? json_loadb(nul + 1, size - tn - 1, 0, NULL) : NULL;
  if (!ctx)
    ctx = json_pack("{s:s, s:[{s:s}, {s:s}], s:b}", "a", "x<y", "l", "n", "1",
                    "n", "2", "t", 1);
  struct err e;
  struct tpl *t = tpl_parse(p, tn, "f", &e);
  if (t) {
    struct src s = {p, tn};
    struct buf out = BUF_INIT;
    tpl_render(t, ctx, load, &s, tpl_escape_markdown, &out, &e);
    buf_release(&out);
    tpl_free(t);
  }
  json_decref(ctx);
  return 0;
}
