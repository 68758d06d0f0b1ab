#ifndef CRIER_UTIL_H
#define CRIER_UTIL_H
/*
 * Small helpers shared by the loaders: reading a file with a size limit,
 * UTF-8 validation, and spelling suggestions.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

#define FILE_MAX ((size_t)1 << 20) /* 1 MiB: event, config, template files */

/* Reads the whole file at path into out (replacing its content). Fails with
 * EX_NOINPUT if it cannot be read, EX_DATAERR if it is larger than max bytes
 * or is not a regular file. */
int file_read(const char *path, size_t max, struct buf *out, struct err *e);

/* Replaces the file at path with data[0..n) (mode mode) at once: written
 * to a new file beside it, synced, renamed over it; others never see a
 * part of it. Fails with EX_CANTCREAT or EX_IOERR. */
int file_replace(const char *path, const void *data, size_t n, mode_t mode,
                 struct err *e);

/* Returns 0 if s[0..n) is valid UTF-8 without NUL bytes; otherwise -1 and
 * the 1-based line of the first bad byte in *line, and a reason. */
int utf8_check(const char *s, size_t n, int *line, const char **why);

/* Copies src into dst[0..size) as snprintf(dst, size, "%s", src) does:
 * cut to size - 1 bytes and terminated (size > 0). Returns the length
 * written. The date readers copy a few hundred short strings per site
 * load, and vfprintf spent some 300 instructions on each. */
size_t str_copy(char *dst, size_t size, const char *src);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_len(const char *s);
/* Number of grapheme clusters (what a reader sees as one character:
 * "ü" written as u and a combining mark, a flag, an emoji with a skin
 * tone) in a valid UTF-8 string, by Unicode's extended grapheme cluster
 * rules (UAX #29, libunistring). */
size_t utf8_graphemes(const char *s);
/* Byte length of the longest prefix of s with at most n code points. */
size_t utf8_prefix(const char *s, size_t n);

/* The candidate closest to word (edit distance at most 3, or a prefix);
 * NULL when none is close. Borrowed from the candidates array. */
const char *closest_word(const char *word, const char *const *cands, size_t n);

/* Case-insensitive (ASCII) strstr. */
const char *str_find_ci(const char *hay, const char *needle);

/* The number of elements of an array (not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* Appends the base64 of bin[0..n) to out: standard with padding, or
 * (url) the URL-safe alphabet without padding. */
void buf_add_base64(struct buf *out, const void *bin, size_t n, bool url);

/* True when s is non-NULL and non-empty. */
static inline bool nonempty(const char *s)
{
  return s && *s;
}

#endif
