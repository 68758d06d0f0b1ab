#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool cancelled(const struct proc_limits *l)
{
  return l->cancel && atomic_load(l->cancel);
}

/* In the child: its own process group (so that the whole group can be
 * stopped, git's helpers included), default signals, no terminal input. */
static void exec_child(const char *const *argv, int out_fd)
{
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  int nul = open("/dev/null", O_RDONLY);
  if (nul >= 0) {
    dup2(nul, 0);
    close(nul);
  }
  dup2(out_fd, 1);
  close(out_fd);
  execvp(argv[0], (char *const *)argv);
  _exit(127);
}

/* Waits for pid until the deadline (or the cancel flag); then ends its
 * group: SIGTERM, and SIGKILL two seconds later. Returns true when the
 * child had to be stopped. */
static bool reap(pid_t pid, long long deadline, const struct proc_limits *l,
                 bool stop, int *status)
{
  long long kill_at = 0;
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR))
      return stop;
    if (!stop && (now_ms() >= deadline || cancelled(l)))
      stop = true;
    if (stop && !kill_at) {
      kill(-pid, SIGTERM);
      kill(pid, SIGTERM);
      kill_at = now_ms() + 2000;
    } else if (stop && now_ms() >= kill_at) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
      return true;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

static void command_line(const char *const *argv, struct buf *cmd)
{
  for (size_t i = 0; argv[i]; i++)
    buf_addf(cmd, "%s%s", i ? " " : "", argv[i]);
}

int proc_capture_limited(const char *const *argv, size_t max,
                         const struct proc_limits *l, struct buf *out,
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
    close(fds[0]);
    exec_child(argv, fds[1]);
  }
  setpgid(pid, pid); /* also here: the group exists before any kill */
  close(fds[1]);
  long long deadline = now_ms() + l->timeout_ms;
  char tmp[8192];
  bool too_much = false, stop = false;
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0 || cancelled(l)) {
      stop = true;
      break;
    }
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    int r = poll(&p, 1, left < 100 ? (int)left : 100);
    if (r < 0 && errno != EINTR)
      break;
    if (r <= 0)
      continue;
    ssize_t n = read(fds[0], tmp, sizeof(tmp));
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      break;
    }
    if (out->len + (size_t)n > max) {
      too_much = true;
      stop = true;
      break;
    }
    buf_add(out, tmp, (size_t)n);
  }
  close(fds[0]);
  int status = 0;
  bool stopped = reap(pid, deadline, l, stop, &status);
  struct buf cmd = BUF_INIT;
  command_line(argv, &cmd);
  int rc = -1;
  if (too_much)
    err_set(e, EX_DATAERR, "%s printed more than %zu bytes", argv[0], max);
  else if (stopped && cancelled(l))
    err_set(e, EX_TEMPFAIL, "'%s' was stopped (shutting down)", cmd.data);
  else if (stopped)
    err_set(e, EX_TEMPFAIL, "'%s' took more than %d s and was stopped",
            cmd.data, (l->timeout_ms + 999) / 1000);
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    err_set(e, EX_UNAVAILABLE, "cannot run %s (is it installed?)", argv[0]);
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    err_set(e, EX_DATAERR, "'%s' failed (exit %d)", cmd.data,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  else
    rc = 0;
  buf_release(&cmd);
  return rc;
}

int proc_capture(const char *const *argv, size_t max, struct buf *out,
                 struct err *e)
{
  const struct proc_limits l = {.timeout_ms = PROC_TIMEOUT_MS};
  return proc_capture_limited(argv, max, &l, out, e);
}
