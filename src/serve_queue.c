/* crier serve: the bounded queue between the HTTP thread and the worker,
 * the ids whose work is done, and what /healthz reports. Every function
 * takes the mutex for a moment and never does I/O under it (resuming a
 * connection only wakes libmicrohttpd's loop). */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "when.h"
#include "xalloc.h"

struct seen {
  struct seen *next;
  size_t hash;
  char key[]; /* "kind:id" */
};

const char *serve_kind_name(enum serve_kind k)
{
  return k == SERVE_PUSH ? "github" : "announce";
}

static double mono(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct serve_job *serve_job_new(enum serve_kind kind, const char *id)
{
  struct serve_job *j = xcalloc(1, sizeof(*j));
  j->kind = kind;
  j->id = xstrdup(id);
  j->refs = 1;
  return j;
}

static void job_free(struct serve_job *j)
{
  free(j->id);
  free(j->before);
  free(j->after);
  free(j->event);
  for (size_t i = 0; j->channels && j->channels[i]; i++)
    free(j->channels[i]);
  free(j->channels);
  json_decref(j->body);
  free(j);
}

void serve_queue_init(struct serve_queue *q, size_t max)
{
  memset(q, 0, sizeof(*q));
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->cv, &ca);
  pthread_condattr_destroy(&ca);
  q->max = max;
  q->nbuckets = 64;
  q->buckets = xcalloc(q->nbuckets, sizeof(*q->buckets));
}

void serve_queue_release(struct serve_queue *q)
{
  while (q->head) {
    struct serve_job *j = q->head;
    q->head = j->next;
    job_free(j);
  }
  for (size_t i = 0; i < q->nbuckets; i++)
    while (q->buckets[i]) {
      struct seen *s = q->buckets[i];
      q->buckets[i] = s->next;
      free(s);
    }
  free(q->buckets);
  pthread_cond_destroy(&q->cv);
  pthread_mutex_destroy(&q->mu);
}

static void unref_locked(struct serve_job *j)
{
  if (j && --j->refs == 0)
    job_free(j);
}

void serve_queue_unref(struct serve_queue *q, struct serve_job *j)
{
  pthread_mutex_lock(&q->mu);
  unref_locked(j);
  pthread_mutex_unlock(&q->mu);
}

