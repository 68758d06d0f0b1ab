#ifndef CRIER_CI_H
#define CRIER_CI_H
/*
 * What crier does for runs in CI (GitHub Actions), where nothing but the
 * state is kept between runs: the last commit `crier changed
 * --since-state` processed, kept in the journal's kv table; a warning for
 * reminders that went out late (scheduled runs start late or not at all);
 * and the Markdown of a dry run, for a pull-request comment.
 */
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "err.h"

/* The commit `changed --since-state` last finished, from the journal at
 * path, in *out (a new string; NULL when none is recorded or there is no
 * journal). Fails like journal_open. */
int ci_commit_get(const char *journal, char **out, struct err *e);
/* Records commit (a full hex id) as finished in the journal at path. */
int ci_commit_set(const char *journal, const char *commit, struct err *e);

/* For each reminder in results (run_schedule's records) that was sent more
 * than an hour after it was planned: a warning (an annotation under GitHub
 * Actions) and a table in $GITHUB_STEP_SUMMARY. Planned is when it became
 * due, or min_gap after the channel's previous notice if that is later
 * (a reminder never goes out closer to another one). Returns how many were
 * late. */
int ci_late_reminders(struct app *a, json_t *results);

/* Writes the messages of a dry run's records (with their "message") to f
 * as Markdown for a pull-request comment: a section per event and notice,
 * each channel and language's subject and body in a fenced block (so that
 * nothing in an event file becomes a mention, a link or HTML), and the
 * reasons for what would not be sent. */
void ci_markdown(const struct app *a, json_t *results, FILE *f);

#endif
