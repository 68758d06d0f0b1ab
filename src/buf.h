#ifndef CRIER_BUF_H
#define CRIER_BUF_H
/*
 * A growable string. data is never NULL and always NUL-terminated; an empty
 * buffer points at a shared static "" until the first append. Appends abort
 * when memory runs out or the buffer would pass BUF_MAX.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define BUF_MAX ((size_t)1 << 30)

struct buf {
  char *data;
  size_t len, cap;
};

extern char buf_empty[];
#define BUF_INIT                                                               \
  {                                                                            \
    buf_empty, 0, 0                                                            \
  }

void buf_init(struct buf *b);
/* Frees what b owns and leaves it empty (usable again). */
void buf_release(struct buf *b);
/* Keeps the memory, sets the length to 0. */
void buf_reset(struct buf *b);
/* Makes room for extra more bytes and the NUL. */
void buf_grow(struct buf *b, size_t extra);

/* The appends are inline: the renderer and the parsers add a byte at a
 * time, and a call into buf_grow for each was a tenth of `crier check`. */
static inline void buf_add(struct buf *b, const void *s, size_t n)
{
  if (!n)
    return;
  if (n >= b->cap - b->len) /* cap >= len; an empty buffer has cap 0 */
    buf_grow(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static inline void buf_adds(struct buf *b, const char *s)
{
  buf_add(b, s, strlen(s));
}

static inline void buf_addc(struct buf *b, char c)
{
  if (b->cap - b->len < 2)
    buf_grow(b, 1);
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Cuts the buffer to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);
/* Returns the string (caller frees) and leaves b empty. */
char *buf_detach(struct buf *b);
/* Removes trailing spaces, tabs and newlines. */
void buf_rtrim(struct buf *b);

#endif