/* FNV-1a over "kind:id" */
static size_t hash(const char *kind, const char *id)
{
  uint64_t h = 14695981039346656037u;
  for (const char *p = kind; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  h = (h ^ ':') * 1099511628211u;
  for (const char *p = id; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  return (size_t)h;
}

static bool key_is(const struct seen *s, const char *kind, const char *id)
{
  size_t kl = strlen(kind);
  return strncmp(s->key, kind, kl) == 0 && s->key[kl] == ':' &&
         strcmp(s->key + kl + 1, id) == 0;
}

static bool seen_locked(struct serve_queue *q, enum serve_kind kind,
                        const char *id)
{
  const char *k = serve_kind_name(kind);
  size_t h = hash(k, id);
  for (struct seen *s = q->buckets[h % q->nbuckets]; s; s = s->next)
    if (s->hash == h && key_is(s, k, id))
      return true;
  return false;
}

static void add_seen_locked(struct serve_queue *q, enum serve_kind kind,
                            const char *id)
{
  if (seen_locked(q, kind, id))
    return;
  if (q->nseen + 1 > q->nbuckets * 2) {
    size_t nb = q->nbuckets * 4;
    struct seen **b = xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < q->nbuckets; i++)
      while (q->buckets[i]) {
        struct seen *s = q->buckets[i];
        q->buckets[i] = s->next;
        s->next = b[s->hash % nb];
        b[s->hash % nb] = s;
      }
    free(q->buckets);
    q->buckets = b;
    q->nbuckets = nb;
  }
  const char *k = serve_kind_name(kind);
  size_t kl = strlen(k), il = strlen(id);
  struct seen *s = xmalloc(sizeof(*s) + kl + il + 2);
  memcpy(s->key, k, kl);
  s->key[kl] = ':';
  memcpy(s->key + kl + 1, id, il + 1);
  s->hash = hash(k, id);
  s->next = q->buckets[s->hash % q->nbuckets];
  q->buckets[s->hash % q->nbuckets] = s;
  q->nseen++;
}

bool serve_queue_is_done(struct serve_queue *q, enum serve_kind kind,
                         const char *id)
{
  pthread_mutex_lock(&q->mu);
  bool r = seen_locked(q, kind, id);
  pthread_mutex_unlock(&q->mu);
  return r;
}

void serve_queue_mark_done(struct serve_queue *q, enum serve_kind kind,
                           const char *id)
{
  pthread_mutex_lock(&q->mu);
  add_seen_locked(q, kind, id);
  pthread_mutex_unlock(&q->mu);
}

static bool pending_locked(struct serve_queue *q, const struct serve_job *j)
{
  if (q->running && q->running->kind == j->kind &&
      strcmp(q->running->id, j->id) == 0)
    return true;
  for (struct serve_job *p = q->head; p; p = p->next)
    if (p->kind == j->kind && strcmp(p->id, j->id) == 0)
      return true;
  return false;
}

static void append_locked(struct serve_queue *q, struct serve_job *j)
{
  struct serve_job **t = &q->head;
  while (*t)
    t = &(*t)->next;
  j->next = NULL;
  *t = j;
  q->n++;
  if (j->kind == SERVE_PUSH)
    q->spool_dirty = true;
  pthread_cond_broadcast(&q->cv);
}

enum serve_admit serve_queue_admit(struct serve_queue *q, struct serve_job *j,
                                   void *conn, void (*suspend)(void *conn))
{
  enum serve_admit r;
  pthread_mutex_lock(&q->mu);
  if (seen_locked(q, j->kind, j->id))
    r = SERVE_SEEN;
  else if (pending_locked(q, j))
    r = SERVE_PENDING;
  else if (q->stopping)
    r = SERVE_STOPPING;
  else if (q->n >= q->max)
    r = SERVE_FULL;
  else {
    if (conn) {
      suspend(conn);
      j->conn = conn;
      j->refs++;
    }
    append_locked(q, j);
    q->accepted++;
    r = SERVE_QUEUED;
  }
  pthread_mutex_unlock(&q->mu);
  return r;
}

void serve_queue_restore(struct serve_queue *q, struct serve_job *j)
{
  pthread_mutex_lock(&q->mu);
  if (pending_locked(q, j) || seen_locked(q, j->kind, j->id))
    unref_locked(j);
  else
    append_locked(q, j);
  pthread_mutex_unlock(&q->mu);
}

struct serve_job *serve_queue_next(struct serve_queue *q, double wait_s)
{
  struct serve_job *found = NULL;
  double until = mono() + wait_s;
  pthread_mutex_lock(&q->mu);
  while (!q->stopping) {
    double now = mono(), soonest = until;
    struct serve_job **pp;
    for (pp = &q->head; *pp; pp = &(*pp)->next) {
      if ((*pp)->not_before <= now)
        break;
      if ((*pp)->not_before < soonest)
        soonest = (*pp)->not_before;
    }
    if (*pp) {
      found = *pp;
      *pp = found->next;
      found->next = NULL;
      q->n--;
      q->running = found;
      found->attempts++;
      break;
    }
    if (now >= until)
      break;
    struct timespec ts;
    ts.tv_sec = (time_t)soonest;
    ts.tv_nsec = (long)((soonest - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&q->cv, &q->mu, &ts);
  }
  pthread_mutex_unlock(&q->mu);
  return found;
}

/* Keeps the answer for j's connection; now: gives it at once (else
 * serve_queue_finish does, after the job's id is recorded). */
static void answer_locked(struct serve_queue *q, struct serve_job *j,
                          unsigned status, json_t *body, int retry_after,
                          bool now)
{
  if (j->answered || !j->conn) {
    json_decref(body);
    return;
  }
  json_decref(j->body);
  j->status = status;
  j->body = body;
  j->retry_after = retry_after;
  if (now) {
    j->answered = true;
    q->resume(j->conn);
  }
}

void serve_queue_answer(struct serve_queue *q, struct serve_job *j,
                        unsigned status, json_t *body, int retry_after)
{
  pthread_mutex_lock(&q->mu);
  answer_locked(q, j, status, body, retry_after, false);
  pthread_mutex_unlock(&q->mu);
}

bool serve_queue_answer_of(struct serve_queue *q, struct serve_job *j,
                           unsigned *status, char **body, int *retry_after)
{
  pthread_mutex_lock(&q->mu);
  bool r = j->answered;
  if (r) {
    *status = j->status;
    *body = json_dumps(j->body, JSON_COMPACT);
    *retry_after = j->retry_after;
  }
  pthread_mutex_unlock(&q->mu);
  return r;
}

void serve_queue_finish(struct serve_queue *q, struct serve_job *j,
                        enum serve_outcome o, int exit, const char *error,
                        double delay)
{
  pthread_mutex_lock(&q->mu);
  if (q->running == j)
    q->running = NULL;
  q->have_last = true;
  q->last.kind = j->kind;
  q->last.outcome = o;
  snprintf(q->last.id, sizeof(q->last.id), "%s", j->id);
  q->last.exit = exit;
  snprintf(q->last.error, sizeof(q->last.error), "%s", error ? error : "");
  q->last.at = time(NULL);
  if (j->kind == SERVE_PUSH)
    q->spool_dirty = true;
  switch (o) {
  case SERVE_DONE:
    q->done++;
    add_seen_locked(q, j->kind, j->id);
    break;
  case SERVE_RETRY:
    q->retried++;
    break;
  case SERVE_FAILED:
  case SERVE_NOT_DONE:
    q->failed++;
    break;
  case SERVE_REPLAYED:
    add_seen_locked(q, j->kind, j->id);
    break;
  }
  if (j->conn && j->body && !j->answered) {
    j->answered = true;
    q->resume(j->conn);
  }
  if ((o == SERVE_RETRY || o == SERVE_NOT_DONE) && j->kind == SERVE_PUSH) {
    /* back in front: pushes keep their order */
    j->not_before = mono() + delay;
    j->next = q->head;
    q->head = j;
    q->n++;
    pthread_cond_broadcast(&q->cv);
  } else {
    unref_locked(j);
  }
  pthread_mutex_unlock(&q->mu);
}

void serve_queue_journal(struct serve_queue *q, int code, const char *msg)
{
  pthread_mutex_lock(&q->mu);
  q->journal = code == 0             ? JOURNAL_OK
               : code == EX_TEMPFAIL ? JOURNAL_BUSY
                                     : JOURNAL_BROKEN;
  snprintf(q->journal_error, sizeof(q->journal_error), "%s", code ? msg : "");
  pthread_mutex_unlock(&q->mu);
}

static json_t *gone_body(void)
{
  return json_pack("{s:s}", "error",
                   "the service is stopping; not done, try again later");
}

void serve_queue_stop(struct serve_queue *q)
{
  pthread_mutex_lock(&q->mu);
  q->stopping = true;
  for (struct serve_job **pp = &q->head; *pp;) {
    struct serve_job *j = *pp;
    if (j->kind == SERVE_PUSH) {
      pp = &j->next;
      continue;
    }
    *pp = j->next;
    q->n--;
    answer_locked(q, j, 503, gone_body(), 30, true);
    unref_locked(j);
  }
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
}

bool serve_queue_abandon(struct serve_queue *q, char *id, size_t n)
{
  pthread_mutex_lock(&q->mu);
  struct serve_job *j = q->running;
  if (j) {
    snprintf(id, n, "%s %s", serve_kind_name(j->kind), j->id);
    answer_locked(q, j, 503, gone_body(), 30, true);
  }
  pthread_mutex_unlock(&q->mu);
  return j != NULL;
}

bool serve_queue_stopping(struct serve_queue *q)
{
  pthread_mutex_lock(&q->mu);
  bool r = q->stopping;
  pthread_mutex_unlock(&q->mu);
  return r;
}

void serve_queue_set_worker_gone(struct serve_queue *q)
{
  pthread_mutex_lock(&q->mu);
  q->worker_gone = true;
  pthread_mutex_unlock(&q->mu);
}

bool serve_queue_worker_gone(struct serve_queue *q)
{
  pthread_mutex_lock(&q->mu);
  bool r = q->worker_gone;
  pthread_mutex_unlock(&q->mu);
  return r;
}

static const char *outcome_name(enum serve_outcome o)
{
  static const char *const names[] = {"done", "retry", "failed", "replayed",
                                      "not done"};
  return names[o];
}

json_t *serve_queue_status(struct serve_queue *q)
{
  static const char *const journal_names[] = {"unknown", "ok", "busy",
                                              "broken"};
  pthread_mutex_lock(&q->mu);
  json_t *running = json_null();
  if (q->running)
    running =
        json_pack("{s:s, s:s, s:i}", "kind", serve_kind_name(q->running->kind),
                  "id", q->running->id, "attempt", q->running->attempts);
  json_t *last = json_null();
  if (q->have_last) {
    struct buf at = BUF_INIT;
    when_rfc3339_utc(q->last.at, &at);
    last = json_pack("{s:s, s:s, s:s, s:i, s:s}", "kind",
                     serve_kind_name(q->last.kind), "id", q->last.id, "result",
                     outcome_name(q->last.outcome), "exit", q->last.exit,
                     "finished", at.data);
    if (q->last.error[0])
      json_object_set_new(last, "error", json_string(q->last.error));
    buf_release(&at);
  }
  json_t *doc = json_pack(
      "{s:s, s:{s:I, s:I, s:o}, s:I, s:I, s:I, s:I, s:s, s:o}", "status",
      q->stopping ? "stopping" : "ok", "queue", "waiting", (json_int_t)q->n,
      "max", (json_int_t)q->max, "running", running, "accepted",
      (json_int_t)q->accepted, "done", (json_int_t)q->done, "failed",
      (json_int_t)q->failed, "retried", (json_int_t)q->retried, "journal",
      journal_names[q->journal], "last_job", last);
  if (q->journal_error[0])
    json_object_set_new(doc, "journal_error", json_string(q->journal_error));
  pthread_mutex_unlock(&q->mu);
  return doc;
}

static void add_push(json_t *a, const struct serve_job *j)
{
  if (j->kind == SERVE_PUSH)
    json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i}", "id", j->id,
                                       "before", j->before, "after", j->after,
                                       "attempts", j->attempts));
}

json_t *serve_queue_pushes(struct serve_queue *q, bool always)
{
  pthread_mutex_lock(&q->mu);
  if (!always && !q->spool_dirty) {
    pthread_mutex_unlock(&q->mu);
    return NULL;
  }
  json_t *a = json_array();
  if (q->running)
    add_push(a, q->running);
  for (struct serve_job *j = q->head; j; j = j->next)
    add_push(a, j);
  q->spool_dirty = false;
  pthread_mutex_unlock(&q->mu);
  return a;
}
