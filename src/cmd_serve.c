/* crier serve: receive signed webhooks that trigger announcements.
 *
 * Design. Two threads and a bounded queue between them (the main thread
 * only starts them and waits for a signal):
 *
 * - The HTTP thread (libmicrohttpd's polling thread, serve_http.c) reads
 *   a request (at most 1 MiB), checks its signature over the raw bytes
 *   before anything is parsed, checks it against the config and the
 *   queue, and answers at once: health, pings, refusals,
 *   202 for an accepted push, 503 with Retry-After for what cannot be
 *   taken now (the queue is full, the same id is being worked on, the
 *   service is stopping). An accepted announce request waits for its
 *   results on a suspended connection, which costs the thread nothing. It
 *   never touches the journal, git, a channel or the site, so it answers
 *   within a second whatever the work does.
 * - The worker thread (serve_work.c) takes one job at a time and owns the
 *   journal, git (each pull with a time limit), the site (loaded again for
 *   every job: an announce sees the files as they are now), the
 *   deliveries (libcurl) and secret.c's list of secrets. A push whose work
 *   failed for a while (the journal is busy, git or a channel failed
 *   temporarily) goes back into the queue and is tried again later,
 *   doubling the wait; an announce is answered 200, 502/503 (the sender
 *   may send the same id again) or 422.
 * - The calendar feed (GET /events.ics) is made by the worker, which
 *   owns what it needs (the site, the journal's sequences), when it is
 *   idle after a push and every few minutes, and handed to the HTTP
 *   thread as bytes under a mutex of their own; the HTTP thread answers
 *   from those bytes (ETag, Last-Modified, 304), never from the site.
 * - The queue (serve_queue.c) holds the jobs, the ids whose work finished
 *   (loaded from the journal, where the worker records each one only after
 *   its work finished) and what /healthz reports, under one mutex held
 *   only for moments.
 *
 * SIGTERM or SIGINT: no new work (503), waiting announce requests are
 * answered 503, git is stopped; the running job gets a few seconds to
 * finish, else it is recorded as not done. Pushes not done are written to
 * a spool file beside the journal and queued again at the next start, so
 * an accepted push is never dropped. Exit 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hooks.h"
#include "lazy.h"
#include "proc.h"
#include "secret.h"
#include "serve.h"
#include "xalloc.h"

#define STOP_GRACE_S 5.0 /* for the running job after SIGTERM */
#define PUSH_ATTEMPTS 8
#define PUSH_RETRY_S 10.0 /* the first wait before a push is tried again */

static const struct cmd_help help = {
    "serve", "[options]",
    "A small HTTP server that accepts only signed requests (put TLS in a\n"
    "reverse proxy in front of it):\n"
    "  POST /hooks/github    GitHub push webhooks (X-Hub-Signature-256 with\n"
    "                        serve.github_secret): pushes to serve.branch\n"
    "                        that touch the events are answered 202, then\n"
    "                        pulled (git pull --ff-only) and handled as by\n"
    "                        'crier changed'\n"
    "  POST /hooks/announce  Standard Webhooks (v1 with a whsec_, v1a with a\n"
    "                        whpk_ serve.announce_secret) with {\"event\": "
    "ID,\n"
    "                        \"channels\": [...], \"dry_run\": false}; "
    "answers\n"
    "                        with the results: 200, 502/503 (send the same\n"
    "                        request again later), 422 (unknown event or\n"
    "                        channel)\n"
    "  GET  /healthz         the queue and the last job's result\n"
    "  GET  /events.ics      the calendar feed (as 'crier calendar' writes\n"
    "                        it), with ETag and Last-Modified; made again\n"
    "                        after a push and every 5 minutes\n",
    "SIGTERM stops it within a few seconds (exit 0).\n"};

static double mono(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ADDR:PORT (IPv4 or localhost) or [IPv6]:PORT; shown gets it back as
 * "ADDR" or "[ADDR]". */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
                        char *shown, size_t n, struct err *e)
{
  memset(ss, 0, sizeof(*ss));
  const char *host = spec, *host_end, *colon;
  bool v6 = spec[0] == '[';
  if (v6) {
    host++;
    host_end = strchr(host, ']');
    colon = host_end && host_end[1] == ':' ? host_end + 1 : NULL;
  } else {
    colon = strrchr(spec, ':');
    host_end = colon;
  }
  char h[INET6_ADDRSTRLEN + 1];
  char *end = NULL;
  long port = colon ? strtol(colon + 1, &end, 10) : 0;
  if (!colon || !host_end || (size_t)(host_end - host) >= sizeof(h) ||
      !colon[1] || *end || port < 1 || port > 65535)
    return err_set(e, EX_USAGE,
                   "listen address '%s' is not ADDR:PORT or [IPv6ADDR]:PORT",
                   spec);
  memcpy(h, host, (size_t)(host_end - host));
  h[host_end - host] = '\0';
  if (v6) {
    struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, h, &sa->sin6_addr) != 1)
      return err_set(e, EX_USAGE,
                     "listen address '%s': '%s' is not an IPv6 "
                     "address",
                     spec, h);
    snprintf(shown, n, "[%s]", h);
  } else {
    struct sockaddr_in *sa = (struct sockaddr_in *)ss;
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(h, "localhost") == 0)
      snprintf(h, sizeof(h), "127.0.0.1");
    if (inet_pton(AF_INET, h, &sa->sin_addr) != 1)
      return err_set(e, EX_USAGE,
                     "listen address '%s': '%s' is not an IPv4 "
                     "address (IPv6: [ADDR]:PORT)",
                     spec, h);
    snprintf(shown, n, "%s", h);
  }
  return 0;
}

