#ifndef CRIER_DIAG_H
#define CRIER_DIAG_H
/*
 * A list of diagnostics (file, line, severity, message) collected while
 * loading and checking, so that one run reports every problem it finds.
 * The list owns its strings.
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum diag_sev { DIAG_WARNING, DIAG_ERROR };

struct diag {
  enum diag_sev sev;
  char *file; /* may be NULL */
  int line;   /* 0 when unknown */
  char *msg;
};

struct diags {
  struct diag *v;
  size_t n, cap;
  size_t errors, warnings;
};

void diags_init(struct diags *d);
void diags_release(struct diags *d);
/* Adds one; returns -1 for an error, 0 for a warning (so loaders can
 * "return diag_add(...)"). */
int diag_add(struct diags *d, enum diag_sev sev, const char *file, int line,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Makes the errors among entries [from, n) warnings, each with note
 * appended to its message. */
void diags_demote(struct diags *d, size_t from, const char *note);
/* Appends text to the message of entry i. */
void diag_append(struct diags *d, size_t i, const char *text);
/* Moves every entry of src to the end of dst. */
void diags_move(struct diags *dst, struct diags *src);
/* Sorts by file, then line (stable: the order within a line is kept). */
void diags_sort(struct diags *d);
/* Writes "file:line: error: msg" lines to stderr, plus workflow annotations
 * when GITHUB_ACTIONS=true. */
void diags_print(const struct diags *d);
/* Array of {"file","line","severity","message"}; new reference. */
json_t *diags_json(const struct diags *d);

#endif
