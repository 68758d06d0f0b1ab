#include "http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "lazy.h"
#include "log.h"
#include "map.h"
#include "secret.h"
#include "smtp.h"
#include "transport.h"
#include "url.h"
#include "xalloc.h"

struct serial {
  char *key;
  bool busy;
  double next_ok;
};

/* A host (scheme://host:port) and the requests running to it. */
struct http_host {
  long running;
};

struct http_engine {
  struct http_opts o;
  struct map hosts; /* "scheme://host:port" → struct http_host */
  bool freed;       /* a host had a request end: the waiting may start */
  bool idled;       /* on_idle was called */
  CURLM *multi;
  struct http_task **tasks; /* in the order added */
  size_t n, cap;
  size_t next;               /* tasks[next..] have not begun */
  struct http_task **active; /* begun, not finished: at most the window */
  size_t nactive, capactive;
  struct http_task **ended; /* finished, not yet handed to on_end */
  size_t nended, capended;
  struct serial *serials;
  size_t nserials, capserials;
  /* its requests go to the transport (transport.h) */
  bool remote;
  uint64_t gen;    /* the engine's number: the high half of its tags */
  size_t inflight; /* requests in the transport */
};

static double mono(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double http_now(void)
{
  return mono();
}

/* libcurl's global state, set up once per process: by the first engine
 * that runs in it, or by the transport (transport.h). */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool global_ok;

static void global_init(void)
{
  struct err e;
  /* a library that cannot be loaded is reported by whoever needs it
   * (http_setup, the transport, deliver_run before its first claim) */
  if (lazy_load(LAZY_CURL, &e) < 0)
    return;
  lazy_crypto_no_atexit();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  global_ok = true;
}

void http_warm(void)
{
  /* a transport that cannot be started (no process to spare) leaves
   * libcurl to load here when the engine first needs it */
  if (!transport_on())
    transport_start();
}

int http_global(struct err *e)
{
  if (lazy_load(LAZY_CURL, e) < 0)
    return -1;
  pthread_once(&global_once, global_init);
  return global_ok ? 0 : err_set(e, 1, "libcurl's global set-up failed");
}

void http_setup(void)
{
  pthread_once(&global_once, global_init);
  if (!global_ok)
    curl_global_init(CURL_GLOBAL_DEFAULT); /* names the library, exits */
}

struct http_engine *http_new(const struct http_opts *o)
{
  struct http_engine *h = xcalloc(1, sizeof(*h));
  h->o = *o;
  if (h->o.retry_base <= 0)
    h->o.retry_base = 1;
  if (h->o.max_wait <= 0)
    h->o.max_wait = 120;
  if (!h->o.window)
    h->o.window = HTTP_WINDOW;
  if (h->o.host_connections <= 0)
    h->o.host_connections = 16;
  static uint64_t engines;
  h->gen = ++engines;
  h->remote = transport_on();
  return h;
}

/* The multi handle of an engine that runs in-process, made when its first
 * request starts. */
static CURLM *engine_multi(struct http_engine *h)
{
  if (h->multi)
    return h->multi;
  http_setup();
  h->multi = curl_multi_init();
  if (!h->multi)
    abort();
  /* the engine keeps to this itself (libcurl would queue the others and
   * look through its queue on every change) */
  curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    h->o.host_connections);
  return h->multi;
}

static void req_release(struct http_req *r)
{
  buf_release(&r->url);
  buf_release(&r->body);
  curl_slist_free_all(r->headers);
  curl_slist_free_all(r->rcpt);
  free(r->mail_from);
  memset(r, 0, sizeof(*r));
  buf_init(&r->url);
  buf_init(&r->body);
}

static void resp_release(struct http_resp *r)
{
  buf_release(&r->body);
  buf_release(&r->headers);
  memset(r, 0, sizeof(*r));
  buf_init(&r->body);
  buf_init(&r->headers);
  r->retry_after = -1;
}

static void free_host(void *ud, const char *key, void *value)
{
  (void)ud;
  (void)key;
  free(value);
}

