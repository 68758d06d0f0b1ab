#include "buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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

/* One conversion of a format, after its '%'. */
struct conv {
  bool zero; /* the 0 flag */
  int width; /* 0: none */
  bool star; /* a precision given as an argument (.*) */
  char len;  /* 0, 'l', 'L' (ll) or 'z' */
  char type; /* 's', 'c', 'd', 'i', 'u' or '%' */
};

/* Reads the conversion at *p (after its '%') into c and moves *p past it;
 * false for one this file leaves to vsnprintf. Inlined into its two
 * callers: a call each was 0.05 M instructions of a cron run. */
static inline __attribute__((always_inline)) bool read_conv(const char **p,
                                                            struct conv *c)
{
  const char *q = *p;
  *c = (struct conv){.zero = *q == '0'};
  q += c->zero;
  for (; *q >= '0' && *q <= '9'; q++)
    c->width = c->width < 1000 ? c->width * 10 + (*q - '0') : c->width;
  if (q[0] == '.' && q[1] == '*') {
    c->star = true;
    q += 2;
  }
  if (*q == 'l') {
    c->len = q[1] == 'l' ? 'L' : 'l';
    q += c->len == 'L' ? 2 : 1;
  } else if (*q == 'z') {
    c->len = 'z';
    q++;
  }
  c->type = *q;
  *p = *q ? q + 1 : q;
  bool plain = !c->zero && !c->width && !c->len;
  switch (c->type) {
  case 'd':
  case 'i':
  case 'u':
    return !c->star;
  case 's':
    return plain;
  case 'c':
  case '%':
    return plain && !c->star;
  default:
    return false;
  }
}

/* The formats buf_vaddf writes itself, without vfprintf: literal text
 * and the conversions %s and %.*s, %c, %d, %i and %u with the length
 * modifiers l, ll and z, a zero flag and a width on the numbers, and %%.
 * A cron run formats some 1,200 paths, URLs and keys this way, and
 * vfprintf spent a thousand instructions on each: a tenth of the run.
 * Any other conversion or flag goes to vsnprintf, whose output this one
 * matches byte for byte (tests/unit/test_buf.c compares the two). */
static bool fmt_is_simple(const char *fmt)
{
  struct conv c;
  for (const char *p = strchr(fmt, '%'); p; p = strchr(p, '%')) {
    p++;
    if (!read_conv(&p, &c))
      return false;
  }
  return true;
}

/* Appends v (negative when neg, with magnitude v) with at least width
 * characters: zeros after the sign when zero, spaces before it if not. */
static void add_number(struct buf *b, unsigned long long v, bool neg, bool zero,
                       int width)
{
  char d[24];
  int n = 0;
  do
    d[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  int pad = width - n - neg;
  for (; !zero && pad > 0; pad--)
    buf_addc(b, ' ');
  if (neg)
    buf_addc(b, '-');
  for (; zero && pad > 0; pad--)
    buf_addc(b, '0');
  while (n)
    buf_addc(b, d[--n]);
}

/* Writes fmt (fmt_is_simple) with ap; false, with b as it was, for what
 * only vsnprintf writes as glibc does: a NULL string with a precision, a
 * NUL character. */
static bool simple_vaddf(struct buf *b, const char *fmt, va_list ap)
{
  size_t start = b->len;
  for (const char *p = fmt;;) {
    const char *pct = strchr(p, '%');
    if (!pct) {
      buf_adds(b, p);
      return true;
    }
    buf_add(b, p, (size_t)(pct - p));
    p = pct + 1;
    struct conv c;
    read_conv(&p, &c); /* fmt_is_simple read every one */
    int prec = c.star ? va_arg(ap, int) : -1;
    if (c.type == '%') {
      buf_addc(b, '%');
    } else if (c.type == 's') {
      const char *s = va_arg(ap, const char *);
      if (!s && prec >= 0)
        break;
      s = s ? s : "(null)";
      buf_add(b, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
    } else if (c.type == 'c') {
      int ch = va_arg(ap, int);
      if (!(unsigned char)ch)
        break;
      buf_addc(b, (char)ch);
    } else if (c.type == 'u') {
      unsigned long long v = c.len == 'L'   ? va_arg(ap, unsigned long long)
                             : c.len == 'l' ? va_arg(ap, unsigned long)
                             : c.len == 'z' ? va_arg(ap, size_t)
                                            : va_arg(ap, unsigned);
      add_number(b, v, false, c.zero, c.width);
    } else {
      long long v = c.len == 'L'   ? va_arg(ap, long long)
                    : c.len == 'l' ? va_arg(ap, long)
                    : c.len == 'z' ? va_arg(ap, ssize_t)
                                   : va_arg(ap, int);
      unsigned long long m =
          v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
      add_number(b, m, v < 0, c.zero, c.width);
    }
  }
  buf_truncate(b, start);
  return false;
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
  if (fmt_is_simple(fmt)) {
    va_list cp;
    va_copy(cp, ap);
    bool done = simple_vaddf(b, fmt, cp);
    va_end(cp);
    if (done)
      return;
  }
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
