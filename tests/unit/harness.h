/* A tiny test harness: OK(cond, ...), STR_EQ(got, want), INT_EQ, named
 * cases run by CASE(fn) (a failing case is named after its failures), and
 * a summary line "N passed, N failed" that ctest and CI read. */
#ifndef CRIER_HARNESS_H
#define CRIER_HARNESS_H
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;

#define OK(cond, ...)                                                          \
  do {                                                                         \
    if (cond) {                                                                \
      t_passed++;                                                              \
    } else {                                                                   \
      t_failed++;                                                              \
      fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                    \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

#define STR_EQ(got, want)                                                      \
  do {                                                                         \
    const char *g_ = (got), *w_ = (want);                                      \
    OK(g_ &&w_ &&strcmp(g_, w_) == 0, "%s\n  got:  \"%s\"\n  want: \"%s\"",    \
       #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                          \
  } while (0)

#define INT_EQ(got, want)                                                      \
  do {                                                                         \
    long long g_ = (long long)(got), w_ = (long long)(want);                   \
    OK(g_ == w_, "%s: got %lld, want %lld", #got, g_, w_);                     \
  } while (0)

/* An instant from a --now style time ("2030-12-04T19:30:00+01:00"); NULL
 * is 0. A bad time is reported and is 0. */
#include <time.h>
#include "when.h"
static inline time_t at(const char *s)
{
  struct err e;
  time_t t = 0;
  if (s && when_parse_now(s, &t, &e) < 0)
    fprintf(stderr, "bad time %s: %s\n", s, e.msg);
  return t;
}

/* Whether every CRLF-ended line of s is at most max bytes long. */
static inline bool t_lines_within(const char *s, size_t max)
{
  const char *p = s;
  while (*p) {
    const char *e = strstr(p, "\r\n");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > max)
      return false;
    p += n + (e ? 2 : 0);
  }
  return true;
}

/* Removes a flat temporary directory and the files in it. */
#include <dirent.h>
#include <unistd.h>
static inline void t_rmdir(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  char path[4096];
  while (d && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
    unlink(path);
  }
  if (d)
    closedir(d);
  rmdir(dir);
}

/* Runs the case fn (a static void function); when a check in it fails, a
 * line names the case. */
#define CASE(fn)                                                               \
  do {                                                                         \
    int failed_before_ = t_failed;                                             \
    fn();                                                                      \
    if (t_failed != failed_before_)                                            \
      fprintf(stderr, "  (%d failed in case %s)\n", t_failed - failed_before_, \
              #fn);                                                            \
  } while (0)
/* Writes text to the file rel under dir. */
static inline void t_put(const char *dir, const char *rel, const char *text)
{
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  FILE *f = fopen(path, "w");
  if (!f)
    return;
  fputs(text, f);
  fclose(f);
}

static inline int t_summary(void)
{
  printf("%d passed, %d failed\n", t_passed, t_failed);
  return t_failed ? 1 : 0;
}
#endif