void http_free(struct http_engine *h)
{
  if (!h)
    return;
  for (size_t i = 0; i < h->n; i++) {
    struct http_task *t = h->tasks[i];
    if (t->easy) {
      curl_multi_remove_handle(h->multi, t->easy);
      curl_easy_cleanup(t->easy);
    }
    req_release(&t->req);
    resp_release(&t->resp);
  }
  map_each(&h->hosts, free_host, NULL);
  map_release(&h->hosts);
  for (size_t i = 0; i < h->nserials; i++)
    free(h->serials[i].key);
  free(h->serials);
  free(h->tasks);
  free(h->active);
  free(h->ended);
  if (h->multi)
    curl_multi_cleanup(h->multi);
  free(h);
}

void http_add(struct http_engine *h, struct http_task *t)
{
  t->attempt = 0;
  t->not_before = 0;
  t->running = t->finished = t->restart = t->begun = t->refused = false;
  t->host_wait = false;
  t->host = NULL;
  t->restarts = 0;
  t->engine = h;
  t->outcome = STEP_RETRY;
  t->error[0] = '\0';
  memset(&t->req, 0, sizeof(t->req));
  req_release(&t->req);
  memset(&t->resp, 0, sizeof(t->resp));
  resp_release(&t->resp);
  h->tasks = xgrow(h->tasks, &h->cap, h->n + 1, sizeof(*h->tasks));
  t->index = (uint32_t)h->n;
  h->tasks[h->n++] = t;
}

void http_req_header(struct http_req *r, const char *fmt, ...)
{
  struct buf b = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vaddf(&b, fmt, ap);
  va_end(ap);
  struct curl_slist *l = curl_slist_append(r->headers, b.data);
  if (!l)
    abort();
  r->headers = l;
  if (strncasecmp(b.data, "Authorization:", 14) == 0)
    explicit_bzero(b.data, b.len);
  buf_release(&b);
}

bool http_config_error(const struct http_resp *r)
{
  switch (r->code) {
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_USE_SSL_FAILED:
  case CURLE_LOGIN_DENIED:
    return true;
  default:
    return false;
  }
}

bool http_temporary(const struct http_resp *r)
{
  if (r->code != CURLE_OK)
    return !http_config_error(r) && !r->too_large;
  return r->status == 429 || r->status == 408 || r->status >= 500;
}

void http_describe(const struct http_resp *r, struct buf *out)
{
  struct buf b = BUF_INIT;
  if (r->too_large)
    buf_addf(&b, "the response is larger than %zu bytes", HTTP_MAX_RESPONSE);
  else if (r->code != CURLE_OK)
    buf_addf(&b, "%s", r->error[0] ? r->error : curl_easy_strerror(r->code));
  else
    buf_addf(&b, "HTTP %ld", r->status);
  if (r->code == CURLE_OK && r->body.len) {
    size_t n = r->body.len < 200 ? r->body.len : 200;
    buf_adds(&b, ": ");
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)r->body.data[i];
      buf_addc(&b, c == '\n' || c == '\r' || c == '\t' ? ' '
                   : c < 0x20                          ? '?'
                                                       : (char)c);
    }
    if (r->body.len > n)
      buf_adds(&b, "…");
  }
  secret_redact(&b);
  buf_add(out, b.data, b.len);
  buf_release(&b);
}

char *http_header(const struct http_resp *r, const char *name)
{
  size_t nl = strlen(name);
  const char *p = r->headers.data;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      size_t vl = (size_t)(p + len - v);
      while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
        vl--;
      return xstrndup(v, vl);
    }
    p += len + (eol ? 1 : 0);
  }
  return NULL;
}

void http_escape(struct buf *out, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      buf_addc(out, (char)c);
    else
      buf_addf(out, "%%%02X", c);
  }
}

bool http_url_loopback(const char *url)
{
  struct url u;
  return url_parse(url, &u, NULL) == 0 && url_is_loopback(&u);
}

bool http_url_allowed(const char *url)
{
  return url_check_endpoint(url, NULL) == 0;
}

