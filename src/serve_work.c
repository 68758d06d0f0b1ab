/* crier serve: the worker thread. It takes one job at a time from the
 * queue and owns everything that can be slow or that is not thread-safe:
 * the journal, git, the site (loaded again for every job, so that an
 * announce sees the files as they are now), the deliveries (libcurl) and
 * secret.c's list of secrets. A delivery id is remembered as done — in
 * memory and in the journal ("seen:github:ID", "seen:announce:ID") — only
 * when its work finished. */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "calendar.h"
#include "http.h"
#include "journal.h"
#include "proc.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

#define JOURNAL_WAIT_MS 1000 /* the worker's own look at the journal */
/* Retry-After (seconds) in answers to announce requests */
#define RETRY_JOURNAL 10  /* another crier holds the journal */
#define RETRY_DELIVERY 60 /* every failed delivery failed temporarily */
#define RETRY_DELAY_MAX 300.0
/* The calendar feed is made again at least this often (its window moves
 * with the clock), and when the worker is idle after a push */
#define FEED_EVERY_S 300.0
#define FEED_RETRY_S 10.0 /* after the journal was busy */

struct worker {
  struct serve *s;
  double feed_due; /* monotonic seconds; 0: now */
  bool feed_stale; /* a push may have changed the events */
  bool loaded;     /* the done ids of earlier runs are in the queue's set */
  char **unsaved;  /* journal keys of done ids not yet written */
  size_t nunsaved, capunsaved;
};

static void load_one(void *ud, const char *k, const char *v)
{
  (void)v;
  struct serve *s = ud;
  const char *id = k + strlen("seen:");
  if (strncmp(id, "github:", 7) == 0)
    serve_queue_mark_done(&s->q, SERVE_PUSH, id + 7);
  else if (strncmp(id, "announce:", 9) == 0)
    serve_queue_mark_done(&s->q, SERVE_ANNOUNCE, id + 9);
}

static void seen_key(const struct serve_job *j, struct buf *k)
{
  buf_addf(k, "seen:%s:%s", serve_kind_name(j->kind), j->id);
}

/* Opens the journal for a moment: loads the done ids of earlier runs (the
 * first time), writes the ones not written yet, and tells whether j (may
 * be NULL) was done before. */
static int journal_visit(struct worker *w, const struct serve_job *j,
                         bool *seen, struct err *e)
{
  struct serve *s = w->s;
  struct journal *jr = journal_open(s->a->cfg.journal, JOURNAL_WAIT_MS, e);
  serve_queue_journal(&s->q, jr ? 0 : e->code, jr ? NULL : e->msg);
  if (!jr)
    return -1;
  int rc = 0;
  if (!w->loaded) {
    if (journal_kv_each(jr, "seen:", load_one, s, e) < 0)
      rc = -1;
    else
      w->loaded = true;
  }
  size_t kept = 0;
  for (size_t i = 0; i < w->nunsaved; i++) {
    if (journal_kv_set(jr, w->unsaved[i], "done", e) < 0) {
      w->unsaved[kept++] = w->unsaved[i];
      rc = -1;
    } else {
      free(w->unsaved[i]);
    }
  }
  w->nunsaved = kept;
  if (j) {
    struct buf k = BUF_INIT;
    seen_key(j, &k);
    char *v = journal_kv_get(jr, k.data);
    *seen = v != NULL;
    free(v);
    buf_release(&k);
  }
  journal_close(jr);
  if (rc < 0)
    serve_log_redacted("journal: %s", e->msg);
  return j ? 0 : rc;
}

/* Remembers j's id as done in the journal, now or at the next chance. */
static void save_done(struct worker *w, const struct serve_job *j)
{
  struct buf k = BUF_INIT;
  seen_key(j, &k);
  w->unsaved =
      xgrow(w->unsaved, &w->capunsaved, w->nunsaved + 1, sizeof(*w->unsaved));
  w->unsaved[w->nunsaved++] = buf_detach(&k);
  struct err e;
  if (journal_visit(w, NULL, NULL, &e) < 0 && w->nunsaved)
    serve_log_redacted("%zu done id(s) not yet in the journal (%s); tried "
                       "again later",
                       w->nunsaved, e.msg);
}

