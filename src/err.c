#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
  if (!e)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
  va_end(ap);
  e->code = code;
  return -1;
}

void err_clear(struct err *e)
{
  e->code = 0;
  e->msg[0] = '\0';
}