/* Where the events live inside the site repository (git rev-parse). */
static void find_checkout(struct serve *s, struct app *a)
{
  struct err e;
  struct buf top = BUF_INIT;
  const char *top_argv[] = {
      "git", "-C", a->cfg.events_dir, "rev-parse", "--show-toplevel", NULL};
  char real[PATH_MAX];
  if (proc_capture(top_argv, 4096, &top, &e) == 0 &&
      realpath(a->cfg.events_dir, real)) {
    buf_rtrim(&top);
    const char *rel = real + top.len;
    while (*rel == '/')
      rel++;
    s->events_rel = xstrdup(rel);
    s->top = buf_detach(&top);
  } else {
    if (s->github_secret.len)
      cli_warn(a,
               "%s is not in a git checkout: GitHub pushes cannot be "
               "pulled",
               a->cfg.events_dir);
    s->events_rel = xstrdup("");
    s->top = xstrdup(a->cfg.events_dir);
  }
  buf_release(&top);
}

static int load_secrets(struct serve *s, struct app *a)
{
  struct err e;
  if (a->cfg.serve_github_secret.kind &&
      secret_get(&a->cfg.serve_github_secret, "serve.github_secret",
                 &s->github_secret, &e) < 0) {
    cli_error("%s", e.msg);
    return EX_CONFIG;
  }
  if (a->cfg.serve_announce_secret.kind &&
      secret_get(&a->cfg.serve_announce_secret, "serve.announce_secret",
                 &s->announce_key, &e) < 0) {
    cli_error("%s", e.msg);
    return EX_CONFIG;
  }
  if (s->announce_key.len && strncmp(s->announce_key.data, "whsec_", 6) != 0 &&
      strncmp(s->announce_key.data, "whpk_", 5) != 0) {
    cli_error("serve.announce_secret must be a whsec_ secret or a whpk_ "
              "public key");
    return EX_CONFIG;
  }
  if (!s->github_secret.len && !s->announce_key.len) {
    cli_error("serve needs serve.github_secret or serve.announce_secret in "
              "%s",
              a->config_path);
    return EX_CONFIG;
  }
  return 0;
}

static void nap(void)
{
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

/* After SIGTERM: the running job gets STOP_GRACE_S; requests keep being
 * answered meanwhile. Returns true when the worker ended. */
static bool wind_down(struct serve *s, struct MHD_Daemon *d)
{
  atomic_store(&s->stop, 1);
  serve_queue_stop(&s->q);
  double until = mono() + STOP_GRACE_S;
  while (!serve_queue_worker_gone(&s->q) && mono() < until)
    nap();
  bool gone = serve_queue_worker_gone(&s->q);
  char id[160];
  if (!gone && serve_queue_abandon(&s->q, id, sizeof(id)))
    serve_log("%s still running after %.0f s: recorded as not done", id,
              STOP_GRACE_S);
  serve_work_spool(s, true);
  json_t *left = serve_queue_pushes(&s->q, true);
  size_t i;
  json_t *v;
  json_array_foreach(left, i, v)
  {
    serve_log("push %s not done: kept in %s for the next start",
              json_string_value(json_object_get(v, "id")), s->spool);
  }
  json_decref(left);
  /* the answers just given go out */
  until = mono() + 1.0;
  const union MHD_DaemonInfo *info;
  while (mono() < until &&
         (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)) &&
         info->num_connections > 0)
    nap();
  return gone;
}

/* Listens, starts the worker, and waits for SIGTERM or SIGINT. Returns
 * the exit status (0 after a signal). */
