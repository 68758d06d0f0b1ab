/* The growable string: data is never NULL and always ends in NUL;
 * appends, formatting, truncation, trimming, detaching. */
#include "harness.h"

#include <stdio.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "buf.h"
#include "util.h"

static void empty_is_a_string(void)
{
  struct buf b = BUF_INIT;
  OK(b.data != NULL && b.data[0] == '\0' && b.len == 0, "empty");
  buf_release(&b);
  OK(b.data != NULL && b.len == 0, "released is empty again");
  char *d = buf_detach(&b);
  OK(d && !*d, "detaching an empty buffer gives \"\"");
  free(d);
}

static void appends(void)
{
  struct buf b = BUF_INIT;
  buf_adds(&b, "Glüh");
  buf_addc(&b, 'w');
  buf_add(&b, "ein\0x", 3);
  buf_addf(&b, " %d%%", 42);
  STR_EQ(b.data, "Glühwein 42%");
  INT_EQ(b.len, strlen("Glühwein 42%"));
  for (int i = 0; i < 10000; i++)
    buf_addc(&b, 'x');
  INT_EQ(b.len, strlen("Glühwein 42%") + 10000);
  OK(b.data[b.len] == '\0', "terminated after growing");
  buf_release(&b);
}

static void truncate_trim_reset(void)
{
  struct buf b = BUF_INIT;
  buf_adds(&b, "line \t\n\n");
  buf_rtrim(&b);
  STR_EQ(b.data, "line");
  buf_truncate(&b, 2);
  STR_EQ(b.data, "li");
  size_t cap = b.cap;
  buf_reset(&b);
  OK(b.len == 0 && b.data[0] == '\0' && b.cap == cap, "reset keeps memory");
  buf_adds(&b, "again");
  char *d = buf_detach(&b);
  STR_EQ(d, "again");
  OK(b.len == 0 && b.data[0] == '\0', "detached leaves it empty");
  free(d);
}

/* buf_addf formats into the room there is and, when the text is longer,
 * grows and formats again: every length across the room's edge comes out
 * whole and terminated. */
static void formats_across_the_room(void)
{
  char want[600];
  for (size_t start = 0; start < 140; start += 7)
    for (int n = 0; n < 300; n += 13) {
      struct buf b = BUF_INIT;
      for (size_t i = 0; i < start; i++)
        buf_addc(&b, 'a');
      buf_addf(&b, "%s|%.*d", "x", n, 7);
      memset(want, 'a', start);
      int w = snprintf(want + start, sizeof(want) - start, "x|%.*d", n, 7);
      OK(b.len == start + (size_t)w && strcmp(b.data, want) == 0 &&
             b.data[b.len] == '\0',
         "start %zu, %d digits: got %zu bytes", start, n, b.len);
      buf_release(&b);
    }
  struct buf e = BUF_INIT;
  buf_addf(&e, "%s", "");
  OK(e.len == 0 && e.data[0] == '\0', "an empty format leaves it empty");
  buf_release(&e);
}

/* buf_addf writes the common conversions itself (%s, %.*s, %c, %d, %i,
 * %u with l, ll and z, a zero flag and a width on numbers, %%): each
 * comes out as vsnprintf writes it, appended to what the buffer held, and
 * what it leaves to vsnprintf (other flags, a NULL string with a
 * precision, a NUL character) comes out the same too. */