/* The events as they are now: every job loads them again. */
static int reload_site(struct app *a)
{
  site_release(&a->site);
  diags_release(&a->diags);
  diags_init(&a->diags);
  struct site_opts so = {.now = a->now_pinned ? a->now : time(NULL)};
  int r = site_load(&a->site, &a->cfg, &so, &a->diags);
  diags_print(&a->diags);
  a->have_site = true;
  if (!a->now_pinned)
    a->now = time(NULL);
  return r;
}

/* Makes the calendar feed from the site (loaded again first when reload)
 * and the journal, and hands it to the HTTP thread. Its ETag is the hash
 * of its bytes; its Last-Modified is when the journal first saw those
 * bytes ("feed:etag", "feed:modified"), so that a restart changes
 * neither. */
static void make_feed(struct worker *w, bool reload)
{
  struct serve *s = w->s;
  struct app *a = s->a;
  struct err e;
  struct buf out = BUF_INIT, at = BUF_INIT;
  struct journal *j = NULL;
  w->feed_stale = false;
  w->feed_due = http_now() + FEED_EVERY_S;
  if (reload && reload_site(a) < 0) {
    serve_log("calendar: the site does not load; the feed stays as it was");
    goto out;
  }
  time_t now = a->now_pinned ? a->now : time(NULL);
  j = journal_open(a->cfg.journal, JOURNAL_WAIT_MS, &e);
  if (!j) {
    serve_log_redacted("calendar: %s; made again in %.0f s", e.msg,
                       FEED_RETRY_S);
    w->feed_due = http_now() + FEED_RETRY_S;
    goto out;
  }
  journal_set_clock(j, now);
  if (calendar_feed(&a->cfg, &a->site, j, now, false, &out, &e) < 0) {
    serve_log_redacted("calendar: %s; made again in %.0f s", e.msg,
                       FEED_RETRY_S);
    w->feed_due = http_now() + FEED_RETRY_S;
    goto out;
  }
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)out.data, out.len);
  char hex[33], tag[40];
  sodium_bin2hex(hex, sizeof(hex), h, 16);
  snprintf(tag, sizeof(tag), "\"%s\"", hex);
  time_t modified = now;
  char *old = journal_kv_get(j, "feed:etag");
  char *old_at = journal_kv_get(j, "feed:modified");
  if (old && old_at && strcmp(old, tag) == 0) {
    when_parse_now(old_at, &modified, &e);
  } else {
    when_rfc3339_utc(now, &at);
    if (journal_kv_set(j, "feed:etag", tag, &e) < 0 ||
        journal_kv_set(j, "feed:modified", at.data, &e) < 0)
      serve_log_redacted("calendar: %s", e.msg);
  }
  free(old);
  free(old_at);
  pthread_mutex_lock(&s->feed_mu);
  bool changed = !s->feed || strcmp(s->feed_etag, tag) != 0;
  free(s->feed);
  s->feed_len = out.len;
  s->feed = buf_detach(&out);
  snprintf(s->feed_etag, sizeof(s->feed_etag), "%s", tag);
  s->feed_modified = modified;
  pthread_mutex_unlock(&s->feed_mu);
  if (changed)
    serve_log("calendar: /events.ics %s (%zu bytes)", tag, s->feed_len);
out:
  journal_close(j);
  buf_release(&out);
  buf_release(&at);
}

static enum serve_outcome run_push(struct worker *w, struct serve_job *j,
                                   int *rc, struct buf *why)
{
  struct serve *s = w->s;
  struct err e;
  bool seen = false;
  if (journal_visit(w, j, &seen, &e) < 0) {
    *rc = e.code;
    buf_adds(why, e.msg);
    return SERVE_RETRY;
  }
  if (seen)
    return SERVE_REPLAYED;
  struct buf out = BUF_INIT;
  const char *pull[] = {"git", "-C", s->top, "pull", "--ff-only", "-q", NULL};
  const struct proc_limits lim = {.timeout_ms = s->git_timeout_ms,
                                  .cancel = &s->stop};
  int r = proc_capture_limited(pull, 1 << 20, &lim, &out, &e);
  buf_release(&out);
  if (r < 0) {
    *rc = e.code;
    buf_adds(why, e.msg);
    return SERVE_RETRY;
  }
  if (reload_site(s->a) < 0) {
    *rc = EX_NOINPUT;
    buf_adds(why, "the site does not load");
    return SERVE_RETRY;
  }
  /* the result lines went to stderr; nothing goes to stdout (--json) */
  json_t *results = json_array();
  *rc = changed_range(s->a, j->before, j->after, false, results);
  json_decref(results);
  if (*rc == 0)
    return SERVE_DONE;
  buf_addf(why, "crier changed exited %d", *rc);
  return *rc == EX_TEMPFAIL ? SERVE_RETRY : SERVE_FAILED;
}

