/* crier serve: receive signed webhooks that trigger announcements.
 *
 * One thread, one event loop (libmicrohttpd in external-select mode): a
 * request body is read (at most 1 MiB), its signature checked over the raw
 * bytes before anything is parsed, and the decision logged. GitHub pushes
 * are answered at once (202) and processed after the answer — git pull
 * --ff-only on the site checkout, then what `crier changed` does for the
 * pushed range — because deliveries can take longer than GitHub's 10 s.
 * Announce requests are processed before answering, with the results. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cli.h"
#include "journal.h"
#include "proc.h"
#include "secret.h"
#include "sig.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

#define SERVE_MAX_BODY ((size_t)1 << 20)

static const char usage[] =
    "usage: crier serve [--listen ADDR:PORT] [-c FILE]\n"
    "\n"
    "A small HTTP server that accepts only signed requests (put TLS in a\n"
    "reverse proxy in front of it):\n"
    "  POST /hooks/github    GitHub push webhooks (X-Hub-Signature-256 with\n"
    "                        serve.github_secret): pushes to serve.branch\n"
    "                        that touch the events are pulled (git pull\n"
    "                        --ff-only) and handled as by 'crier changed'\n"
    "  POST /hooks/announce  Standard Webhooks (v1 with a whsec_, v1a with a\n"
    "                        whpk_ serve.announce_secret) with {\"event\": ID,\n"
    "                        \"channels\": [...], \"dry_run\": false}; answers\n"
    "                        with the results\n"
    "  GET  /healthz         200 when the config and the journal are usable\n"
    "\n"
    "  --listen ADDR:PORT    default serve.listen, else 127.0.0.1:8787\n";

struct job {
  char *before, *after;
  bool ready; /* the answer went out: the connection is done */
  struct job *next;
};

struct server {
  struct app *a;
  struct buf github_secret, announce_key;
  struct job *jobs, **tail;
  char *events_rel; /* the events directory inside the site repository */
  char *top;        /* the site repository */
};

struct conn {
  struct buf body;
  bool too_large;
  struct job *job; /* queued by this request */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
  (void)sig;
  stopping = 1;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
  struct buf b = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vaddf(&b, fmt, ap);
  va_end(ap);
  secret_redact(&b);
  fprintf(stderr, "crier serve: %s\n", b.data);
  buf_release(&b);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code,
                             json_t *doc)
{
  if (code == 204) { /* no content, no body */
    json_decref(doc);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ok;
  }
  char *s = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(s), s, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(r, "Content-Type", "application/json");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  enum MHD_Result ok = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned code,
                             const char *msg)
{
  return reply(c, code, json_pack("{s:s}", "error", msg));
}

/* Remembers an id; false when it was seen before (a replay). */
static bool first_time(struct server *s, const char *kind, const char *id)
{
  struct err e;
  struct journal *j = journal_open(s->a->cfg.journal, 5000, &e);
  if (!j) {
    logf_("journal: %s", e.msg);
    return false; /* without the journal a replay cannot be told */
  }
  struct buf k = BUF_INIT;
  buf_addf(&k, "seen:%s:%s", kind, id);
  char *v = journal_kv_get(j, k.data);
  bool first = !v;
  if (first)
    journal_kv_set(j, k.data, "1", &e);
  free(v);
  buf_release(&k);
  journal_close(j);
  return first;
}

