#ifndef CRIER_PROC_H
#define CRIER_PROC_H
/*
 * Running a helper program (git) without a shell: fork and exec with an
 * argument vector, standard output captured (bounded), standard error
 * passed through.
 */
#include "buf.h"
#include "err.h"

/* Runs argv[0] (searched in PATH) and appends its standard output to out.
 * Fails with EX_UNAVAILABLE when it cannot be started, EX_DATAERR when it
 * exits non-zero (naming the command), or when it prints more than max. */
int proc_capture(const char *const *argv, size_t max, struct buf *out,
                 struct err *e);

#endif
