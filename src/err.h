#ifndef CRIER_ERR_H
#define CRIER_ERR_H
/*
 * Error values. A fallible function returns 0 or -1 (a pointer or NULL) and
 * fills a caller-owned struct err. code is a <sysexits.h> exit status.
 */
#include <sysexits.h>

struct err {
  int code;
  char msg[512];
};

/* Fills e (which may be NULL) and returns -1. */
int err_set(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void err_clear(struct err *e);

#endif
