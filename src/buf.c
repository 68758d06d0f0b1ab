#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char buf_empty[1];

void buf_init(struct buf *b)
{
  b->data = buf_empty;
  b->len = b->cap = 0;
}

void buf_release(struct buf *b)
{
  if (b->cap)
    free(b->data);
  buf_init(b);
}

void buf_reset(struct buf *b)
{
  if (b->cap) {
    b->len = 0;
    b->data[0] = '\0';
  }
}

void buf_grow(struct buf *b, size_t extra)
{
  if (extra >= BUF_MAX || b->len + extra >= BUF_MAX) {
    fprintf(stderr, "crier: fatal: buffer would exceed %zu bytes\n",
            (size_t)BUF_MAX);
    abort();
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  if (b->cap) {
    b->data = xrealloc(b->data, cap);
  } else {
    b->data = xmalloc(cap);
    b->data[0] = '\0';
  }
  b->cap = cap;
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
  /* one pass when the text fits the room there is (most do: a little
   * room is made first), a second after growing when not */
  if (b->cap - b->len < 64)
    buf_grow(b, 63);
  size_t room = b->cap - b->len;
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(b->data + b->len, room, fmt, cp);
  va_end(cp);
  if (n <= 0) {
    b->data[b->len] = '\0';
    return;
  }
  if ((size_t)n >= room) {
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  }
  b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  buf_vaddf(b, fmt, ap);
  va_end(ap);
}

void buf_truncate(struct buf *b, size_t n)
{
  if (n < b->len) {
    b->len = n;
    b->data[n] = '\0';
  }
}

char *buf_detach(struct buf *b)
{
  char *s = b->cap ? b->data : xstrdup("");
  buf_init(b);
  return s;
}

void buf_rtrim(struct buf *b)
{
  size_t n = b->len;
  while (n && (b->data[n - 1] == ' ' || b->data[n - 1] == '\t' ||
               b->data[n - 1] == '\n' || b->data[n - 1] == '\r'))
    n--;
  buf_truncate(b, n);
}