#define SAME(fmt, ...)                                                         \
  do {                                                                         \
    char want_[512];                                                           \
    int w_ = snprintf(want_, sizeof(want_), "pre:" fmt, __VA_ARGS__);          \
    struct buf b_ = BUF_INIT;                                                  \
    buf_adds(&b_, "pre:");                                                     \
    buf_addf(&b_, fmt, __VA_ARGS__);                                           \
    OK(w_ >= 0 && b_.len == (size_t)w_ &&                                      \
           memcmp(b_.data, want_, b_.len) == 0 && b_.data[b_.len] == '\0',     \
       "'%s': got '%s' (%zu bytes), vsnprintf '%s' (%d)", fmt, b_.data,        \
       b_.len, want_, w_);                                                     \
    buf_release(&b_);                                                          \
  } while (0)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void formats_like_vsnprintf(void)
{
  const char *none = NULL;
  SAME("%s/%s", "/srv/site/_posts", "2024-05-02-treff.md");
  SAME("title=%s\nstart=%s\n", "Glühwein & Rust", "2024-12-05T18:00:00Z");
  SAME("%s", "");
  SAME("%s|%s", none, "x");
  SAME("[%.*s]", 3, "abcdef");
  SAME("[%.*s]", 0, "abcdef");
  SAME("[%.*s]", 40, "abc");
  SAME("[%.*s]", -1, "abcdef");
  SAME("[%.*s]", -1, none);
  SAME("[%.*s]", 2, none);
  SAME("[%.*s]", 9, none);
  SAME("%d %i %d %d %d", 0, -1, 42, INT_MAX, INT_MIN);
  SAME("%04d-%02d-%02d", 2024, 5, 2);
  SAME("%04d|%02d|%08d", -5, -7, -1234);
  SAME("%2d|%2d|%5d|%1d", 7, -7, 123456, 0);
  SAME("%02d", 123);
  SAME("%ld %ld %ld", 0L, LONG_MAX, LONG_MIN);
  SAME("%02ld:%02ld", 5L, 30L);
  SAME("%lld %lld", LLONG_MAX, LLONG_MIN);
  SAME("%u %u %lu %llu", 0U, UINT_MAX, ULONG_MAX, ULLONG_MAX);
  SAME("%zu %zu %zd %zd", (size_t)0, SIZE_MAX, (ssize_t)-3, (ssize_t)42);
  SAME("%c%c%c", 'a', '%', 0xfc);
  SAME("%c|", 0);
  SAME("100%% %s%%", "sure");
  SAME("%-5s|%5s|%.2s", "ab", "cd", "efg");
  SAME("[%5s]", "ab");
  SAME("[%3c]", 'x');
  SAME("[%.2s]", "abc");
  SAME("%x %X %o %.3f", 255U, 255U, 8U, 2.5);
  SAME("%.*d|%s", 5, 7, "after a precision");
  SAME("%s|%d|%s|%zu|%c|%lld", "a", 1, "b", (size_t)2, 'c', -3LL);
  SAME("%5%|%s", "x");
  char big[300];
  memset(big, 'q', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  SAME("<%s>%d<%s>", big, 99, big + 200);
}
#pragma GCC diagnostic pop

/* str_copy cuts and terminates as snprintf(dst, size, "%s", src) does,
 * and says how much it wrote. */
static void copies_like_snprintf(void)
{
  static const char *const srcs[] = {"", "H", "HH:MM", "Glühwein am Dom"};
  for (size_t k = 0; k < sizeof(srcs) / sizeof(*srcs); k++)
    for (size_t size = 1; size < 20; size++) {
      char got[20], want[20];
      memset(got, 'x', sizeof(got));
      size_t n = str_copy(got, size, srcs[k]);
      snprintf(want, size, "%s", srcs[k]);
      OK(strcmp(got, want) == 0 && n == strlen(want) &&
             memchr(got, 0, size) != NULL,
         "'%s' into %zu bytes: '%s' (%zu)", srcs[k], size, got, n);
    }
}

/* file_read reads a file whole whatever its size against the buffer's
 * steps (its size from fstat, then to the end), and refuses one over the
 * limit. */
static void file_read_sizes(void)
{
  char dir[] = "/tmp/crier-test-buf-XXXXXX";
  if (!mkdtemp(dir)) {
    OK(false, "mkdtemp");
    return;
  }
  static const size_t sizes[] = {0,    1,     62,    63,    64,
                                 65,   127,   128,   4095,  4096,
                                 4097, 65535, 65536, 65537, 70000};
  char path[600];
  snprintf(path, sizeof(path), "%s/f", dir);
  for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
    size_t n = sizes[k];
    char *want = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      want[i] = (char)('a' + (i * 7 + k) % 26);
    want[n] = '\0';
    FILE *f = fopen(path, "w");
    if (f) {
      fwrite(want, 1, n, f);
      fclose(f);
    }
    struct buf b = BUF_INIT;
    struct err e;
    OK(file_read(path, (size_t)1 << 20, &b, &e) == 0, "%zu: %s", n, e.msg);
    OK(b.len == n && (n == 0 || memcmp(b.data, want, n) == 0),
       "%zu bytes read as %zu", n, b.len);
    if (n > 10)
      OK(file_read(path, n - 1, &b, &e) < 0 && e.code == EX_DATAERR,
         "%zu bytes over a limit of %zu", n, n - 1);
    buf_release(&b);
    free(want);
  }
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  CASE(empty_is_a_string);
  CASE(formats_across_the_room);
  CASE(formats_like_vsnprintf);
  CASE(copies_like_snprintf);
  CASE(appends);
  CASE(truncate_trim_reset);
  CASE(file_read_sizes);
  return t_summary();
}
