#ifndef CRIER_LOG_H
#define CRIER_LOG_H
/*
 * Everything the library says for people goes through log_msg, which
 * hands one finished line to a sink: by default stderr, with the prefix
 * of its level ("crier: error: ", "crier: warning: ", "crier: "; result
 * and trace lines as they are). A program that wants the lines elsewhere
 * (serve's log, a test) replaces the sink. Fatal out-of-memory messages
 * (xalloc, buf) bypass it: they must not allocate.
 */
#include <stdarg.h>

enum log_level {
  LOG_ERROR,   /* something failed */
  LOG_WARNING, /* something is off; the work goes on */
  LOG_INFO,    /* what happened (summaries) */
  LOG_DEBUG,   /* -v: a line per request */
  LOG_LINE,    /* a finished line as it is: a result, a file:line message */
  LOG_TRACE,   /* --trace: headers and bodies, as they are (no prefix) */
};

/* Receives each line (without its prefix and final newline). */
typedef void (*log_sink)(enum log_level level, const char *line);

/* Replaces the sink (NULL: the default, stderr); returns the old one. */
log_sink log_set_sink(log_sink sink);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