static const struct event *find_exactly(const struct site *site, const char *id)
{
  for (size_t i = 0; i < site->n; i++)
    if (strcmp(site->events[i]->id, id) == 0)
      return site->events[i];
  return NULL;
}

static enum serve_outcome run_announce(struct worker *w, struct serve_job *j,
                                       int *rc, struct buf *why)
{
  struct serve *s = w->s;
  struct serve_queue *q = &s->q;
  struct err e;
  bool seen = false;
  if (journal_visit(w, j, &seen, &e) < 0) {
    *rc = e.code;
    buf_adds(why, e.msg);
    serve_queue_answer(q, j, 503,
                       json_pack("{s:s}", "error",
                                 e.code == EX_TEMPFAIL
                                     ? "another crier is using the journal; "
                                       "try again later"
                                     : "the journal cannot be used"),
                       RETRY_JOURNAL);
    return SERVE_FAILED;
  }
  if (seen) {
    serve_queue_answer(q, j, 409, json_pack("{s:s}", "error", "replayed"), 0);
    return SERVE_REPLAYED;
  }
  if (reload_site(s->a) < 0) {
    *rc = EX_NOINPUT;
    buf_adds(why, "the site does not load");
    serve_queue_answer(
        q, j, 500, json_pack("{s:s}", "error", "the site does not load"), 0);
    return SERVE_FAILED;
  }
  const struct event *ev = find_exactly(&s->a->site, j->event);
  if (!ev) {
    *rc = EX_NOINPUT;
    if (site_is_broken(&s->a->site, j->event))
      buf_addf(why, "the file of '%s' does not load (see the log)", j->event);
    else
      buf_addf(why, "no event '%s'", j->event);
    serve_queue_answer(q, j, 422, json_pack("{s:s}", "error", why->data), 0);
    return SERVE_FAILED;
  }
  json_t *results = json_array();
  *rc = announce_event(s->a, ev, (const char *const *)j->channels, j->dry,
                       false, s->a->verbose, results);
  unsigned status = *rc == 0             ? 200
                    : *rc == EX_TEMPFAIL ? 503
                    : *rc == 1           ? 502
                                         : 500;
  json_t *body = json_pack("{s:i, s:o}", "status", *rc, "results", results);
  if (*rc == EX_TEMPFAIL)
    json_object_set_new(body, "error",
                        json_string("every failure was temporary (or the "
                                    "journal was busy); try again later"));
  else if (*rc == 1)
    json_object_set_new(body, "error",
                        json_string("a delivery failed; the same request "
                                    "tries again what is not sent"));
  else if (*rc)
    json_object_set_new(body, "error",
                        json_string("a channel's configuration is broken "
                                    "(see the log)"));
  serve_queue_answer(q, j, status, body,
                     *rc == EX_TEMPFAIL ? RETRY_DELIVERY : 0);
  if (*rc)
    buf_addf(why, "announce exited %d", *rc);
  return *rc == 0 ? SERVE_DONE : SERVE_FAILED;
}

static void run_job(struct worker *w, struct serve_job *j)
{
  struct serve *s = w->s;
  int rc = 0;
  struct buf why = BUF_INIT, line = BUF_INIT;
  bool push = j->kind == SERVE_PUSH;
  enum serve_outcome o =
      push ? run_push(w, j, &rc, &why) : run_announce(w, j, &rc, &why);
  double delay = 0;
  buf_addf(&line, "%s %s: ", push ? "push" : "announce", j->id);
  if (o == SERVE_RETRY && atomic_load(&s->stop)) {
    /* it stays queued, for the spool */
    buf_addf(&line, "not done (stopping): %s", why.data);
    o = SERVE_NOT_DONE;
  } else if (o == SERVE_RETRY && j->attempts >= s->max_attempts) {
    buf_addf(&line,
             "gave up after %d attempts: %s; not done (a "
             "redelivery is accepted)",
             j->attempts, why.data);
    o = SERVE_FAILED;
  } else if (o == SERVE_RETRY) {
    delay = s->retry_base;
    for (int i = 1; i < j->attempts && delay < RETRY_DELAY_MAX; i++)
      delay *= 2;
    if (delay > RETRY_DELAY_MAX)
      delay = RETRY_DELAY_MAX;
    buf_addf(&line, "%s; tried again in %.1f s (attempt %d of %d)", why.data,
             delay, j->attempts, s->max_attempts);
  } else if (o == SERVE_REPLAYED) {
    buf_adds(&line, "done before; nothing to do");
  } else {
    buf_addf(&line, "%s, exit %d%s%s", o == SERVE_DONE ? "done" : "not done",
             rc, why.len ? ": " : "", why.data);
  }
  if (o == SERVE_DONE)
    save_done(w, j);
  if (push)
    w->feed_stale = true;
  /* j may be gone after this */
  serve_queue_finish(&s->q, j, o, rc, why.data, delay);
  serve_log_redacted("%s", line.data);
  buf_release(&why);
  buf_release(&line);
}