static bool touches_events(struct server *s, json_t *push)
{
  size_t i;
  json_t *commit;
  size_t rl = strlen(s->events_rel);
  json_array_foreach(json_object_get(push, "commits"), i, commit) {
    static const char *const kinds[] = {"added", "modified", "removed"};
    for (size_t k = 0; k < 3; k++) {
      size_t m;
      json_t *p;
      json_array_foreach(json_object_get(commit, kinds[k]), m, p) {
        const char *path = json_string_value(p);
        if (path && (!rl || (strncmp(path, s->events_rel, rl) == 0 &&
                             path[rl] == '/')))
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

static enum MHD_Result github(struct server *s, struct MHD_Connection *c,
                              struct conn *cc)
{
  if (!s->github_secret.len)
    return error(c, 404, "not found");
  const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                "X-Hub-Signature-256");
  const char *event = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "X-GitHub-Event");
  const char *delivery = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     "X-GitHub-Delivery");
  struct err e;
  if (!sig || sig_github_verify(s->github_secret.data, sig, cc->body.data,
                                cc->body.len, &e) < 0) {
    logf_("POST /hooks/github 401: invalid signature");
    return error(c, 401, "invalid signature");
  }
  if (!event || !delivery) {
    logf_("POST /hooks/github 400: no X-GitHub-Event or X-GitHub-Delivery");
    return error(c, 400, "bad request");
  }
  if (strcmp(event, "ping") == 0) {
    logf_("POST /hooks/github 200: ping %s", delivery);
    return reply(c, 200, json_pack("{s:b}", "ok", 1));
  }
  if (strcmp(event, "push") != 0) {
    logf_("POST /hooks/github 204: ignored event %s", event);
    return reply(c, 204, json_object());
  }
  if (!first_time(s, "github", delivery)) {
    logf_("POST /hooks/github 200: delivery %s seen before; ignored",
          delivery);
    return reply(c, 200, json_pack("{s:b}", "duplicate", 1));
  }
  json_t *push = json_loadb(cc->body.data, cc->body.len, 0, NULL);
  const char *ref = json_string_value(json_object_get(push, "ref"));
  const char *before = json_string_value(json_object_get(push, "before"));
  const char *after = json_string_value(json_object_get(push, "after"));
  const char *branch = s->a->cfg.serve_branch ? s->a->cfg.serve_branch
                                              : "main";
  enum MHD_Result ok;
  if (!ref || !is_sha(before) || !is_sha(after)) {
    logf_("POST /hooks/github 400: not a push payload");
    ok = error(c, 400, "bad request");
  } else if (strncmp(ref, "refs/heads/", 11) != 0 ||
             strcmp(ref + 11, branch) != 0) {
    logf_("POST /hooks/github 204: push to %s, not %s; ignored", ref, branch);
    ok = reply(c, 204, json_object());
  } else if (!touches_events(s, push)) {
    logf_("POST /hooks/github 204: push %.12s..%.12s does not touch %s",
          before, after, s->events_rel[0] ? s->events_rel : "the events");
    ok = reply(c, 204, json_object());
  } else {
    struct job *j = xcalloc(1, sizeof(*j));
    j->before = xstrdup(before);
    j->after = xstrdup(after);
    *s->tail = j;
    s->tail = &j->next;
    cc->job = j;
    logf_("POST /hooks/github 202: push %.12s..%.12s to %s queued", before,
          after, branch);
    ok = reply(c, 202, json_pack("{s:b}", "queued", 1));
  }
  json_decref(push);
  return ok;
}

static enum MHD_Result announce(struct server *s, struct MHD_Connection *c,
                                struct conn *cc)
{
  if (!s->announce_key.len)
    return error(c, 404, "not found");
  const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "webhook-id");
  const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "webhook-timestamp");
  const char *sigs = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 "webhook-signature");
  struct err e;
  char *end = NULL;
  long long t = ts ? strtoll(ts, &end, 10) : 0;
  if (!id || !ts || !sigs || !*ts || *end ||
      sig_verify(s->announce_key.data, id, t, sigs, cc->body.data,
                 cc->body.len, time(NULL), &e) < 0) {
    logf_("POST /hooks/announce 401: %s", id && ts && sigs && !*end
                                              ? e.msg
                                              : "missing headers");
    return error(c, 401, "invalid or expired signature");
  }
  if (!first_time(s, "announce", id)) {
    logf_("POST /hooks/announce 409: webhook-id %s replayed", id);
    return error(c, 409, "replayed");
  }
  json_t *req = json_loadb(cc->body.data, cc->body.len, 0, NULL);
  const char *what = json_string_value(json_object_get(req, "event"));
  json_t *chans = json_object_get(req, "channels");
  json_t *dry = json_object_get(req, "dry_run");
  if (!what || (chans && !json_is_array(chans)) ||
      (dry && !json_is_boolean(dry))) {
    json_decref(req);
    logf_("POST /hooks/announce 400: bad request body");
    return error(c, 400, "expected {\"event\": ID, \"channels\": [...], "
                         "\"dry_run\": false}");
  }
  const char **names = NULL;
  if (chans) {
    names = xcalloc(json_array_size(chans) + 1, sizeof(*names));
    size_t i;
    json_t *v;
    json_array_foreach(chans, i, v) names[i] = json_string_value(v);
  }
  enum MHD_Result ok;
  struct diags d;
  diags_init(&d);
  const struct event *ev = site_find(&s->a->site, what, &d, &e);
  diags_release(&d);
  if (!ev) {
    logf_("POST /hooks/announce 404: no event %s", what);
    ok = error(c, 404, "no such event");
  } else {
    json_t *results = json_array();
    when_now(&s->a->now, &e);
    int rc = announce_event(s->a, ev, names, json_is_true(dry), false,
                            s->a->verbose, results);
    logf_("POST /hooks/announce 200: %s%s → exit %d", ev->id,
          json_is_true(dry) ? " (dry run)" : "", rc);
    ok = reply(c, 200, json_pack("{s:i, s:o}", "status", rc, "results",
                                 results));
  }
  free(names);
  json_decref(req);
  return ok;
}