/* ---- transfers ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  struct http_task *t = ud;
  size_t len = size * n;
  if (t->resp.body.len + len > HTTP_MAX_RESPONSE) {
    t->resp.too_large = true;
    return 0;
  }
  buf_add(&t->resp.body, p, len);
  return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
  struct http_task *t = ud;
  size_t len = size * n;
  if (t->resp.headers.len + len <= 256 * 1024)
    buf_add(&t->resp.headers, p, len);
  return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
  struct http_task *t = ud;
  t->resp.data_started = true;
  size_t left = t->req.body.len - t->read_pos;
  size_t len = size * n < left ? size * n : left;
  memcpy(p, t->req.body.data + t->read_pos, len);
  t->read_pos += len;
  return len;
}

static const char *method_name(enum http_method m)
{
  switch (m) {
  case HTTP_GET:
    return "GET";
  case HTTP_POST:
    return "POST";
  case HTTP_PUT:
    return "PUT";
  case HTTP_PATCH:
    return "PATCH";
  case HTTP_SMTP:
    return "SMTP";
  }
  return "?";
}

void http_easy_setup(CURL *c, struct http_task *t)
{
  struct http_req *r = &t->req;
  curl_easy_setopt(c, CURLOPT_URL, r->url.data);
  curl_easy_setopt(c, CURLOPT_PRIVATE, t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->resp.error);
  /* crier's stderr (term_guard_stdio's filter): libcurl's own default is
   * the C library's, which deep binding (lazy.c) resolves to libc's
   * variable, not crier's copy of it */
  curl_easy_setopt(c, CURLOPT_STDERR, stderr);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                   t->connect_timeout > 0 ? t->connect_timeout : 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, t->timeout > 0 ? t->timeout : 60L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (r->ca_file)
    curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_RESPONSE);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  if (r->method == HTTP_SMTP) {
    smtp_setup(c, t);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, t);
  } else {
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    if (r->method == HTTP_GET) {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body.data);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
      if (r->method != HTTP_POST)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_name(r->method));
    }
  }
}

static void remote_lost(struct http_engine *h);

static void start(struct http_engine *h, struct http_task *t)
{
  resp_release(&t->resp);
  t->read_pos = 0;
  struct http_req *r = &t->req;
  if (h->o.on_write && r->method != HTTP_GET)
    h->o.on_write(h->o.hook_ud, t);
  if (h->o.verbose >= 2) {
    struct buf tr = BUF_INIT;
    buf_addf(&tr, "> %s %s\n", method_name(r->method), r->url.data);
    for (struct curl_slist *l = r->headers; l; l = l->next)
      buf_addf(&tr, "> %s\n", l->data);
    if (r->body.len)
      buf_addf(&tr, "> (%zu bytes)\n%.*s\n", r->body.len,
               (int)(r->body.len < 8192 ? r->body.len : 8192), r->body.data);
    secret_redact(&tr);
    log_msg(LOG_TRACE, "%s", tr.data);
    buf_release(&tr);
  }
  if (h->remote) {
    if (transport_send(h->gen << 32 | t->index, t, h->o.host_connections)) {
      t->running = true;
      h->inflight++;
      return;
    }
    remote_lost(h); /* this one was not sent: it goes in-process */
  }
  CURLM *multi = engine_multi(h);
  CURL *c = t->easy ? t->easy : curl_easy_init();
  if (!c)
    abort();
  curl_easy_reset(c);
  t->easy = c;
  http_easy_setup(c, t);
  t->running = true;
  curl_multi_add_handle(multi, c);
}

static struct serial *serial_of(struct http_engine *h, const char *key)
{
  if (!key)
    return NULL;
  for (size_t i = 0; i < h->nserials; i++)
    if (strcmp(h->serials[i].key, key) == 0)
      return &h->serials[i];
  h->serials =
      xgrow(h->serials, &h->capserials, h->nserials + 1, sizeof(*h->serials));
  struct serial *s = &h->serials[h->nserials++];
  s->key = xstrdup(key);
  s->busy = false;
  s->next_ok = 0;
  return s;
}

/* The host of url: its scheme, user, host and port. */
static struct http_host *host_of(struct http_engine *h, const char *url)
{
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  size_t n = (size_t)(p - url) + strcspn(p, "/?#");
  char key[512];
  n = n < sizeof(key) - 1 ? n : sizeof(key) - 1;
  memcpy(key, url, n);
  key[n] = '\0';
  struct http_host *hs = map_get(&h->hosts, key);
  if (!hs) {
    hs = xcalloc(1, sizeof(*hs));
    map_put(&h->hosts, key, hs);
  }
  return hs;
}

