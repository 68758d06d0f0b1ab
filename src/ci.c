#include "ci.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "plan.h"
#include "schedule.h"
#include "tpl.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* the kv key of the last commit `changed --since-state` finished */
#define KV_COMMIT "changed:commit"
/* a reminder this much later than planned is reported */
#define LATE_AFTER 3600

int ci_commit_get(const char *journal, char **out, struct err *e)
{
  *out = NULL;
  if (access(journal, F_OK) != 0)
    return 0;
  struct journal *j = journal_open(journal, 5000, e);
  if (!j)
    return -1;
  *out = journal_kv_get(j, KV_COMMIT);
  journal_close(j);
  return 0;
}

int ci_commit_set(const char *journal, const char *commit, struct err *e)
{
  struct journal *j = journal_open(journal, 5000, e);
  if (!j)
    return -1;
  int rc = journal_kv_set(j, KV_COMMIT, commit, e);
  journal_close(j);
  return rc;
}

/* ---- reminders that went out late ---- */

static const char *str(json_t *o, const char *k)
{
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static const struct event *site_event(const struct site *s, const char *id)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->events[i]->id, id) == 0)
      return s->events[i];
  return NULL;
}

/* "2h05m", "1d03h" */
static void late_text(long secs, struct buf *b)
{
  if (secs >= 86400)
    buf_addf(b, "%ldd%02ldh", secs / 86400, secs % 86400 / 3600);
  else
    buf_addf(b, "%ldh%02ldm", secs / 3600, secs % 3600 / 60);
}

/* When the reminder r (sent now) was planned: when it became due, or
 * min_gap after the channel's previous notice if that is later; 0 when
 * the event or channel is not known. */
static time_t planned_at(struct app *a, struct jview *v, json_t *r)
{
  const struct event *ev = site_event(&a->site, str(r, "event"));
  const struct channel *ch = config_channel(&a->cfg, str(r, "channel"));
  if (!ev || !ch)
    return 0;
  struct notice_time nt[PLAN_MAX_NOTICES];
  size_t n = plan_notices(&a->cfg, ev, ch, nt, ARRAY_SIZE(nt));
  time_t due = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(nt[i].name, str(r, "notice")) == 0)
      due = nt[i].from;
  if (!due || !v)
    return due;
  struct hist h;
  jview_hist(v, ev, ch, &h);
  time_t prev = 0; /* the channel's last notice before this run */
  for (size_t i = 0; i < h.n; i++)
    if (h.v[i].status == DS_SENT && h.v[i].at < a->now && h.v[i].at > prev)
      prev = h.v[i].at;
  if (prev && prev + a->cfg.min_gap > due)
    due = prev + a->cfg.min_gap;
  return due;
}

int ci_late_reminders(struct app *a, json_t *results)
{
  struct journal *j = NULL;
  struct jview v;
  bool have_view = false;
  struct diags d;
  diags_init(&d);
  struct buf table = BUF_INIT, when = BUF_INIT, late = BUF_INIT;
  int count = 0;
  size_t i;
  json_t *r;
  json_array_foreach(results, i, r)
  {
    if (strcmp(str(r, "result"), "sent") != 0 ||
        notice_kind_of(str(r, "notice")) != NOTICE_REMINDER)
      continue;
    if (!have_view) {
      struct err e;
      have_view = true;
      j = journal_open(a->cfg.journal, 5000, &e);
      if (j && jview_load(&v, j, &e) < 0) {
        journal_close(j);
        j = NULL;
      }
    }
    time_t planned = planned_at(a, j ? &v : NULL, r);
    if (!planned || a->now - planned <= LATE_AFTER)
      continue;
    count++;
    buf_reset(&when);
    buf_reset(&late);
    when_rfc3339(planned, &when);
    late_text((long)(a->now - planned), &late);
    diag_add(&d, DIAG_WARNING, NULL, 0,
             "%s of %s on %s (%s) went out %s late: it was due at %s "
             "(scheduled runs started late or were missed)",
             str(r, "notice"), str(r, "event"), str(r, "channel"),
             str(r, "lang"), late.data, when.data);
    buf_addf(&table, "| %s | %s | %s | %s | %s | %s |\n", str(r, "event"),
             str(r, "notice"), str(r, "channel"), str(r, "lang"), when.data,
             late.data);
  }
  if (j) {
    jview_release(&v);
    journal_close(j);
  }
  diags_print(&d);
  diags_release(&d);
  const char *path = getenv("GITHUB_STEP_SUMMARY");
  FILE *f = count && nonempty(path) ? fopen(path, "a") : NULL;
  if (f) {
    buf_reset(&when);
    when_rfc3339(a->now, &when);
    fprintf(f,
            "### :warning: Reminders that went out late\n\n"
            "Sent at %s, more than an hour after they were due. GitHub "
            "starts scheduled runs late (most at the full hour) and skips "
            "some under load; see Scheduling in CI in crier's README.\n\n"
            "| event | notice | channel | lang | due | late by |\n"
            "| --- | --- | --- | --- | --- | --- |\n%s\n",
            when.data, table.data);
    fclose(f);
  }
  buf_release(&table);
  buf_release(&when);
  buf_release(&late);
  return count;
}

