#define _GNU_SOURCE /* fopencookie */
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

struct guard {
  int fd;
  bool flush_stdout; /* stderr: keep the order with stdout */
  char held[1];      /* a CR or a 0xC2 lead byte whose follower is unseen */
  size_t nheld;
};

static int write_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void escape_byte(struct buf *out, unsigned char c)
{
  buf_addf(out, "\\x%02x", c);
}

/* Escapes s[0..n) into out; a CR or 0xC2 at the very end is held in g (if
 * given) until the next byte shows what it is. */
/* A byte that passes as it is. */
static bool plain(unsigned char c)
{
  return (c >= 0x20 && c != 0x7f && c != 0xc2) || c == '\t' || c == '\n';
}

static void filter(struct guard *g, struct buf *out, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    size_t run = i; /* plain bytes go in one piece */
    while (run < n && plain((unsigned char)s[run]))
      run++;
    buf_add(out, s + i, run - i);
    if (run == n)
      return;
    i = run;
    unsigned char c = (unsigned char)s[i];
    if (c == '\r' || c == 0xc2) {
      if (i + 1 == n && g) {
        g->held[0] = (char)c;
        g->nheld = 1;
        return;
      }
      unsigned char next = i + 1 < n ? (unsigned char)s[i + 1] : 0;
      if (c == '\r') {
        if (next == '\n')
          buf_addc(out, '\r');
        else
          escape_byte(out, c);
      } else if (next >= 0x80 && next <= 0x9f) {
        buf_addf(out, "\\u%04x", next);
        i++;
      } else {
        buf_addc(out, (char)c);
      }
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
      escape_byte(out, c);
    else
      buf_addc(out, (char)c);
  }
}

void term_escape(struct buf *out, const char *s, size_t n)
{
  filter(NULL, out, s, n);
}

/* Whether the eight bytes at s are all printable ASCII (0x20 to 0x7e). */
static bool word_printable(const char *s)
{
  uint64_t w;
  memcpy(&w, s, sizeof(w));
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t below = (w - ones * 0x20) & ~w & highs;  /* a byte < 0x20 */
  uint64_t above = ((w + ones * 0x01) | w) & highs; /* a byte >= 0x7f */
  return !below && !above;
}

int term_find_control(const char *s, size_t n, size_t *at)
{
  for (size_t i = 0; i < n; i++) {
    while (n - i >= 8 && word_printable(s + i))
      i += 8;
    if (i >= n)
      break;
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f ||
        (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
         (unsigned char)s[i + 1] <= 0x9f)) {
      *at = i;
      return 1;
    }
  }
  return 0;
}

static ssize_t guard_write(void *cookie, const char *p, size_t n)
{
  struct guard *g = cookie;
  if (g->flush_stdout)
    fflush(stdout);
  struct buf in = BUF_INIT, out = BUF_INIT;
  buf_add(&in, g->held, g->nheld); /* a byte held from the last write */
  buf_add(&in, p, n);
  g->nheld = 0;
  filter(g, &out, in.data, in.len);
  int rc = write_all(g->fd, out.data, out.len);
  buf_release(&in);
  buf_release(&out);
  return rc < 0 ? -1 : (ssize_t)n;
}

static int guard_close(void *cookie)
{
  struct guard *g = cookie;
  if (g->nheld) {
    struct buf out = BUF_INIT;
    filter(NULL, &out, g->held, 1);
    write_all(g->fd, out.data, out.len);
    buf_release(&out);
  }
  return 0;
}

static FILE *guarded(int fd, bool flush_stdout, const char *mode)
{
  static struct guard gs[2];
  struct guard *g = &gs[fd == 2];
  g->fd = fd;
  g->flush_stdout = flush_stdout;
  cookie_io_functions_t io = {.write = guard_write, .close = guard_close};
  return fopencookie(g, mode, io);
}

void term_guard_stdio(void)
{
  /* a descriptor of 0-2 that the caller closed (cron's `>&-`) would be
   * the next file or socket crier opens (the journal's lock, the
   * transport's socket), and what crier prints would go into it: each is
   * opened on /dev/null first (open takes the lowest free one) */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
        open("/dev/null", fd ? O_WRONLY : O_RDONLY) < 0)
      break;
  FILE *out = guarded(1, false, "w");
  FILE *err = guarded(2, true, "w");
  if (!out || !err)
    return; /* out of memory at start: leave the plain streams */
  if (isatty(1))
    setvbuf(out, NULL, _IOLBF, 0);
  setvbuf(err, NULL, _IONBF, 0);
  stdout = out;
  stderr = err;
}