/* Starts t's request unless its serial key (then not_before says until
 * when) or its host (host_wait: until a request to it ends) makes it
 * wait. Returns whether it started. */
static bool try_start(struct http_engine *h, struct http_task *t, double now)
{
  struct serial *sr = serial_of(h, t->req.serial);
  if (sr && (sr->busy || sr->next_ok > now)) {
    t->not_before = sr->busy ? now + 0.01 : sr->next_ok;
    return false;
  }
  if (!t->host) /* the request's host, looked up once */
    t->host = host_of(h, t->req.url.data);
  struct http_host *hs = t->host;
  t->host_wait = hs->running >= h->o.host_connections;
  if (t->host_wait)
    return false;
  if (sr)
    sr->busy = true;
  hs->running++;
  start(h, t);
  return true;
}

/* x-ratelimit-reset: Unix seconds, with a fraction or not (GitHub,
 * Discord, Zulip), or an ISO 8601 time in UTC (Mastodon:
 * 2024-05-01T12:05:00.000000Z); -1 if neither. */
static double reset_at(const char *v)
{
  char *end;
  double at = strtod(v, &end);
  if (end != v && !*end && at >= 0)
    return at;
  struct tm tm = {0};
  char zone = 0;
  if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%*[.0-9]%c", &tm.tm_year, &tm.tm_mon,
             &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &zone) < 6 ||
      (zone && zone != 'Z'))
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (double)timegm(&tm);
}

/* A header's value as a number of seconds (a fraction allowed), or -1. */
static double header_seconds(const struct http_resp *r, const char *name)
{
  char *v = http_header(r, name);
  double s = -1;
  if (v) {
    char *end;
    double x = strtod(v, &end);
    if (end != v && !*end && x >= 0)
      s = x;
  }
  free(v);
  return s;
}

/* Seconds until the server's rate limit lets the next request through,
 * when it says none is left (x-ratelimit-remaining: 0): Discord's
 * x-ratelimit-reset-after, else x-ratelimit-reset (a moment); -1 when
 * the answer says nothing of the kind. */
static double limit_pause(const struct http_resp *r)
{
  char *rem = http_header(r, "x-ratelimit-remaining");
  bool none_left = rem && strcmp(rem, "0") == 0;
  free(rem);
  if (!none_left)
    return -1;
  double after = header_seconds(r, "x-ratelimit-reset-after");
  if (after >= 0)
    return after;
  char *reset = http_header(r, "x-ratelimit-reset");
  double w = -1;
  if (reset) {
    double at = reset_at(reset);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (at >= 0)
      w = at - ((double)now.tv_sec + (double)now.tv_nsec / 1e9);
    if (w < 0 && at >= 0)
      w = 0;
  }
  free(reset);
  return w;
}

/* s seconds, rounded up to whole ones. */
static long whole(double s)
{
  long n = (long)s;
  return n + ((double)n < s);
}

/* A number in a JSON answer's body: the member at the path of names, or
 * -1. */
static double body_number(json_t *j, const char *a, const char *b)
{
  json_t *v = json_object_get(j, a);
  if (b)
    v = json_object_get(v, b);
  return json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v)
                                                        : -1;
}

/* Seconds to wait before retrying after resp, from the server's word:
 * Retry-After (seconds, a fraction allowed, or an HTTP date), the rate
 * limit's reset when none is left, else what the body says: Matrix's
 * retry_after_ms, Discord's retry_after, Telegram's parameters.
 * retry_after, Zulip's retry-after (seconds). */
static long server_wait(const struct http_resp *r)
{
  long w = r->retry_after;
  if (w < 0) {
    double h = header_seconds(r, "retry-after");
    if (h >= 0)
      w = whole(h);
  }
  double pause = limit_pause(r);
  if (pause >= 0 && whole(pause) + 1 > w)
    w = whole(pause) + 1;
  if (w < 0 && r->body.len && r->body.data[0] == '{') {
    json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
    double ms = body_number(j, "retry_after_ms", NULL);
    double s = body_number(j, "retry_after", NULL);
    if (s < 0)
      s = body_number(j, "parameters", "retry_after");
    if (s < 0)
      s = body_number(j, "retry-after", NULL);
    if (ms >= 0)
      w = whole(ms / 1000);
    else if (s >= 0)
      w = whole(s);
    json_decref(j);
  }
  return w;
}