void *serve_work_main(void *arg)
{
  struct worker w = {.s = arg};
  struct serve *s = w.s;
  struct err e;
  if (journal_visit(&w, NULL, NULL, &e) < 0)
    serve_log_redacted("journal: %s; done ids are loaded later", e.msg);
  for (;;) {
    serve_work_spool(s, false);
    double wait = w.nunsaved || !w.loaded ? 5.0 : 3600.0;
    double feed_in = w.feed_stale ? 0 : w.feed_due - http_now();
    if (feed_in < wait)
      wait = feed_in > 0 ? feed_in : 0;
    struct serve_job *j = serve_queue_next(&s->q, wait);
    if (!j) {
      if (serve_queue_stopping(&s->q))
        break;
      if (w.nunsaved || !w.loaded)
        journal_visit(&w, NULL, NULL, &e);
      /* when idle: after a push with the site it loaded, else as due
       * (the first time with the site serve started with) */
      if (w.feed_stale || http_now() >= w.feed_due)
        make_feed(&w, !w.feed_stale && w.feed_due > 0);
      continue;
    }
    serve_work_spool(s, false);
    run_job(&w, j);
  }
  serve_work_spool(s, true);
  for (size_t i = 0; i < w.nunsaved; i++)
    free(w.unsaved[i]);
  free(w.unsaved);
  serve_queue_set_worker_gone(&s->q);
  return NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

void serve_work_spool(struct serve *s, bool always)
{
  pthread_mutex_lock(&s->spool_mu);
  json_t *a = serve_queue_pushes(&s->q, always);
  if (!a) {
    pthread_mutex_unlock(&s->spool_mu);
    return;
  }
  if (!json_array_size(a)) {
    if (unlink(s->spool) < 0 && errno != ENOENT)
      serve_log("cannot remove %s: %s", s->spool, strerror(errno));
  } else {
    char *text = json_dumps(a, JSON_INDENT(1));
    struct buf tmp = BUF_INIT;
    buf_addf(&tmp, "%s.tmp", s->spool);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0 ||
        close(fd) < 0 || rename(tmp.data, s->spool) < 0) {
      serve_log("cannot write %s: %s; pushes not done yet are lost if the "
                "service stops",
                s->spool, strerror(errno));
      if (fd >= 0)
        close(fd);
    }
    free(text);
    buf_release(&tmp);
  }
  json_decref(a);
  pthread_mutex_unlock(&s->spool_mu);
}

size_t serve_work_unspool(struct serve *s)
{
  struct buf text = BUF_INIT;
  struct err e;
  size_t n = 0;
  if (access(s->spool, F_OK) != 0)
    return 0;
  if (file_read(s->spool, FILE_MAX, &text, &e) < 0) {
    serve_log("%s", e.msg);
    buf_release(&text);
    return 0;
  }
  json_error_t je;
  json_t *a = json_loadb(text.data, text.len, 0, &je);
  buf_release(&text);
  if (!json_is_array(a)) {
    serve_log("%s:%d: not a list of pushes; ignored%s%s", s->spool, je.line,
              a ? "" : ": ", a ? "" : je.text);
    json_decref(a);
    return 0;
  }
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v)
  {
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *before = json_string_value(json_object_get(v, "before"));
    const char *after = json_string_value(json_object_get(v, "after"));
    if (!id || !before || !after)
      continue;
    struct serve_job *j = serve_job_new(SERVE_PUSH, id);
    j->before = xstrdup(before);
    j->after = xstrdup(after);
    j->attempts = (int)json_integer_value(json_object_get(v, "attempts"));
    serve_queue_restore(&s->q, j);
    n++;
  }
  json_decref(a);
  return n;
}
