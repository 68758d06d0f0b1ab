/* measure RUNS CMD [ARGS...]: runs CMD RUNS times (stdout and stderr to
 * /dev/null) and prints "median_ms median_peak_rss_kib" from the clock
 * and wait4's rusage. A run that fails ends the measurement (exit 1). A
 * helper for bench/run.sh and bench/deliver.sh. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: measure RUNS CMD [ARGS...]\n");
    return 2;
  }
  int runs = (int)strtol(argv[1], NULL, 10);
  if (runs < 1 || runs > 1000)
    return 2;
  double *ms = calloc((size_t)runs, sizeof(double));
  double *kib = calloc((size_t)runs, sizeof(double));
  for (int i = 0; i < runs; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
      return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "measure: %s exited with %d; not measured\n", argv[2],
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      return 1;
    }
    ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
            (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    kib[i] = (double)ru.ru_maxrss;
  }
  qsort(ms, (size_t)runs, sizeof(double), cmp);
  qsort(kib, (size_t)runs, sizeof(double), cmp);
  printf("%.2f %.0f\n", ms[runs / 2], kib[runs / 2]);
  free(ms);
  free(kib);
  return 0;
}