static void finish(struct http_task *t, enum step outcome)
{
  t->outcome = outcome;
  t->finished = true;
  struct http_engine *h = t->engine;
  h->ended = xgrow(h->ended, &h->capended, h->nended + 1, sizeof(*h->ended));
  h->ended[h->nended++] = t;
}

/* Calls the task's step function and acts on what it says. trace (may be
 * NULL) is the response's trace, printed after the step has seen the
 * response: a step registers the secrets a server hands out (tokens) before
 * anything can print them. */
static void advance(struct http_engine *h, struct http_task *t,
                    const struct http_resp *prev, struct buf *trace)
{
  double now = mono();
  req_release(&t->req);
  t->host = NULL; /* a new request: its host is looked up again */
  enum step s = t->step(t, prev, &t->req);
  if (trace) {
    secret_redact(trace);
    log_msg(LOG_TRACE, "%s", trace->data);
  }
  if (s == STEP_SEND) {
    /* if it waits, the main loop sends it when its key or host is free */
    try_start(h, t, now);
    return;
  }
  if (s != STEP_RETRY) {
    finish(t, s);
    return;
  }
  /* temporary: restart from the first step after a wait */
  t->attempt++;
  int retries = t->retries >= 0 ? t->retries : 3;
  long asked = prev ? server_wait(prev) : -1;
  double wait =
      asked >= 0 ? (double)asked
                 : h->o.retry_base *
                           (double)(1L << (t->attempt - 1 < 10 ? t->attempt - 1
                                                               : 10)) +
                       h->o.retry_base * randombytes_uniform(1000) / 1000.0;
  if (t->attempt > retries || wait > h->o.max_wait) {
    if (!t->error[0])
      snprintf(t->error, sizeof(t->error), "gave up");
    if (wait > h->o.max_wait && t->attempt <= retries) {
      size_t l = strlen(t->error);
      snprintf(t->error + l, sizeof(t->error) - l,
               " (the server asks to wait %.0f s; retry later)", wait);
    }
    finish(t, STEP_RETRY);
    return;
  }
  t->restarts++;
  if (h->o.verbose)
    log_msg(LOG_DEBUG, "retrying in %.1f s (attempt %d of %d): %s", wait,
            t->attempt + 1, retries + 1, t->error);
  t->not_before = now + wait;
  resp_release(&t->resp);
  t->running = false;
  t->restart = true;
}

/* What follows the end of t's transfer, in this process or in the
 * transport: t->resp holds its code, status, retry_after, seconds,
 * headers and body. */
static void transfer_done(struct http_engine *h, struct http_task *t)
{
  t->running = false;
  if (t->host) {
    t->host->running--;
    t->host = NULL;
    h->freed = true;
  }
  long code = t->resp.status;
  double secs = t->resp.seconds;
  if (t->resp.too_large) { /* a 2xx was accepted: its body is cut short */
    t->resp.code = code >= 200 && code < 300 ? CURLE_OK : CURLE_WRITE_ERROR;
    if (t->resp.code == CURLE_OK) {
      char *url = secret_redacted(t->req.url.data);
      log_msg(LOG_WARNING,
              "%s answered %ld with more than %zu bytes; only "
              "the first %zu were read",
              url, code, HTTP_MAX_RESPONSE, HTTP_MAX_RESPONSE);
      free(url);
    }
  }
  struct serial *sr = serial_of(h, t->req.serial);
  if (sr) {
    sr->busy = false;
    sr->next_ok = mono() + t->req.gap;
    /* the server says its limit is used up: the key's next request waits
     * for the reset (a long wait is left to the answer that asks for it) */
    double pause = t->resp.code == CURLE_OK ? limit_pause(&t->resp) : -1;
    if (pause > 0 && pause <= h->o.max_wait && mono() + pause > sr->next_ok)
      sr->next_ok = mono() + pause;
  }
  if (h->o.verbose) {
    char *url = secret_redacted(t->req.url.data);
    if (t->resp.code == CURLE_OK)
      log_msg(LOG_DEBUG, "%s %s → %ld (%.3f s)", method_name(t->req.method),
              url, code, secs);
    else
      log_msg(LOG_DEBUG, "%s %s → %s (%.3f s)", method_name(t->req.method), url,
              t->resp.error[0] ? t->resp.error
                               : curl_easy_strerror(t->resp.code),
              secs);
    free(url);
  }
  struct buf tr = BUF_INIT;
  if (h->o.verbose >= 2) {
    buf_addf(&tr, "%s", t->resp.headers.data);
    buf_addf(&tr, "%.*s\n",
             (int)(t->resp.body.len < 8192 ? t->resp.body.len : 8192),
             t->resp.body.data);
  }
  advance(h, t, &t->resp, h->o.verbose >= 2 ? &tr : NULL);
  secret_wipe(&tr);
}

