/* The growable string: data is never NULL and always ends in NUL;
 * appends, formatting, truncation, trimming, detaching. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

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
  CASE(appends);
  CASE(truncate_trim_reset);
  CASE(file_read_sizes);
  return t_summary();
}