static int run_service(struct serve *s, const struct sockaddr_storage *ss,
                       const char *spec, const char *shown)
{
  struct app *a = s->a;
  /* the libraries serve needs, loaded before any thread starts */
  struct err e;
  if (lazy_load(LAZY_MHD, &e) < 0 || lazy_load(LAZY_CURL, &e) < 0 ||
      lazy_load(LAZY_SODIUM, &e) < 0 || lazy_load(LAZY_JANSSON, &e) < 0 ||
      lazy_load(LAZY_YAML, &e) < 0) {
    cli_error("%s", e.msg);
    return EX_UNAVAILABLE;
  }
  /* a slow client is cut off after this many idle seconds */
  unsigned timeout = 10;
  if (test_hooks.serve_timeout > 0)
    timeout = (unsigned)test_hooks.serve_timeout;
  bool v6 = ss->ss_family == AF_INET6;
  uint16_t port = ntohs(v6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                           : ((const struct sockaddr_in *)ss)->sin_port);
  /* SIGINT and SIGTERM are taken by sigwait below: every thread (the
   * HTTP thread, the worker) starts with them blocked; children get them
   * back (proc.c) */
  /* git never asks for a password: it fails (or runs out of time); set
   * before any thread starts */
  setenv("GIT_TERMINAL_PROMPT", "0", 1);
  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, &old);
  signal(SIGPIPE, SIG_IGN);
  /* each announce waiting for its results holds a connection, and behind
   * a reverse proxy every request comes from one address */
  unsigned queue = (unsigned)a->cfg.serve_queue;
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_ERROR_LOG | MHD_USE_AUTO_INTERNAL_THREAD |
          MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0),
      port, NULL, NULL, serve_http_request, s,
      /* first: the options before it log through the default */
      MHD_OPTION_EXTERNAL_LOGGER, serve_http_mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
      MHD_OPTION_CONNECTION_LIMIT, queue + 64,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, queue + 16,
      MHD_OPTION_CONNECTION_TIMEOUT, timeout,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
      MHD_OPTION_NOTIFY_COMPLETED, serve_http_done, s, MHD_OPTION_END);
  if (!d) {
    cli_error("cannot listen on %s: %s", spec, strerror(errno));
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return EX_UNAVAILABLE;
  }
  size_t again = serve_work_unspool(s);
  if (again)
    serve_log("%zu push(es) not done at the last stop queued again (%s)", again,
              s->spool);
  pthread_t worker;
  int pr = pthread_create(&worker, NULL, serve_work_main, s);
  if (pr != 0) {
    cli_error("cannot start the worker thread: %s", strerror(pr));
    serve_queue_stop(&s->q);
    MHD_stop_daemon(d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return EX_OSERR;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  serve_log("listening on %s:%u (github hooks %s, announce hooks %s, queue "
            "%ld, git %ld s)",
            shown, info ? info->port : port,
            s->github_secret.len ? "on" : "off",
            s->announce_key.len ? "on" : "off", a->cfg.serve_queue,
            a->cfg.serve_git_timeout);
  int sig = 0;
  while (sigwait(&sigs, &sig) != 0)
    ;
  serve_log("%s: stopping: no new work; the running job has %.0f s",
            sig == SIGINT ? "SIGINT" : "SIGTERM", STOP_GRACE_S);
  bool ended = wind_down(s, d);
  MHD_stop_daemon(d);
  if (!ended) {
    /* the worker is inside a delivery: the journal records it as
     * 'sending', and the next run finishes it */
    serve_log("stopped");
    fflush(stderr);
    _exit(0);
  }
  pthread_join(worker, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  serve_log("stopped");
  return 0;
}

int cmd_serve(struct app *a, int argc, char **argv)
{
  const char *listen = NULL;
  const struct opt opts[] = {
      OPT_STRING(0, "--listen", &listen, "ADDR:PORT",
                 "default serve.listen, else 127.0.0.1:8787;\n"
                 "[::1]:PORT for IPv6"),
      OPT_END()};
  int rc;
  if (!cli_start_site(a, argc, argv, opts, &help, false, &rc))
    return rc;
  struct serve s = {.a = a};
  buf_init(&s.github_secret);
  buf_init(&s.announce_key);
  serve_queue_init(&s.q, (size_t)a->cfg.serve_queue);
  s.q.resume = serve_http_resume;
  pthread_mutex_init(&s.spool_mu, NULL);
  pthread_mutex_init(&s.feed_mu, NULL);
  s.git_timeout_ms = (int)a->cfg.serve_git_timeout * 1000;
  s.max_attempts = PUSH_ATTEMPTS;
  s.retry_base = PUSH_RETRY_S;
  if (test_hooks.serve_retry_ms > 0)
    s.retry_base = (double)test_hooks.serve_retry_ms / 1000.0;
  struct buf sp = BUF_INIT;
  buf_addf(&sp, "%s.serve-queue", a->cfg.journal);
  s.spool = buf_detach(&sp);
  struct err e;
  struct sockaddr_storage ss;
  char shown[INET6_ADDRSTRLEN + 3];
  const char *spec = listen                ? listen
                     : a->cfg.serve_listen ? a->cfg.serve_listen
                                           : "127.0.0.1:8787";
  rc = load_secrets(&s, a);
  if (rc)
    goto out;
  if (parse_listen(spec, &ss, shown, sizeof(shown), &e) < 0) {
    cli_error("%s", e.msg);
    rc = EX_USAGE;
    goto out;
  }
  find_checkout(&s, a);
  rc = run_service(&s, &ss, spec, shown);
out:
  serve_queue_release(&s.q);
  pthread_mutex_destroy(&s.spool_mu);
  pthread_mutex_destroy(&s.feed_mu);
  free(s.feed);
  free(s.events_rel);
  free(s.top);
  free(s.spool);
  secret_wipe(&s.github_secret);
  secret_wipe(&s.announce_key);
  return rc;
}