static enum MHD_Result healthz(struct server *s, struct MHD_Connection *c)
{
  struct err e;
  struct journal *j = journal_open(s->a->cfg.journal, 2000, &e);
  if (!j) {
    logf_("GET /healthz 503: %s", e.msg);
    return error(c, 503, "journal unavailable");
  }
  journal_close(j);
  return reply(c, 200, json_pack("{s:s}", "status", "ok"));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **ptr)
{
  (void)version;
  struct server *s = cls;
  struct conn *cc = *ptr;
  if (!cc) {
    cc = xcalloc(1, sizeof(*cc));
    buf_init(&cc->body);
    *ptr = cc;
    return MHD_YES;
  }
  if (*size) {
    if (cc->body.len + *size > SERVE_MAX_BODY)
      cc->too_large = true;
    else
      buf_add(&cc->body, data, *size);
    *size = 0;
    return MHD_YES;
  }
  if (cc->too_large) {
    logf_("%s %s 413: body over %zu bytes", method, url, SERVE_MAX_BODY);
    return error(c, 413, "body too large");
  }
  bool post = strcmp(method, "POST") == 0;
  if (strcmp(url, "/healthz") == 0)
    return strcmp(method, "GET") == 0 ? healthz(s, c)
                                      : error(c, 405, "method not allowed");
  if (strcmp(url, "/hooks/github") == 0)
    return post ? github(s, c, cc) : error(c, 405, "method not allowed");
  if (strcmp(url, "/hooks/announce") == 0)
    return post ? announce(s, c, cc) : error(c, 405, "method not allowed");
  logf_("%s %s 404", method, url);
  return error(c, 404, "not found");
}

static void on_done(void *cls, struct MHD_Connection *c, void **ptr,
                    enum MHD_RequestTerminationCode code)
{
  (void)cls;
  (void)c;
  (void)code;
  struct conn *cc = *ptr;
  if (cc) {
    if (cc->job)
      cc->job->ready = true;
    buf_release(&cc->body);
    free(cc);
  }
  *ptr = NULL;
}

/* A queued push: pull, reload the site, send what the range changed. */
static void run_job(struct server *s, struct job *j)
{
  struct err e;
  struct buf out = BUF_INIT;
  const char *pull[] = {"git", "-C", s->top, "pull", "--ff-only", "-q", NULL};
  if (proc_capture(pull, 1 << 20, &out, &e) < 0) {
    logf_("push %.12s..%.12s: %s", j->before, j->after, e.msg);
    buf_release(&out);
    return;
  }
  buf_release(&out);
  site_release(&s->a->site);
  diags_release(&s->a->diags);
  diags_init(&s->a->diags);
  if (site_load(&s->a->site, &s->a->cfg, &s->a->diags, false) < 0) {
    diags_print(&s->a->diags);
    logf_("push %.12s..%.12s: the site does not load", j->before, j->after);
    return;
  }
  diags_print(&s->a->diags);
  when_now(&s->a->now, &e);
  int rc = changed_range(s->a, j->before, j->after, false, NULL);
  logf_("push %.12s..%.12s: done, exit %d", j->before, j->after, rc);
}

static long atoi_positive(const char *s)
{
  char *end;
  long v = strtol(s, &end, 10);
  return *end || v <= 0 || v > 3600 ? -1 : v;
}

static int parse_listen(const char *spec, struct sockaddr_in *sa,
                        struct err *e)
{
  const char *colon = strrchr(spec, ':');
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  char host[64];
  if (!colon || (size_t)(colon - spec) >= sizeof(host))
    return err_set(e, EX_USAGE, "listen address '%s' is not ADDR:PORT",
                   spec);
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535 ||
      inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                &sa->sin_addr) != 1)
    return err_set(e, EX_USAGE, "listen address '%s' is not IPv4ADDR:PORT",
                   spec);
  sa->sin_port = htons((uint16_t)port);
  return 0;
}