static void done_transfer(struct http_engine *h, CURLMsg *msg)
{
  struct http_task *t = NULL;
  curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
  curl_multi_remove_handle(h->multi, msg->easy_handle);
  t->resp.code = msg->data.result;
  long code = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
  t->resp.status = code;
  curl_off_t ra = -1;
  if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
      ra > 0)
    t->resp.retry_after = (long)ra;
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &t->resp.seconds);
  transfer_done(h, t);
}

/* The transport's answers: the task a tag names, if it still waits. */
static struct http_resp *remote_want(void *ud, uint64_t tag)
{
  struct http_engine *h = ud;
  uint64_t i = tag & 0xffffffffu;
  if (tag >> 32 != h->gen || i >= h->n)
    return NULL;
  struct http_task *t = h->tasks[i];
  return t->running && !t->easy ? &t->resp : NULL;
}

static void remote_got(void *ud, uint64_t tag)
{
  struct http_engine *h = ud;
  h->inflight--;
  transfer_done(h, h->tasks[tag & 0xffffffffu]);
}

/* The transport ended: every request in it is a connection lost under
 * way (it may have gone out: the step function decides, as for a
 * connection that broke), and the engine goes on in-process. */
static void remote_lost(struct http_engine *h)
{
  if (!h->remote)
    return;
  h->remote = false;
  h->inflight = 0;
  log_msg(LOG_WARNING, "the transport process (crier-transport) ended; "
                       "crier goes on without it");
  for (size_t i = 0; i < h->nactive; i++) {
    struct http_task *t = h->active[i];
    if (!t->running || t->easy || t->finished)
      continue;
    t->resp.code = CURLE_RECV_ERROR;
    t->resp.status = 0;
    t->resp.data_started = true;
    snprintf(t->resp.error, sizeof(t->resp.error),
             "the transport process ended with the request under way");
    transfer_done(h, t);
  }
}

/* Reads the transport's answers, waiting up to ms for the first. */
static void remote_collect(struct http_engine *h, int ms)
{
  if (!transport_collect(ms, remote_want, remote_got, h))
    remote_lost(h);
}

/* Hands the tasks that ended to on_end and drops them from the active
 * list. */
static void settle(struct http_engine *h)
{
  if (!h->nended)
    return;
  if (h->o.on_end)
    h->o.on_end(h->o.hook_ud, h->ended, h->nended);
  /* a finished task keeps nothing: its handle, request and answer go (the
   * connections stay in the multi handle's pool) */
  for (size_t i = 0; i < h->nended; i++) {
    struct http_task *t = h->ended[i];
    if (t->easy) {
      curl_multi_remove_handle(h->multi, t->easy);
      curl_easy_cleanup(t->easy);
      t->easy = NULL;
    }
    req_release(&t->req);
    resp_release(&t->resp);
  }
  h->nended = 0;
  size_t k = 0;
  for (size_t i = 0; i < h->nactive; i++)
    if (!h->active[i]->finished)
      h->active[k++] = h->active[i];
  h->nactive = k;
}

