#ifndef CRIER_PROC_H
#define CRIER_PROC_H
/*
 * Running a helper program (git) without a shell: fork and exec with an
 * argument vector, standard output captured (bounded), standard error
 * passed through, standard input from /dev/null. Every child has a time
 * limit: when it runs out (or the caller's cancel flag is set) the child's
 * process group gets SIGTERM, and SIGKILL two seconds later.
 */
#include <stdatomic.h>

#include "buf.h"
#include "err.h"

#define PROC_TIMEOUT_MS (120 * 1000) /* proc_capture's limit */

struct proc_limits {
  int timeout_ms;           /* > 0 */
  const atomic_int *cancel; /* stop the child when it becomes non-zero;
                               may be NULL */
};

/* Runs argv[0] (searched in PATH) and appends its standard output to out.
 * Fails with EX_UNAVAILABLE when it cannot be started, EX_DATAERR when it
 * exits non-zero (naming the command), or when it prints more than max,
 * EX_TEMPFAIL when it ran out of time or was cancelled. */
int proc_capture_limited(const char *const *argv, size_t max,
                         const struct proc_limits *l, struct buf *out,
                         struct err *e);
/* The same within PROC_TIMEOUT_MS. */
int proc_capture(const char *const *argv, size_t max, struct buf *out,
                 struct err *e);

#endif
