#ifndef CRIER_HTTP_H
#define CRIER_HTTP_H
/*
 * The delivery engine: every task's requests run concurrently on one curl
 * multi handle. A task is a step function: given the previous response
 * (NULL at the start) it fills the next request, or says it is done or
 * failed, or asks to be retried. Retries (connection errors, 429, 5xx)
 * wait with exponential back-off and jitter, honouring Retry-After
 * (seconds or HTTP date), a body's retry_after_ms and x-ratelimit-reset,
 * and restart the task from its first step, so that every channel re-checks
 * what the server already has. Requests that share a serial key (writes to
 * one GitHub repository) go one after another with a gap.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"

#define HTTP_MAX_RESPONSE ((size_t)4 << 20)
/* tasks begun and not finished, unless the options say otherwise */
#define HTTP_WINDOW 256

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_SMTP };

struct http_req {
  enum http_method method;
  struct buf url;
  struct curl_slist *headers;
  struct buf body; /* the request body; SMTP: the whole message */
  char *mail_from; /* SMTP envelope */
  struct curl_slist *rcpt;
  const char *ca_file;  /* borrowed */
  const char *username; /* SMTP AUTH, borrowed */
  const char *password; /* SMTP AUTH, borrowed (a secret) */
  const char *serial;   /* borrowed; requests with equal keys queue */
  double gap;           /* seconds between two requests of one key */
};

struct http_resp {
  long status; /* HTTP status, or the last SMTP reply code */
  struct buf body;
  struct buf headers; /* raw header lines; SMTP: the dialogue (smtp.h) */
  CURLcode code;
  char error[CURL_ERROR_SIZE];
  double seconds;
  long retry_after;  /* seconds the server asked us to wait, or -1 */
  bool data_started; /* SMTP: the message itself began to go out */
  bool no_auth;      /* SMTP: a password is configured, the server
                        offered no AUTH over TLS: nothing was sent */
  struct {           /* SMTP: the dialogue so far (smtp.c) */
    bool tls, sasl, auth_offered;
    int last;
    double deadline;
  } smtp;
  bool too_large; /* the body passed HTTP_MAX_RESPONSE: for a 2xx
                     the transfer still counts (body cut short) */
};

enum step { STEP_SEND, STEP_DONE, STEP_FAIL, STEP_RETRY, STEP_UNCERTAIN };

struct http_task;
struct http_host;
/* Fills req (already reset) for the next request, or returns DONE/FAIL/
 * RETRY/UNCERTAIN after setting the task's result fields. */
typedef enum step (*http_step_fn)(struct http_task *t,
                                  const struct http_resp *prev,
                                  struct http_req *req);

struct http_task {
  http_step_fn step;
  void *ud;
  long timeout;         /* seconds for one request (0: 60) */
  long connect_timeout; /* seconds (0: 10) */
  int retries;          /* restarts after temporary failures (-1: 3) */
  /* the result, set by the step function (or by the engine when it gives
   * up): */
  enum step outcome; /* DONE, FAIL, UNCERTAIN, or RETRY = temporary */
  char error[512];
  bool config_error; /* FAIL because of the configuration (TLS to a
                        plain port, a certificate, a login) */
  /* engine state */
  bool begun;   /* its first step ran */
  bool refused; /* on_begin said no: never started */
  int restarts; /* tries after the first */
  int attempt;
  double not_before; /* monotonic seconds */
  bool running, finished;
  bool restart;           /* the next step starts the task over */
  bool host_wait;         /* its request waits for room on its host */
  struct http_host *host; /* its request's host (counted while running) */
  uint32_t index;         /* its place among the engine's tasks */
  struct http_req req;
  struct http_resp resp;
  CURL *easy;
  size_t read_pos;
  void *engine;
};

struct http_opts {
  int verbose;           /* 1: a line per request; 2: headers and bodies */
  double retry_base;     /* seconds of the first back-off (default 1) */
  double max_wait;       /* most one task waits in total (default 120) */
  size_t window;         /* tasks begun and not finished (0: HTTP_WINDOW) */
  long host_connections; /* requests at once to one host, each on its
                            own connection (0: 16); the others wait in
                            the engine, not in libcurl */
  /* Called with the tasks about to begin (their first step runs right
   * after): the caller claims them. A task it sets refused is never
   * started (the caller has its result). */
  void (*on_begin)(void *ud, struct http_task **t, size_t n);
  /* Called with the tasks that finished since the last call, before any
   * other task begins: the caller records them. */
  void (*on_end)(void *ud, struct http_task **t, size_t n);
  /* Called just before a request other than a GET leaves (may be NULL). */
  void (*on_write)(void *ud, struct http_task *t);
  /* Called once, when the engine first waits for the network with
   * requests under way (may be NULL): the caller may get ready what
   * on_end will need, while nothing else could move. */
  void (*on_idle)(void *ud);
  void *hook_ud;
  /* When *stop becomes non-zero: nothing new begins, tasks waiting for a
   * retry end as temporary failures, requests in flight finish. */
  volatile int *stop;
};

struct http_engine;

struct http_engine *http_new(const struct http_opts *o);
/* Loads libcurl and sets up its global state in this process; an engine
 * that runs in-process does this before its first request. A library that
 * cannot be loaded ends the process (lazy.h). */
void http_setup(void);
/* Starts the transport (transport.h): libcurl and its thirty libraries
 * load in a second process while the caller goes on reading the
 * configuration, the site and the journal; engines made afterwards send
 * through it. For a command that is going to send (announce), called
 * while it has no other thread. If no process can be started, libcurl
 * loads in-process when first needed. */
void http_warm(void);
/* Before the first claim of a delivery: 0 once requests can be sent; or
 * -1 with why not (libcurl cannot be loaded: EX_UNAVAILABLE), in the
 * transport if http_warm started one, else in this process. */
int http_ready(struct err *e);
/* Whether engines made now send through a transport. */
bool http_remote(void);
/* Ends the transport http_warm started, if any (an engine made after
 * runs in-process): announce's one engine has finished. */
void http_transport_end(void);
/* For transport.c: libcurl loaded and set up in this process (0), or -1
 * with why not; a new easy handle set up for t's request. */
int http_global(struct err *e);
void http_easy_setup(CURL *c, struct http_task *t);
void http_free(struct http_engine *h);
void http_add(struct http_engine *h, struct http_task *t);
/* Runs every task to its end. */
void http_run(struct http_engine *h);

/* Monotonic seconds. */
double http_now(void);

/* Helpers for step functions. */
void http_req_header(struct http_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A transport error, 429 or 5xx: worth retrying. */
bool http_temporary(const struct http_resp *r);
/* An error that only a change of configuration mends: a TLS handshake
 * that failed (https:// to a plain-HTTP port), a certificate that does not
 * verify, an unsupported scheme, a refused login. */
bool http_config_error(const struct http_resp *r);
/* A one-line description of a failed response: status or curl error and
 * a short excerpt of the body (redacted). */
void http_describe(const struct http_resp *r, struct buf *out);
/* The value of header name in the response (first match), or NULL;
 * caller frees. */
char *http_header(const struct http_resp *r, const char *name);
/* Percent-encodes s for a URL path segment. */
void http_escape(struct buf *out, const char *s);
/* Whether url may be used: https, smtps or smtp, or http to a loopback
 * address (see url.h for what loopback means). */
bool http_url_allowed(const char *url);
bool http_url_loopback(const char *url);

#endif
