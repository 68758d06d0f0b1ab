/* measure RUNS CMD [ARGS...]
 * measure RUNS -- CMD1 [ARGS...] -- CMD2 [ARGS...] [-- ...]
 *
 * Runs each command RUNS times (stdout and stderr to /dev/null) and prints
 * one line per command: "median_ms median_peak_rss_kib min_ms max_ms
 * cpu_ms", from the clock and wait4's rusage (cpu: user + system, the
 * median). With several commands the runs are interleaved (1, 2, 3, 1, 2,
 * 3, ...), so that a machine that gets busier or quieter meanwhile
 * disturbs them alike. A run that fails ends the measurement (exit 1). A
 * helper for the scripts in bench/. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof(*v), cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Runs argv once: wall ms, peak RSS KiB, CPU ms; -1 when it failed. */
static int run(char **argv, double *ms, double *kib, double *cpu)
{
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
    return -1;
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "measure: %s exited with %d; not measured\n", argv[0],
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
  }
  *ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
        (double)(b.tv_nsec - a.tv_nsec) / 1e6;
  *kib = (double)ru.ru_maxrss;
  *cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: measure RUNS CMD [ARGS...]\n"
                    "       measure RUNS -- CMD1 [ARGS...] -- CMD2 ...\n");
    return 2;
  }
  int runs = (int)strtol(argv[1], NULL, 10);
  if (runs < 1 || runs > 1000)
    return 2;
  char **cmds[MAX_CMDS];
  int ncmds = 0;
  if (strcmp(argv[2], "--") != 0) {
    cmds[ncmds++] = argv + 2;
  } else {
    for (int i = 2; i < argc; i++)
      if (strcmp(argv[i], "--") == 0) {
        argv[i] = NULL; /* ends the command before it */
        if (i + 1 < argc && ncmds < MAX_CMDS)
          cmds[ncmds++] = argv + i + 1;
      }
  }
  if (!ncmds)
    return 2;
  double *ms = calloc((size_t)(runs * ncmds), sizeof(double));
  double *kib = calloc((size_t)(runs * ncmds), sizeof(double));
  double *cpu = calloc((size_t)(runs * ncmds), sizeof(double));
  if (!ms || !kib || !cpu)
    return 1;
  for (int r = 0; r < runs; r++)
    for (int c = 0; c < ncmds; c++) {
      int k = c * runs + r;
      if (run(cmds[c], &ms[k], &kib[k], &cpu[k]) < 0)
        return 1;
    }
  for (int c = 0; c < ncmds; c++) {
    double *m = ms + c * runs;
    double med = median(m, runs); /* sorts m */
    printf("%.2f %.0f %.2f %.2f %.2f\n", med, median(kib + c * runs, runs),
           m[0], m[runs - 1], median(cpu + c * runs, runs));
  }
  free(ms);
  free(kib);
  free(cpu);
  return 0;
}