/* ---- Markdown for a pull-request comment ---- */

/* The length of the longest run of c in s. */
static size_t longest_run(const char *s, char c)
{
  size_t best = 0, run = 0;
  for (; *s; s++) {
    run = *s == c ? run + 1 : 0;
    if (run > best)
      best = run;
  }
  return best;
}

static void backticks(FILE *f, size_t n)
{
  for (size_t i = 0; i < n; i++)
    fputc('`', f);
}

/* s as a Markdown code span (nothing in it is markup). */
static void code_span(FILE *f, const char *s)
{
  size_t n = longest_run(s, '`') + 1;
  bool pad = *s == '`' || (*s && s[strlen(s) - 1] == '`');
  backticks(f, n);
  fprintf(f, "%s%s%s", pad ? " " : "", s, pad ? " " : "");
  backticks(f, n);
}

/* s as HTML text on one line. */
static void html_text(FILE *f, const char *s)
{
  struct buf b = BUF_INIT;
  tpl_escape_html(&b, s, strlen(s));
  for (char *p = b.data; *p; p++)
    if (*p == '\n')
      *p = ' ';
  fputs(b.data, f);
  buf_release(&b);
}

static const char *chan_type(const struct app *a, const char *name)
{
  const struct channel *ch = config_channel(&a->cfg, name);
  return ch ? chan_type_name(ch->type) : "?";
}

/* One channel and language of a section. */
static void md_message(const struct app *a, json_t *r, bool open, FILE *f)
{
  json_t *m = json_object_get(r, "message");
  const char *body = str(m, "markdown");
  fprintf(f, "<details%s><summary><b>", open ? " open" : "");
  html_text(f, str(r, "channel"));
  fprintf(f, "</b> (%s, ", chan_type(a, str(r, "channel")));
  html_text(f, str(r, "lang"));
  fputs("): <code>", f);
  html_text(f, str(m, "subject"));
  fputs("</code></summary>\n\n", f);
  size_t n = longest_run(body, '`') + 1;
  n = n < 3 ? 3 : n;
  backticks(f, n);
  fprintf(f, "markdown\n%s%s", body,
          *body && body[strlen(body) - 1] == '\n' ? "" : "\n");
  backticks(f, n);
  fputs("\n\n</details>\n\n", f);
}

void ci_markdown(const struct app *a, json_t *results, FILE *f)
{
  size_t n = json_array_size(results);
  bool *done = xcalloc(n ? n : 1, sizeof(*done));
  size_t shown = 0;
  for (size_t i = 0; i < n; i++) {
    if (done[i])
      continue;
    json_t *first = json_array_get(results, i);
    const char *ev = str(first, "event"), *notice = str(first, "notice");
    fputs("#### ", f);
    code_span(f, ev);
    fprintf(f, ": %s\n\n", notice);
    bool open = true, skipped = false;
    for (size_t k = i; k < n; k++) {
      json_t *r = json_array_get(results, k);
      if (done[k] || strcmp(str(r, "event"), ev) != 0 ||
          strcmp(str(r, "notice"), notice) != 0)
        continue;
      done[k] = true;
      if (json_object_get(r, "message")) {
        md_message(a, r, open, f);
        open = false;
        shown++;
        continue;
      }
      if (!skipped)
        fputs("Not sent:\n\n", f);
      skipped = true;
      fputs("- ", f);
      code_span(f, str(r, "channel"));
      fprintf(f, " (%s, ", chan_type(a, str(r, "channel")));
      code_span(f, str(r, "lang"));
      fprintf(f, "): %s", str(r, "result"));
      if (*str(r, "error")) {
        fputs(": ", f);
        code_span(f, str(r, "error"));
      }
      fputc('\n', f);
    }
    if (skipped)
      fputc('\n', f);
  }
  if (!shown)
    fputs("Nothing would be sent.\n", f);
  free(done);
}
