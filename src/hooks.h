#ifndef CRIER_HOOKS_H
#define CRIER_HOOKS_H
/*
 * Test hooks: values the test suites set through CRIER_TEST_* environment
 * variables, read once at start by cli_read_test_hooks (cli.c); 0 means
 * not set, and then nothing changes. They only shorten waits. None of them
 * changes what crier sends, and none overrides a value the configuration
 * sets.
 */
struct test_hooks {
  double retry_base;   /* CRIER_TEST_RETRY_BASE_MS: first back-off (s) */
  double github_gap;   /* CRIER_TEST_GITHUB_GAP: s between GitHub writes
                          when the channel sets no 'gap' */
  long serve_timeout;  /* CRIER_TEST_SERVE_TIMEOUT: idle s before serve
                          cuts a client off */
  long serve_retry_ms; /* CRIER_TEST_SERVE_RETRY_MS: first wait before a
                          push is tried again */
  long landing_window; /* CRIER_TEST_LANDING_S: s a stopped run's request
                          may still be on its way (else the channel's
                          time limits) */
};

extern struct test_hooks test_hooks;

/* Reads the CRIER_TEST_* variables (once, from main). */
void cli_read_test_hooks(void);

#endif
