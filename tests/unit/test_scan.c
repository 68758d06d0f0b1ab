/* The scanners that read whole files eight bytes at a time (utf8_check,
 * term_find_control) against a byte-at-a-time reading written here:
 * every string made of a few pieces, each piece at every offset from an
 * eight-byte boundary, must give the same answer, line and position. And
 * file_read, which sizes its buffer by what fstat says, reads files of
 * every size around its steps whole, into a buffer that held more. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "term.h"
#include "util.h"

/* The byte-at-a-time reference: the first byte that is not valid UTF-8
 * (or NUL), and its line; -1 when there is none. */
static long ref_utf8(const unsigned char *s, size_t n, int *line)
{
  int ln = 1;
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    if (!c || !len || i + len > n) {
      *line = ln;
      return (long)i;
    }
    unsigned cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) {
        *line = ln;
        return (long)i;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *line = ln;
      return (long)i;
    }
    ln += c == '\n';
    i += len;
  }
  return -1;
}

/* The first C0 control (but tab, LF, CR), DEL or UTF-8 C1; -1: none. */
static long ref_control(const unsigned char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') ||
        s[i] == 0x7f ||
        (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f))
      return (long)i;
  return -1;
}

static const char *const pieces[] = {
    "",
    "a",
    "Glühwein",
    "\n",
    "\t",
    "\r\n",
    "\x01",
    "\x1f",
    "\x7f",
    "\x7e",
    " ",
    "\xc2\x85",
    "\xc2\xa0",
    "\xc3",
    "\xe2\x82",
    "\xe2\x82\xac",
    "\xf0\x9f\x8d\xb7",
    "\xed\xa0\x80",
    "\xc0\xaf",
    "\xf5\x80\x80\x80",
    "\xff",
    "\x80",
    "longer plain ascii text of the kind a body has",
};

static size_t npieces(void)
{
  return sizeof(pieces) / sizeof(pieces[0]);
}

/* pad bytes of 'x' and lines newlines, then a, then b, then pad2 'y's */
static void make(struct buf *b, size_t pad, int lines, const char *x,
                 const char *y, size_t pad2)
{
  buf_reset(b);
  for (int i = 0; i < lines; i++)
    buf_adds(b, "line\n");
  for (size_t i = 0; i < pad; i++)
    buf_addc(b, 'x');
  buf_adds(b, x);
  buf_adds(b, y);
  for (size_t i = 0; i < pad2; i++)
    buf_addc(b, 'y');
}

static void same_as_byte_at_a_time(void)
{
  struct buf b = BUF_INIT;
  int mismatches = 0, bad_seen = 0, controls_seen = 0;
  for (size_t i = 0; i < npieces(); i++)
    for (size_t j = 0; j < npieces(); j++)
      for (size_t pad = 0; pad < 17; pad++)
        for (int lines = 0; lines < 3; lines += 2) {
          make(&b, pad, lines, pieces[i], pieces[j], 11 - pad % 8);
          const unsigned char *s = (const unsigned char *)b.data;
          int rl = 0, gl = 0;
          const char *why = NULL;
          long r = ref_utf8(s, b.len, &rl);
          int g = utf8_check(b.data, b.len, &gl, &why);
          if ((r < 0) != (g == 0) || (r >= 0 && rl != gl)) {
            if (mismatches++ < 5)
              OK(0,
                 "utf8_check: pieces %zu,%zu pad %zu: ref %ld line %d, "
                 "got %d line %d",
                 i, j, pad, r, rl, g, gl);
          }
          bad_seen += r >= 0;
          size_t at = 0;
          long rc = ref_control(s, b.len);
          int gc = term_find_control(b.data, b.len, &at);
          if ((rc < 0) != (gc == 0) || (rc >= 0 && (size_t)rc != at)) {
            if (mismatches++ < 5)
              OK(0,
                 "term_find_control: pieces %zu,%zu pad %zu: ref %ld, "
                 "got %d at %zu",
                 i, j, pad, rc, gc, at);
          }
          controls_seen += rc >= 0;
        }
  INT_EQ(mismatches, 0);
  /* the pieces make both answers: the comparison is not all "fine" */
  OK(bad_seen > 1000 && controls_seen > 1000, "bad %d, controls %d", bad_seen,
     controls_seen);
  buf_release(&b);
}

static void errors_name_the_line(void)
{
  const char *text = "title: Rust\nbody: long enough to be read in words\n"
                     "ok \xc3\xa4 then \xc3( here\n";
  int line = 0;
  const char *why = NULL;
  INT_EQ(utf8_check(text, strlen(text), &line, &why), -1);
  INT_EQ(line, 3);
  STR_EQ(why, "invalid UTF-8");
  const char nul[] = "first line of plain text\nsecond\0line";
  INT_EQ(utf8_check(nul, sizeof(nul) - 1, &line, &why), -1);
  INT_EQ(line, 2);
  STR_EQ(why, "NUL byte (binary file?)");
  size_t at = 0;
  const char *ctl = "plain text for a while, then \x1b[31m";
  INT_EQ(term_find_control(ctl, strlen(ctl), &at), 1);
  INT_EQ(at, strlen("plain text for a while, then "));
}

static void file_read_reads_every_size(void)
{
  static const size_t sizes[] = {0,     1,     2,     4095,   4096,  65534,
                                 65535, 65536, 65537, 131072, 200001};
  char path[] = "/tmp/crier-scan-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    OK(false, "mkstemp");
    return;
  }
  close(fd);
  struct buf got = BUF_INIT;
  buf_adds(&got, "what a reused buffer held before");
  for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
    size_t n = sizes[k];
    char *want = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      want[i] = (char)('a' + (i * 7 + k) % 26);
    FILE *f = fopen(path, "w");
    OK(f && fwrite(want, 1, n, f) == n, "write %zu", n);
    if (f)
      fclose(f);
    struct err e;
    OK(file_read(path, 1 << 20, &got, &e) == 0, "read %zu", n);
    OK(got.len == n && memcmp(got.data, want, n) == 0 && got.data[n] == '\0',
       "%zu bytes read as %zu", n, got.len);
    free(want);
  }
  struct err e;
  OK(file_read(path, 1000, &got, &e) < 0 && e.code == EX_DATAERR,
     "a file over the limit is refused");
  buf_release(&got);
  unlink(path);
}

int main(void)
{
  CASE(same_as_byte_at_a_time);
  CASE(errors_name_the_line);
  CASE(file_read_reads_every_size);
  return t_summary();
}