int cmd_serve(struct app *a, int argc, char **argv)
{
  const char *listen = NULL;
  const struct opt opts[] = {{"--listen", 0, true, &listen, NULL, NULL},
                             {NULL, 0, false, NULL, NULL, NULL}};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, usage, false, &rc))
    return rc;
  struct server s = {.a = a};
  s.tail = &s.jobs;
  buf_init(&s.github_secret);
  buf_init(&s.announce_key);
  struct err e;
  if (a->cfg.serve_github_secret.kind &&
      secret_get(&a->cfg.serve_github_secret, "serve.github_secret",
                 &s.github_secret, &e) < 0) {
    cli_error("%s", e.msg);
    return EX_CONFIG;
  }
  if (a->cfg.serve_announce_secret.kind &&
      secret_get(&a->cfg.serve_announce_secret, "serve.announce_secret",
                 &s.announce_key, &e) < 0) {
    cli_error("%s", e.msg);
    secret_wipe(&s.github_secret);
    return EX_CONFIG;
  }
  if (s.announce_key.len && strncmp(s.announce_key.data, "whsec_", 6) != 0 &&
      strncmp(s.announce_key.data, "whpk_", 5) != 0) {
    cli_error("serve.announce_secret must be a whsec_ secret or a whpk_ "
              "public key");
    secret_wipe(&s.github_secret);
    secret_wipe(&s.announce_key);
    return EX_CONFIG;
  }
  if (!s.github_secret.len && !s.announce_key.len) {
    cli_error("serve needs serve.github_secret or serve.announce_secret in "
              "%s", a->config_path);
    return EX_CONFIG;
  }
  /* where the events live inside the site repository */
  struct buf top = BUF_INIT;
  const char *top_argv[] = {"git", "-C", a->cfg.events_dir, "rev-parse",
                            "--show-toplevel", NULL};
  char real[PATH_MAX];
  if (proc_capture(top_argv, 4096, &top, &e) == 0 &&
      realpath(a->cfg.events_dir, real)) {
    buf_rtrim(&top);
    const char *rel = real + top.len;
    while (*rel == '/')
      rel++;
    s.events_rel = xstrdup(rel);
    s.top = buf_detach(&top);
  } else {
    if (s.github_secret.len)
      cli_warn(a, "%s is not in a git checkout: GitHub pushes cannot be "
               "pulled", a->cfg.events_dir);
    s.events_rel = xstrdup("");
    s.top = xstrdup(a->cfg.events_dir);
  }
  buf_release(&top);
  struct sockaddr_in sa;
  const char *spec = listen ? listen
                     : a->cfg.serve_listen ? a->cfg.serve_listen
                                           : "127.0.0.1:8787";
  if (parse_listen(spec, &sa, &e) < 0) {
    cli_error("%s", e.msg);
    rc = EX_USAGE;
    goto out;
  }
  /* a slow client is cut off after this many idle seconds */
  unsigned timeout = 10;
  const char *t_env = getenv("CRIER_SERVE_TIMEOUT");
  if (t_env && atoi_positive(t_env) > 0)
    timeout = (unsigned)atoi_positive(t_env);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL, on_request, &s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)8,
      MHD_OPTION_CONNECTION_TIMEOUT, timeout,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
      MHD_OPTION_NOTIFY_COMPLETED, on_done, &s, MHD_OPTION_END);
  if (!d) {
    cli_error("cannot listen on %s: %s", spec, strerror(errno));
    rc = EX_UNAVAILABLE;
    goto out;
  }
  struct sigaction act = {.sa_handler = on_signal};
  sigaction(SIGINT, &act, NULL);
  sigaction(SIGTERM, &act, NULL);
  signal(SIGPIPE, SIG_IGN);
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  logf_("listening on %s:%u (github hooks %s, announce hooks %s)",
        inet_ntoa(sa.sin_addr), info ? info->port : ntohs(sa.sin_port),
        s.github_secret.len ? "on" : "off", s.announce_key.len ? "on" : "off");
  while (!stopping) {
    MHD_run_wait(d, 500);
    /* jobs run once their answer has gone out: GitHub does not wait */
    while (s.jobs && s.jobs->ready && !stopping) {
      struct job *j = s.jobs;
      s.jobs = j->next;
      if (!s.jobs)
        s.tail = &s.jobs;
      run_job(&s, j);
      free(j->before);
      free(j->after);
      free(j);
    }
  }
  logf_("stopping");
  MHD_stop_daemon(d);
  rc = 0;
out:
  while (s.jobs) {
    struct job *j = s.jobs;
    s.jobs = j->next;
    free(j->before);
    free(j->after);
    free(j);
  }
  free(s.events_rel);
  free(s.top);
  secret_wipe(&s.github_secret);
  secret_wipe(&s.announce_key);
  return rc;
}
