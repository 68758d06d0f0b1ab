#include "util.h"

#include <sodium.h>
#include <unigbrk.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read(const char *path, size_t max, struct buf *out, struct err *e)
{
  int rc = -1;
  /* O_NONBLOCK: opening a FIFO or a device must not wait for a writer; what
   * is not a regular file is refused before it is read */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return err_set(e, EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0) {
    err_set(e, EX_NOINPUT, "%s: cannot stat: %s", path, strerror(errno));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    err_set(e, EX_DATAERR, "%s: not a regular file", path);
    goto out;
  }
  if ((size_t)st.st_size > max) {
    err_set(e, EX_DATAERR,
            "%s: file is %lld bytes, larger than the limit "
            "of %zu bytes",
            path, (long long)st.st_size, max);
    goto out;
  }
  buf_reset(out);
  /* room for what fstat says (an event file is a few KiB), and a byte to
   * see the end; a file that grows meanwhile is read on in larger steps */
  size_t step = (size_t)st.st_size < 65536 ? (size_t)st.st_size + 1 : 65536;
  for (;;) {
    if (out->cap - out->len < 2) {
      buf_grow(out, step);
      step = 65536;
    }
    size_t room = out->cap - out->len - 1;
    ssize_t n = read(fd, out->data + out->len, room);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err_set(e, EX_IOERR, "%s: cannot read: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    out->len += (size_t)n;
    out->data[out->len] = '\0';
    if (out->len > max) {
      err_set(e, EX_DATAERR, "%s: file is larger than the limit of %zu bytes",
              path, max);
      goto out;
    }
    /* a regular file's read stops short of the room only at its end: with
     * the size fstat said, it is all there (no read more to see 0; a
     * `check` reads some 220 files) */
    if ((size_t)n < room && out->len == (size_t)st.st_size)
      break;
  }
  rc = 0;
out:
  close(fd);
  return rc;
}

int file_replace(const char *path, const void *data, size_t n, mode_t mode,
                 struct err *e)
{
  struct buf tmp = BUF_INIT;
  buf_addf(&tmp, "%s.XXXXXX", path);
  int rc = -1;
  int fd = mkstemp(tmp.data); /* mode 600 until it is complete */
  if (fd < 0) {
    err_set(e, EX_CANTCREAT, "cannot write %s: %s", path, strerror(errno));
    goto out;
  }
  for (size_t done = 0; done < n;) {
    ssize_t w = write(fd, (const char *)data + done, n - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      err_set(e, EX_IOERR, "cannot write %s: %s", tmp.data, strerror(errno));
      goto fail;
    }
    done += (size_t)w;
  }
  if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
    err_set(e, EX_IOERR, "cannot write %s: %s", tmp.data, strerror(errno));
    goto fail;
  }
  if (close(fd) < 0 || rename(tmp.data, path) < 0) {
    fd = -1;
    err_set(e, EX_IOERR, "cannot replace %s: %s", path, strerror(errno));
    goto fail;
  }
  rc = 0;
  goto out;
fail:
  if (fd >= 0)
    close(fd);
  unlink(tmp.data);
out:
  buf_release(&tmp);
  return rc;
}

/* Eight bytes of s at a time: whether one of them is 0 or 0x80 or more
 * (the bytes utf8_check looks at; the others are plain ASCII). */
static bool word_plain_ascii(const unsigned char *s)
{
  uint64_t w;
  memcpy(&w, s, sizeof(w));
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  return !(w & highs) && !((w - ones) & ~w & highs);
}

/* The line that byte at of s is on. */
static int line_at(const unsigned char *s, size_t at)
{
  int ln = 1;
  for (size_t i = 0; i < at; i++)
    ln += s[i] == '\n';
  return ln;
}

int utf8_check(const char *str, size_t n, int *line, const char **why)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  for (; i < n;) {
    if (n - i >= 8 && word_plain_ascii(s + i)) {
      i += 8;
      continue;
    }
    unsigned c = s[i];
    if (c == 0) {
      *line = line_at(s, i);
      *why = "NUL byte (binary file?)";
      return -1;
    }
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      goto bad;
    }
    if (i + len > n)
      goto bad;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        goto bad;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      goto bad;
    i += len;
  }
  return 0;
bad:
  *line = line_at(s, i);
  *why = "invalid UTF-8";
  return -1;
}

size_t str_copy(char *dst, size_t size, const char *src)
{
  size_t n = strnlen(src, size - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
  return n;
}

size_t utf8_len(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

size_t utf8_graphemes(const char *s)
{
  const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
  size_t n = 0;
  while (p && p < end) {
    p = u8_grapheme_next(p, end);
    n++;
  }
  return n;
}

size_t utf8_prefix(const char *s, size_t n)
{
  size_t i = 0, cps = 0;
  while (s[i]) {
    if (((unsigned char)s[i] & 0xC0) != 0x80) {
      if (cps == n)
        break;
      cps++;
    }
    i++;
  }
  return i;
}

static size_t edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return 99;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = diag + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *closest_word(const char *word, const char *const *cands, size_t n)
{
  const char *best = NULL;
  size_t bestd = 4;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(word, cands[i]);
    if (d < bestd) {
      bestd = d;
      best = cands[i];
    }
  }
  if (!best && strlen(word) >= 3) {
    for (size_t i = 0; i < n; i++)
      if (strncmp(cands[i], word, strlen(word)) == 0)
        return cands[i];
  }
  return best;
}

const char *str_find_ci(const char *hay, const char *needle)
{
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return hay;
  return n ? NULL : hay;
}

void buf_add_base64(struct buf *out, const void *bin, size_t n, bool url)
{
  int variant = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
                    : sodium_base64_VARIANT_ORIGINAL;
  size_t cap = sodium_base64_ENCODED_LEN(n, variant);
  buf_grow(out, cap);
  sodium_bin2base64(out->data + out->len, cap, bin, n, variant);
  out->len += strlen(out->data + out->len);
}
