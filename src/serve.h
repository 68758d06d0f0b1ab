#ifndef CRIER_SERVE_H
#define CRIER_SERVE_H
/*
 * The parts of crier serve (the design is described at the top of
 * cmd_serve.c): the queue between the HTTP thread and the worker
 * (serve_queue.c), the HTTP side (serve_http.c) and the worker
 * (serve_work.c).
 *
 * Ownership: a job belongs to whoever holds a reference — the queue (and
 * then the worker) and, for an announce request, the connection that waits
 * for its answer. References are counted under the queue's mutex; the last
 * serve_queue_unref frees the job.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"
#include "cli.h"

enum serve_kind { SERVE_PUSH, SERVE_ANNOUNCE };

/* "github" / "announce": the journal's name for the kind of id. */
const char *serve_kind_name(enum serve_kind k);

struct serve_job {
  enum serve_kind kind;
  char *id; /* X-GitHub-Delivery or webhook-id */
  /* push */
  char *before, *after;
  /* announce */
  char *event;
  char **channels; /* NULL-terminated; NULL: every channel */
  bool dry;
  /* retries (pushes; the worker's own) */
  int attempts;
  double not_before; /* monotonic seconds */
  /* the answer to the request that waits (announce), under the mutex */
  void *conn; /* the suspended connection, NULL when nobody waits */
  bool answered;
  unsigned status;
  json_t *body;
  int retry_after; /* seconds; 0: no Retry-After */
  /* owned by the queue */
  int refs;
  struct serve_job *next;
};

/* A new job of kind for id, with one reference (the caller's). */
struct serve_job *serve_job_new(enum serve_kind kind, const char *id);

/* What the last finished job did, for /healthz. */
enum serve_outcome {
  SERVE_DONE,     /* finished; its id is remembered as done */
  SERVE_RETRY,    /* temporary failure: a push goes back into the queue */
  SERVE_FAILED,   /* not done; the same id is accepted again */
  SERVE_REPLAYED, /* its id turned out to be done already */
  SERVE_NOT_DONE  /* stopped by a shutdown */
};

struct serve_queue {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* work arrived, or stop */
  struct serve_job *head;
  size_t n, max; /* jobs waiting (the running one not counted) */
  struct serve_job *running;
  bool stopping, worker_gone, spool_dirty;
  /* ids whose work finished: "kind:id" in a chained hash table */
  struct seen **buckets;
  size_t nbuckets, nseen;
  /* resumes a suspended connection (set by the HTTP side) */
  void (*resume)(void *conn);
  /* for /healthz */
  unsigned long accepted, done, failed, retried;
  bool have_last;
  struct {
    enum serve_kind kind;
    enum serve_outcome outcome;
    char id[129];
    int exit;
    char error[300];
    time_t at;
  } last;
  enum { JOURNAL_UNKNOWN, JOURNAL_OK, JOURNAL_BUSY, JOURNAL_BROKEN } journal;
  char journal_error[300];
};

void serve_queue_init(struct serve_queue *q, size_t max);
/* Frees every job still queued and the done ids. No thread may use q. */
void serve_queue_release(struct serve_queue *q);

/* Drops one reference to j (NULL is fine). */
void serve_queue_unref(struct serve_queue *q, struct serve_job *j);

/* Whether kind:id is remembered as done. */
bool serve_queue_is_done(struct serve_queue *q, enum serve_kind kind,
                         const char *id);
/* Remembers kind:id as done (loaded from the journal). */
void serve_queue_mark_done(struct serve_queue *q, enum serve_kind kind,
                           const char *id);

enum serve_admit {
  SERVE_QUEUED,  /* the queue took it (and a reference) */
  SERVE_SEEN,    /* its id is done: a replay */
  SERVE_PENDING, /* a job with its id waits or runs */
  SERVE_FULL,    /* too many jobs wait */
  SERVE_STOPPING /* shutting down */
};

/* Offers j to the queue. When it is taken and conn is not NULL,
 * suspend(conn) is called first, under the mutex, so that the worker
 * cannot answer a connection that is not suspended yet; the connection
 * then holds a reference too. */
enum serve_admit serve_queue_admit(struct serve_queue *q, struct serve_job *j,
                                   void *conn, void (*suspend)(void *conn));
/* Puts j (a push recovered from the spool) into the queue, whatever its
 * length. Takes the caller's reference. */
void serve_queue_restore(struct serve_queue *q, struct serve_job *j);

/* The worker's next job whose time has come (it becomes the running one),
 * waiting at most wait_s seconds. NULL on time-out or when stopping. */
struct serve_job *serve_queue_next(struct serve_queue *q, double wait_s);

/* The answer for the connection waiting for j (if any): status, body
 * (stolen) and Retry-After seconds (0: none). It goes out with
 * serve_queue_finish, once j's id is recorded, so that the same id sent
 * again right after the answer finds it done. */
