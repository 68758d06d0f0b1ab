#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int proc_capture(const char *const *argv, size_t max, struct buf *out,
                 struct err *e)
{
  int fds[2];
  if (pipe(fds) < 0)
    return err_set(e, EX_OSERR, "pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return err_set(e, EX_OSERR, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  char tmp[8192];
  ssize_t n;
  bool too_much = false;
  while ((n = read(fds[0], tmp, sizeof(tmp))) != 0) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (out->len + (size_t)n > max) {
      too_much = true;
      kill(pid, SIGTERM);
      break;
    }
    buf_add(out, tmp, (size_t)n);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (too_much)
    return err_set(e, EX_DATAERR, "%s printed more than %zu bytes", argv[0],
                   max);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return err_set(e, EX_UNAVAILABLE, "cannot run %s (is it installed?)",
                   argv[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    struct buf cmd = BUF_INIT;
    for (size_t i = 0; argv[i]; i++)
      buf_addf(&cmd, "%s%s", i ? " " : "", argv[i]);
    err_set(e, EX_DATAERR, "'%s' failed (exit %d)", cmd.data,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    buf_release(&cmd);
    return -1;
  }
  return 0;
}
