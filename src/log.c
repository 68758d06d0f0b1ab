#include "log.h"

#include <stdio.h>

#include "buf.h"

static void to_stderr(enum log_level level, const char *line)
{
  static const char *const prefix[] = {[LOG_ERROR] = "crier: error: ",
                                       [LOG_WARNING] = "crier: warning: ",
                                       [LOG_INFO] = "crier: ",
                                       [LOG_DEBUG] = "crier: ",
                                       [LOG_LINE] = "",
                                       [LOG_TRACE] = ""};
  fprintf(stderr, "%s%s%s", prefix[level], line,
          level == LOG_TRACE ? "" : "\n");
}

static log_sink current = to_stderr;

log_sink log_set_sink(log_sink sink)
{
  log_sink old = current;
  current = sink ? sink : to_stderr;
  return old;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
  struct buf b = BUF_INIT;
  buf_vaddf(&b, fmt, ap);
  current(level, b.data);
  buf_release(&b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(level, fmt, ap);
  va_end(ap);
}