void serve_queue_answer(struct serve_queue *q, struct serve_job *j,
                        unsigned status, json_t *body, int retry_after);

/* The answer the worker (or a shutdown) gave j: false while there is none;
 * else its status, its body as JSON text (caller frees) and its
 * Retry-After. */
bool serve_queue_answer_of(struct serve_queue *q, struct serve_job *j,
                           unsigned *status, char **body, int *retry_after);

/* The worker is done with the running job j: its answer goes out.
 * SERVE_RETRY and SERVE_NOT_DONE put a push back in front of the queue,
 * due in delay seconds; SERVE_DONE remembers its id. exit and error (may
 * be NULL) are what /healthz shows. */
void serve_queue_finish(struct serve_queue *q, struct serve_job *j,
                        enum serve_outcome o, int exit, const char *error,
                        double delay);

/* Records what the last use of the journal showed (for /healthz). */
void serve_queue_journal(struct serve_queue *q, int code, const char *msg);

/* Shutdown: no new jobs; every request still waiting in the queue is
 * answered 503. Pushes stay queued (for the spool). */
void serve_queue_stop(struct serve_queue *q);
/* Shutdown, when the running job did not finish in time: its waiting
 * request (if any) is answered 503 and true returned when one ran; its id
 * is copied to id. */
bool serve_queue_abandon(struct serve_queue *q, char *id, size_t n);
bool serve_queue_stopping(struct serve_queue *q);
void serve_queue_set_worker_gone(struct serve_queue *q);
bool serve_queue_worker_gone(struct serve_queue *q);

/* {"status", "queue": {"waiting", "max", "running"}, "accepted", "done",
 * "failed", "retried", "journal", "last_job"} */
json_t *serve_queue_status(struct serve_queue *q);
/* The pushes not done yet (waiting or running):
 * [{"id", "before", "after", "attempts"}] — when they changed since the
 * last call, or always; else NULL. */
json_t *serve_queue_pushes(struct serve_queue *q, bool always);

/* Everything the threads share. The HTTP thread reads a->cfg and the two
 * secrets, which do not change once the threads run; everything else of
 * a (the site, diagnostics, "now") and the journal belong to the worker. */
struct serve {
  struct app *a;
  struct buf github_secret, announce_key;
  char *events_rel; /* the events directory inside the site repository */
  char *top;        /* the site repository */
  char *spool;      /* pushes not done at the last stop */
  int git_timeout_ms;
  double retry_base; /* seconds before a push is tried again (doubling) */
  int max_attempts;
  atomic_int stop; /* set on SIGTERM: git is stopped, no new job */
  pthread_mutex_t spool_mu;
  struct serve_queue q;
  /* the calendar feed (/events.ics): made by the worker (it needs the
   * site and the journal), served by the HTTP thread, under feed_mu */
  pthread_mutex_t feed_mu;
  char *feed; /* NULL until the worker made the first */
  size_t feed_len;
  char feed_etag[40];   /* "\"" 32 hex digits of its SHA-256 "\"" */
  time_t feed_modified; /* when these bytes were first served */
};

/* serve_http.c: the libmicrohttpd callbacks (cls is the struct serve). */
enum MHD_Result serve_http_request(void *cls, struct MHD_Connection *c,
                                   const char *url, const char *method,
                                   const char *version, const char *data,
                                   size_t *size, void **ptr);
void serve_http_done(void *cls, struct MHD_Connection *c, void **ptr,
                     enum MHD_RequestTerminationCode code);
void serve_http_resume(void *conn);

/* serve_http.c: /events.ics from the feed the worker made (GET, HEAD;
 * ETag, Last-Modified, 304 for If-None-Match and If-Modified-Since; 503
 * until there is one). */
enum MHD_Result serve_http_feed(struct serve *s, struct MHD_Connection *c,
                                const char *method);

/* serve_work.c: the worker thread (arg is the struct serve). */
void *serve_work_main(void *arg);
/* Writes the pushes not done to s->spool (removes it when there are none)
 * when they changed since the last write, or always. Safe from any
 * thread. */
void serve_work_spool(struct serve *s, bool always);
/* Queues the pushes the spool holds; returns how many. */
size_t serve_work_unspool(struct serve *s);

/* A line on stderr: "crier serve: …". serve_log does not redact: the HTTP
 * thread uses it, and its lines hold no secrets (ids, paths, statuses).
 * serve_log_redacted removes secrets (secret.c's list, which only the
 * worker may touch once the threads run). */
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* libmicrohttpd's own error messages (MHD_OPTION_EXTERNAL_LOGGER): on
 * crier's stderr, redacted and through its terminal filter, like every
 * other line; the library's default writes to the C library's stderr,
 * which the deep binding of lazy.c leaves unfiltered. */
void serve_http_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void serve_log_redacted(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
