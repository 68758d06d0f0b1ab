/* Running helper programs: output, failures, the time limit (the whole
 * process group is stopped), the cancel flag, the output limit. */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>

#include "proc.h"

/* Whether pid still runs (a zombie waiting for its new parent does not). */
static bool running(long pid)
{
  char path[64], stat[256];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(stat, 1, sizeof(stat) - 1, f);
  fclose(f);
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

int main(void)
{
  struct err e;
  struct buf out = BUF_INIT;
  const char *echo[] = {"sh", "-c", "printf 'hello'", NULL};
  OK(proc_capture(echo, 100, &out, &e) == 0, "%s", e.msg);
  STR_EQ(out.data, "hello");

  buf_reset(&out);
  const char *fail[] = {"sh", "-c", "exit 3", NULL};
  OK(proc_capture(fail, 100, &out, &e) < 0 && e.code == EX_DATAERR &&
         strstr(e.msg, "'sh -c exit 3' failed (exit 3)"),
     "%s", e.msg);

  const char *none[] = {"crier-no-such-program", NULL};
  OK(proc_capture(none, 100, &out, &e) < 0 && e.code == EX_UNAVAILABLE, "%s",
     e.msg);

  /* out of time: the child and what it started are stopped */
  buf_reset(&out);
  const char *hang[] = {"sh", "-c", "sleep 30 & echo $!; wait", NULL};
  struct proc_limits lim = {.timeout_ms = 300};
  OK(proc_capture_limited(hang, 100, &lim, &out, &e) < 0 &&
         e.code == EX_TEMPFAIL && strstr(e.msg, "took more than 1 s"),
     "%s", e.msg);
  long grandchild = strtol(out.data, NULL, 10);
  OK(grandchild > 0, "the background sleep's pid: '%s'", out.data);
  OK(grandchild <= 0 || !running(grandchild),
     "the background sleep %ld was stopped with its parent", grandchild);

  /* a child that ignores SIGTERM gets SIGKILL */
  const char *stubborn[] = {"sh", "-c", "trap '' TERM; sleep 30", NULL};
  OK(proc_capture_limited(stubborn, 100, &lim, &out, &e) < 0 &&
         e.code == EX_TEMPFAIL,
     "%s", e.msg);

  /* cancelled */
  atomic_int cancel = 1;
  struct proc_limits stop = {.timeout_ms = 60000, .cancel = &cancel};
  const char *slow[] = {"sleep", "30", NULL};
  OK(proc_capture_limited(slow, 100, &stop, &out, &e) < 0 &&
         e.code == EX_TEMPFAIL && strstr(e.msg, "stopped (shutting down)"),
     "%s", e.msg);

  /* too much output */
  buf_reset(&out);
  const char *yes[] = {"yes", NULL};
  OK(proc_capture(yes, 1000, &out, &e) < 0 && e.code == EX_DATAERR &&
         strstr(e.msg, "more than 1000 bytes"),
     "%s", e.msg);
  buf_release(&out);
  return t_summary();
}
