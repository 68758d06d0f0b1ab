/* crier serve: the HTTP side. It runs on libmicrohttpd's polling thread
 * and only reads the body (at most 1 MiB), checks the signature
 * over the raw bytes before anything is parsed, checks the request against
 * the config and the queue, and answers — or, for an announce request that
 * the queue took, suspends the connection until the worker answers it. It
 * never touches the journal, git, a channel, the site or secret.c's list
 * of secrets (those belong to the worker), so it answers at once whatever
 * the worker is doing. */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "secret.h"
#include "sig.h"
#include "when.h"
#include "xalloc.h"

#define SERVE_MAX_BODY ((size_t)1 << 20)
/* Retry-After (seconds) for what cannot be taken now */
#define RETRY_FULL 10     /* the queue is full */
#define RETRY_PENDING 5   /* the same id is being worked on */
#define RETRY_STOPPING 30 /* shutting down */

struct conn {
  struct buf body;
  bool too_large;
  struct serve_job *job; /* an announce waiting for the worker's answer */
};

static void vlog(bool redact, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vlog(bool redact, const char *fmt, va_list ap)
{
  struct buf b = BUF_INIT;
  buf_vaddf(&b, fmt, ap);
  if (redact)
    secret_redact(&b);
  fprintf(stderr, "crier serve: %s\n", b.data);
  buf_release(&b);
}

void serve_http_mhd_log(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  struct buf b = BUF_INIT;
  buf_vaddf(&b, fmt, ap);
  buf_rtrim(&b);
  secret_redact(&b);
  fprintf(stderr, "crier serve: libmicrohttpd: %s\n", b.data);
  buf_release(&b);
}

void serve_log(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(false, fmt, ap);
  va_end(ap);
}

void serve_log_redacted(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(true, fmt, ap);
  va_end(ap);
}

/* A delivery id, event name or ref as it may appear in a log line and a
 * journal key: 1 to 128 visible ASCII characters. */
static bool plain(const char *v)
{
  size_t n = v ? strlen(v) : 0;
  if (n < 1 || n > 128)
    return false;
  for (const char *p = v; *p; p++)
    if (*p < 0x21 || *p > 0x7e)
      return false;
  return true;
}

static const char *shown(const char *v)
{
  return plain(v) ? v : "(unprintable)";
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code,
                                 char *text, int retry_after)
{
  struct MHD_Response *r;
  if (code == 204) { /* no content, no body */
    free(text);
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  } else {
    r = MHD_create_response_from_buffer(strlen(text), text,
                                        MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
  }
  MHD_add_response_header(r, "Cache-Control", "no-store");
  if (retry_after > 0) {
    char v[16];
    snprintf(v, sizeof(v), "%d", retry_after);
    MHD_add_response_header(r, "Retry-After", v);
  }
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code,
                             json_t *doc, int retry_after)
{
  char *s = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return send_text(c, code, s, retry_after);
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned code,
                             const char *msg)
{
  return reply(c, code, json_pack("{s:s}", "error", msg), 0);
}

static enum MHD_Result busy(struct MHD_Connection *c, const char *msg,
                            int retry_after)
{
  return reply(c, 503, json_pack("{s:s}", "error", msg), retry_after);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

void serve_http_resume(void *conn)
{
  MHD_resume_connection(conn);
}

static void suspend(void *conn)
{
  MHD_suspend_connection(conn);
}

static bool touches_events(struct serve *s, json_t *push)
{
  size_t i;
  json_t *commit;
  size_t rl = strlen(s->events_rel);
  json_array_foreach(json_object_get(push, "commits"), i, commit)
  {
    static const char *const kinds[] = {"added", "modified", "removed"};
    for (size_t k = 0; k < 3; k++) {
      size_t m;
      json_t *p;
      json_array_foreach(json_object_get(commit, kinds[k]), m, p)
      {
        const char *path = json_string_value(p);
        if (path &&
            (!rl || (strncmp(path, s->events_rel, rl) == 0 && path[rl] == '/')))
          return true;
      }
    }
  }
  return false;
}

static bool is_sha(const char *v)
{
  if (!v || strlen(v) < 7 || strlen(v) > 64)
    return false;
  for (const char *p = v; *p; p++)
    if (!strchr("0123456789abcdef", *p))
      return false;
  return true;
}

static enum MHD_Result queue_push(struct serve *s, struct MHD_Connection *c,
                                  const char *delivery, const char *before,
                                  const char *after)
{
  struct serve_job *j = serve_job_new(SERVE_PUSH, delivery);
  j->before = xstrdup(before);
  j->after = xstrdup(after);
  enum serve_admit r = serve_queue_admit(&s->q, j, NULL, NULL);
  if (r != SERVE_QUEUED)
    serve_queue_unref(&s->q, j);
  switch (r) {
  case SERVE_QUEUED:
    serve_log("POST /hooks/github 202: push %.12s..%.12s (delivery %s) "
              "queued",
              before, after, delivery);
    return reply(c, 202, json_pack("{s:b}", "queued", 1), 0);
  case SERVE_PENDING:
    serve_log("POST /hooks/github 202: delivery %s is queued already",
              delivery);
    return reply(c, 202, json_pack("{s:b}", "queued", 1), 0);
  case SERVE_SEEN:
    serve_log("POST /hooks/github 200: delivery %s was done before; "
              "ignored",
              delivery);
    return reply(c, 200, json_pack("{s:b}", "duplicate", 1), 0);
  case SERVE_FULL:
    serve_log("POST /hooks/github 503: queue full; delivery %s not taken",
              delivery);
    return busy(c, "busy; try again later", RETRY_FULL);
  case SERVE_STOPPING:
    serve_log("POST /hooks/github 503: stopping; delivery %s not taken",
              delivery);
    return busy(c, "the service is stopping; try again later", RETRY_STOPPING);
  }
  return MHD_NO;
}

static enum MHD_Result github(struct serve *s, struct MHD_Connection *c,
                              struct conn *cc)
{
  if (!s->github_secret.len)
    return error(c, 404, "not found");
  const char *sig = header(c, "X-Hub-Signature-256");
  const char *event = header(c, "X-GitHub-Event");
  const char *delivery = header(c, "X-GitHub-Delivery");
  struct err e;
  if (!sig || sig_github_verify(s->github_secret.data, sig, cc->body.data,
                                cc->body.len, &e) < 0) {
    serve_log("POST /hooks/github 401: invalid signature");
    return error(c, 401, "invalid signature");
  }
  if (!plain(event) || !plain(delivery)) {
    serve_log("POST /hooks/github 400: no X-GitHub-Event or "
              "X-GitHub-Delivery (or not printable)");
    return error(c, 400, "bad request");
  }
  if (strcmp(event, "ping") == 0) {
    serve_log("POST /hooks/github 200: ping %s", delivery);
    return reply(c, 200, json_pack("{s:b}", "ok", 1), 0);
  }
  if (strcmp(event, "push") != 0) {
    serve_log("POST /hooks/github 204: ignored event %s", event);
    return reply(c, 204, json_object(), 0);
  }
  json_t *push = json_loadb(cc->body.data, cc->body.len, 0, NULL);
  const char *ref = json_string_value(json_object_get(push, "ref"));
  const char *before = json_string_value(json_object_get(push, "before"));
  const char *after = json_string_value(json_object_get(push, "after"));
  const char *branch = s->a->cfg.serve_branch ? s->a->cfg.serve_branch : "main";
  enum MHD_Result ok;
  if (!ref || !is_sha(before) || !is_sha(after)) {
    serve_log("POST /hooks/github 400: not a push payload");
    ok = error(c, 400, "bad request");
  } else if (strncmp(ref, "refs/heads/", 11) != 0 ||
             strcmp(ref + 11, branch) != 0) {
    serve_log("POST /hooks/github 204: push to %s, not %s; ignored", shown(ref),
              branch);
    ok = reply(c, 204, json_object(), 0);
  } else if (!touches_events(s, push)) {
    serve_log("POST /hooks/github 204: push %.12s..%.12s does not touch %s",
              before, after, s->events_rel[0] ? s->events_rel : "the events");
    ok = reply(c, 204, json_object(), 0);
  } else {
    ok = queue_push(s, c, delivery, before, after);
  }
  json_decref(push);
  return ok;
}

/* An event id as a request may name one: a file name without its
 * extension, no directory, no control characters. */
static bool event_id_ok(const char *v)
{
  size_t n = strlen(v);
  if (n < 1 || n > 255 || v[0] == '.' || strchr(v, '/'))
    return false;
  for (const unsigned char *p = (const unsigned char *)v; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return false;
  return true;
}

/* 422 unless the channels named exist and one of them (or of all, when
 * none is named) takes announcements. */
static bool check_channels(struct serve *s, json_t *chans, struct buf *why)
{
  const struct config *cfg = &s->a->cfg;
  size_t i;
  json_t *v;
  json_array_foreach(chans, i, v)
  {
    if (!config_channel(cfg, json_string_value(v))) {
      buf_addf(why, "no channel '%.100s'", json_string_value(v));
      return false;
    }
  }
  for (size_t k = 0; k < cfg->nchannels; k++) {
    const struct channel *ch = &cfg->channels[k];
    bool named = !chans;
    json_array_foreach(chans, i, v)
    {
      named |= strcmp(json_string_value(v), ch->name) == 0;
    }
    if (named && channel_takes(ch, "announce"))
      return true;
  }
  buf_adds(why, chans ? "none of the channels named takes announcements"
                      : "no channel takes announcements");
  return false;
}

static enum MHD_Result queue_announce(struct serve *s, struct MHD_Connection *c,
                                      struct conn *cc, const char *id,
                                      json_t *req)
{
  json_t *chans = json_object_get(req, "channels");
  struct serve_job *j = serve_job_new(SERVE_ANNOUNCE, id);
  j->event = xstrdup(json_string_value(json_object_get(req, "event")));
  j->dry = json_is_true(json_object_get(req, "dry_run"));
  if (chans) {
    j->channels = xcalloc(json_array_size(chans) + 1, sizeof(char *));
    size_t i;
    json_t *v;
    json_array_foreach(chans, i, v) j->channels[i] =
        xstrdup(json_string_value(v));
  }
  enum serve_admit r = serve_queue_admit(&s->q, j, c, suspend);
  if (r == SERVE_QUEUED) {
    cc->job = j;
    serve_log("POST /hooks/announce: webhook-id %s queued (%s%s)", id, j->event,
              j->dry ? ", dry run" : "");
    return MHD_YES; /* suspended: the worker answers */
  }
  serve_queue_unref(&s->q, j);
  switch (r) {
  case SERVE_SEEN:
    serve_log("POST /hooks/announce 409: webhook-id %s replayed", id);
    return error(c, 409, "replayed");
  case SERVE_PENDING:
    serve_log("POST /hooks/announce 503: webhook-id %s is being worked on", id);
    return busy(c, "this webhook-id is being worked on; try again later",
                RETRY_PENDING);
  case SERVE_FULL:
    serve_log("POST /hooks/announce 503: queue full; webhook-id %s not "
              "taken",
              id);
    return busy(c, "busy; try again later", RETRY_FULL);
  case SERVE_STOPPING:
  default:
    serve_log("POST /hooks/announce 503: stopping; webhook-id %s not taken",
              id);
    return busy(c, "the service is stopping; try again later", RETRY_STOPPING);
  }
}

static enum MHD_Result announce(struct serve *s, struct MHD_Connection *c,
                                struct conn *cc)
{
  if (!s->announce_key.len)
    return error(c, 404, "not found");
  const char *id = header(c, "webhook-id");
  const char *ts = header(c, "webhook-timestamp");
  const char *sigs = header(c, "webhook-signature");
  struct err e;
  char *end = NULL;
  long long t = ts ? strtoll(ts, &end, 10) : 0;
  if (!id || !ts || !sigs || !*ts || *end ||
      sig_verify(s->announce_key.data, id, t, sigs, cc->body.data, cc->body.len,
                 time(NULL), &e) < 0) {
    serve_log("POST /hooks/announce 401: %s",
              id && ts && sigs && !*end ? e.msg : "missing headers");
    return error(c, 401, "invalid or expired signature");
  }
  if (!plain(id)) {
    serve_log("POST /hooks/announce 400: webhook-id not printable");
    return error(c, 400, "bad request");
  }
  json_t *req = json_loadb(cc->body.data, cc->body.len, 0, NULL);
  const char *what = json_string_value(json_object_get(req, "event"));
  json_t *chans = json_object_get(req, "channels");
  json_t *dry = json_object_get(req, "dry_run");
  bool ok = what && (!chans || json_is_array(chans)) &&
            (!dry || json_is_boolean(dry));
  size_t i;
  json_t *v;
  json_array_foreach(chans, i, v) ok &= json_is_string(v);
  enum MHD_Result r;
  struct buf why = BUF_INIT;
  if (!ok) {
    serve_log("POST /hooks/announce 400: bad request body");
    r = error(c, 400,
              "expected {\"event\": ID, \"channels\": [...], "
              "\"dry_run\": false}");
  } else if (!event_id_ok(what)) {
    serve_log("POST /hooks/announce 422: not an event id");
    r = error(c, 422,
              "'event' must be an event id (its file name without "
              ".md)");
  } else if (!check_channels(s, chans, &why)) {
    serve_log("POST /hooks/announce 422: %s", why.data);
    r = error(c, 422, why.data);
  } else {
    r = queue_announce(s, c, cc, id, req);
  }
  buf_release(&why);
  json_decref(req);
  return r;
}

/* The worker answered the announce request this connection waits for. */
static enum MHD_Result answer(struct serve *s, struct MHD_Connection *c,
                              struct conn *cc)
{
  unsigned status;
  char *body;
  int retry_after;
  if (!serve_queue_answer_of(&s->q, cc->job, &status, &body, &retry_after))
    return MHD_NO; /* cannot happen: it is resumed once answered */
  serve_log("POST /hooks/announce %u: webhook-id %s answered", status,
            cc->job->id);
  return send_text(c, status, body, retry_after);
}

static enum MHD_Result healthz(struct serve *s, struct MHD_Connection *c)
{
  json_t *st = serve_queue_status(&s->q);
  const char *status = json_string_value(json_object_get(st, "status"));
  const char *journal = json_string_value(json_object_get(st, "journal"));
  bool bad = strcmp(status, "ok") != 0 || strcmp(journal, "broken") == 0;
  if (bad)
    serve_log("GET /healthz 503: %s, journal %s", status, journal);
  return reply(c, bad ? 503 : 200, st, 0);
}

/* An HTTP date (RFC 9110): "Sun, 06 Nov 1994 08:49:37 GMT". */
static void http_date(time_t t, char out[40])
{
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT",
           when_day_abbr(tm.tm_wday), tm.tm_mday, when_month_abbr(tm.tm_mon),
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Whether an If-None-Match list names etag (or is "*"); weak tags
 * compare by their opaque part (RFC 9110 13.1.2). */
static bool etag_matches(const char *list, const char *etag)
{
  size_t n = strlen(etag);
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (*p == '*')
      return true;
    if (strncmp(p, "W/", 2) == 0)
      p += 2;
    if (strncmp(p, etag, n) == 0 && (!p[n] || p[n] == ',' || p[n] == ' '))
      return true;
    while (*p && *p != ',')
      p++;
  }
  return false;
}

enum MHD_Result serve_http_feed(struct serve *s, struct MHD_Connection *c,
                                const char *method)
{
  if (strcmp(method, "HEAD") != 0 && strcmp(method, "GET") != 0)
    return error(c, 405, "method not allowed");
  const char *inm = header(c, "If-None-Match");
  const char *ims = header(c, "If-Modified-Since");
  pthread_mutex_lock(&s->feed_mu);
  if (!s->feed) {
    pthread_mutex_unlock(&s->feed_mu);
    serve_log("%s /events.ics 503: no feed yet", method);
    return busy(c, "the calendar is not made yet", 10);
  }
  char etag[40], modified[40];
  snprintf(etag, sizeof(etag), "%s", s->feed_etag);
  http_date(s->feed_modified, modified);
  /* If-None-Match decides when it is there; else If-Modified-Since */
  bool fresh = inm   ? etag_matches(inm, etag)
               : ims ? curl_getdate(ims, NULL) >= s->feed_modified &&
                           curl_getdate(ims, NULL) != -1
                     : false;
  struct MHD_Response *r;
  unsigned code = fresh ? 304 : 200;
  /* libmicrohttpd sends no body for HEAD, and the length GET would have */
  if (fresh)
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  else
    r = MHD_create_response_from_buffer(s->feed_len, s->feed,
                                        MHD_RESPMEM_MUST_COPY);
  pthread_mutex_unlock(&s->feed_mu);
  if (!fresh)
    MHD_add_response_header(r, "Content-Type", "text/calendar; charset=utf-8");
  MHD_add_response_header(r, "ETag", etag);
  MHD_add_response_header(r, "Last-Modified", modified);
  MHD_add_response_header(r, "Cache-Control", "public, max-age=300");
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

enum MHD_Result serve_http_request(void *cls, struct MHD_Connection *c,
                                   const char *url, const char *method,
                                   const char *version, const char *data,
                                   size_t *size, void **ptr)
{
  (void)version;
  struct serve *s = cls;
  struct conn *cc = *ptr;
  if (!cc) {
    cc = xcalloc(1, sizeof(*cc));
    buf_init(&cc->body);
    *ptr = cc;
    return MHD_YES;
  }
  if (cc->job)
    return answer(s, c, cc);
  if (*size) {
    if (cc->body.len + *size > SERVE_MAX_BODY)
      cc->too_large = true;
    else
      buf_add(&cc->body, data, *size);
    *size = 0;
    return MHD_YES;
  }
  if (cc->too_large) {
    serve_log("%s %s 413: body over %zu bytes", method, shown(url),
              SERVE_MAX_BODY);
    return error(c, 413, "body too large");
  }
  bool post = strcmp(method, "POST") == 0;
  if (strcmp(url, "/events.ics") == 0)
    return serve_http_feed(s, c, method);
  if (strcmp(url, "/healthz") == 0)
    return strcmp(method, "GET") == 0 ? healthz(s, c)
                                      : error(c, 405, "method not allowed");
  if (strcmp(url, "/hooks/github") == 0)
    return post ? github(s, c, cc) : error(c, 405, "method not allowed");
  if (strcmp(url, "/hooks/announce") == 0)
    return post ? announce(s, c, cc) : error(c, 405, "method not allowed");
  serve_log("%s %s 404", shown(method), shown(url));
  return error(c, 404, "not found");
}

void serve_http_done(void *cls, struct MHD_Connection *c, void **ptr,
                     enum MHD_RequestTerminationCode code)
{
  (void)c;
  (void)code;
  struct serve *s = cls;
  struct conn *cc = *ptr;
  if (cc) {
    serve_queue_unref(&s->q, cc->job);
    buf_release(&cc->body);
    free(cc);
  }
  *ptr = NULL;
}
