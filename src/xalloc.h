#ifndef CRIER_XALLOC_H
#define CRIER_XALLOC_H
/*
 * Allocation that never fails: running out of memory prints a message and
 * aborts. Every pointer returned is the caller's to free().
 */
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of *cap elements of size sz so that it holds at least need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Frees *p and sets it to NULL. */
void xfree(void *pp);

#endif