/* Begins waiting tasks while the window has room: on_begin sees them all
 * at once (one claim), then each runs its first step. */
static void begin_tasks(struct http_engine *h)
{
  if (h->o.stop && *h->o.stop)
    return;
  size_t room = h->o.window > h->nactive ? h->o.window - h->nactive : 0;
  size_t left = h->n - h->next;
  size_t m = room < left ? room : left;
  if (!m)
    return;
  struct http_task **batch = h->tasks + h->next;
  h->next += m;
  for (size_t i = 0; i < m; i++)
    batch[i]->begun = true;
  if (h->o.on_begin)
    h->o.on_begin(h->o.hook_ud, batch, m);
  h->active =
      xgrow(h->active, &h->capactive, h->nactive + m, sizeof(*h->active));
  for (size_t i = 0; i < m; i++) {
    if (batch[i]->refused) {
      batch[i]->finished = true;
      continue;
    }
    h->active[h->nactive++] = batch[i];
    advance(h, batch[i], NULL, NULL); /* the first step */
  }
}

void http_run(struct http_engine *h)
{
  for (;;) {
    settle(h);
    begin_tasks(h);
    settle(h); /* tasks that ended in their first step */
    double now = mono();
    double next_wake = now + 1;
    bool stopping = h->o.stop && *h->o.stop;
    h->freed = false;
    for (size_t i = 0; i < h->nactive; i++) {
      struct http_task *t = h->active[i];
      if (t->finished || t->running)
        continue;
      if (stopping) {
        /* waiting for a retry, or queued: it ends here, to be tried again
         * by the next run */
        if (!t->error[0])
          snprintf(t->error, sizeof(t->error), "stopped before sending");
        finish(t, STEP_RETRY);
        continue;
      }
      if (t->not_before > now) {
        if (t->not_before < next_wake)
          next_wake = t->not_before;
        continue;
      }
      if (t->restart) {
        t->restart = false;
        advance(h, t, NULL, NULL); /* a restart after a temporary failure */
        continue;
      }
      /* a request queued behind its serial key or its host */
      if (!try_start(h, t, now) && !t->host_wait && t->not_before < next_wake)
        next_wake = t->not_before;
    }
    settle(h);
    if (!h->nactive && (h->next == h->n || stopping))
      break;
    int running = 0;
    if (h->remote) {
      remote_collect(h, 0);
      running = (int)h->inflight;
    } else {
      curl_multi_perform(engine_multi(h), &running);
      CURLMsg *msg;
      int left;
      while ((msg = curl_multi_info_read(h->multi, &left)))
        if (msg->msg == CURLMSG_DONE)
          done_transfer(h, msg);
    }
    if (h->nended)
      continue; /* record before anything else happens */
    /* wait for the network only when no task can move without it */
    bool idle = true;
    double t_now = mono();
    for (size_t i = 0; i < h->nactive; i++) {
      struct http_task *t = h->active[i];
      if (t->finished || t->running)
        continue;
      if (t->host_wait) /* a request ending wakes it (freed) */
        continue;
      if (t->not_before <= t_now)
        idle = false;
      if (t->not_before < next_wake)
        next_wake = t->not_before;
    }
    if (h->next < h->n && h->nactive < h->o.window && !stopping)
      idle = false;
    if (h->freed)
      idle = false;
    if (!idle)
      continue;
    if (h->o.on_idle && !h->idled && running) {
      h->idled = true;
      h->o.on_idle(h->o.hook_ud);
      continue; /* the network may have answered meanwhile */
    }
    double wait = next_wake - t_now;
    int ms = wait <= 0 ? 0 : wait > 1 ? 1000 : (int)(wait * 1000) + 1;
    if (h->remote)
      remote_collect(h, ms);
    else
      curl_multi_poll(h->multi, NULL, 0, ms, NULL);
  }
}

int http_ready(struct err *e)
{
  if (transport_on()) {
    int rc = transport_ready(e);
    if (rc != -2)
      return rc;
    /* it ended without a word: the engine goes on in-process */
  }
  return lazy_load(LAZY_CURL, e);
}

bool http_remote(void)
{
  return transport_on();
}

void http_transport_end(void)
{
  transport_stop();
}
