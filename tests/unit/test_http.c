/* The HTTP engine against a small loopback server run by the test: retries
 * restart a task and count, a retry gives up as temporary, configuration
 * errors are not retried, requests that share a serial key never overlap
 * (those that do not, do), the window bounds the tasks under way and the
 * host limit the requests at once to one host, the begin/end hooks see
 * every task once, and a stop begins nothing new. Every case runs twice:
 * through the transport (transport.h: libcurl in a second process, never
 * in this one), then in-process, after a transport killed with a request
 * under way has handed that request back as a lost connection. A
 * transport found dead when a request is written to it is not crier's
 * death (SIGPIPE): the engine goes on in-process. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "http.h"
#include "lazy.h"
#include "transport.h"

/* The server: each connection is answered on a thread of its own after
 * `delay_ms`, with the next status from `statuses` (then 200). It counts
 * requests and the most connections it held at once. */
static struct {
  int fd, port;
  pthread_mutex_t mu;
  int statuses[8], nstatuses, next;
  int delay_ms;
  int requests, in_flight, max_in_flight;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *serve_one(void *arg)
{
  int c = (int)(intptr_t)arg;
  char buf[8192];
  ssize_t n = recv(c, buf, sizeof(buf) - 1, 0);
  (void)n;
  pthread_mutex_lock(&srv.mu);
  srv.requests++;
  srv.in_flight++;
  if (srv.in_flight > srv.max_in_flight)
    srv.max_in_flight = srv.in_flight;
  int status = srv.next < srv.nstatuses ? srv.statuses[srv.next++] : 200;
  int delay = srv.delay_ms;
  pthread_mutex_unlock(&srv.mu);
  struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  char resp[256];
  int len = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: "
                     "close\r\n\r\nok",
                     status);
  pthread_mutex_lock(&srv.mu);
  srv.in_flight--;
  pthread_mutex_unlock(&srv.mu);
  send(c, resp, (size_t)len, MSG_NOSIGNAL);
  shutdown(c, SHUT_RDWR);
  close(c);
  return NULL;
}

static void *accept_loop(void *arg)
{
  (void)arg;
  for (;;) {
    int c = accept(srv.fd, NULL, NULL);
    if (c < 0)
      return NULL;
    pthread_t t;
    pthread_create(&t, NULL, serve_one, (void *)(intptr_t)c);
    pthread_detach(t);
  }
}

static void start_server(void)
{
  srv.fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(srv.fd, (struct sockaddr *)&a, sizeof(a));
  listen(srv.fd, 64);
  socklen_t l = sizeof(a);
  getsockname(srv.fd, (struct sockaddr *)&a, &l);
  srv.port = ntohs(a.sin_port);
  pthread_t t;
  pthread_create(&t, NULL, accept_loop, NULL);
  pthread_detach(t);
}

static void reset_server(const int *statuses, int n, int delay_ms)
{
  pthread_mutex_lock(&srv.mu);
  for (int i = 0; i < n; i++)
    srv.statuses[i] = statuses[i];
  srv.nstatuses = n;
  srv.next = 0;
  srv.delay_ms = delay_ms;
  srv.requests = srv.in_flight = srv.max_in_flight = 0;
  pthread_mutex_unlock(&srv.mu);
}

/* A task that GETs url (a serial key optional) and is done on a 2xx. */
struct probe {
  struct http_task task;
  const char *url;
  const char *serial;
  int steps;
};

static enum step probe_step(struct http_task *t, const struct http_resp *prev,
                            struct http_req *req)
{
  struct probe *p = t->ud;
  p->steps++;
  if (!prev) {
    buf_adds(&req->url, p->url);
    req->method = HTTP_GET;
    req->serial = p->serial;
    return STEP_SEND;
  }
  if (prev->code == CURLE_OK && prev->status == 200)
    return STEP_DONE;
  snprintf(t->error, sizeof(t->error), "status %ld", prev->status);
  if (http_config_error(prev))
    t->config_error = true;
  return http_temporary(prev) ? STEP_RETRY : STEP_FAIL;
}

static char url[64];

static void probe_init(struct probe *p, const char *u, const char *serial)
{
  memset(p, 0, sizeof(*p));
  p->url = u;
  p->serial = serial;
  p->task.step = probe_step;
  p->task.ud = p;
  p->task.timeout = 5;
}

static int begun, ended;
static void on_begin(void *ud, struct http_task **t, size_t n)
{
  (void)ud;
  (void)t;
  begun += (int)n;
}
static void on_end(void *ud, struct http_task **t, size_t n)
{
  (void)ud;
  (void)t;
  ended += (int)n;
}

/* on_idle: how often, and what had begun and ended at its first call */
static int idles, idle_begun, idle_ended;
static bool kill_on_idle; /* on_idle kills the transport */
static void on_idle(void *ud)
{
  (void)ud;
  if (kill_on_idle && transport_pid() > 0) {
    kill((pid_t)transport_pid(), SIGKILL);
    kill_on_idle = false;
  }
  if (!idles++) {
    idle_begun = begun;
    idle_ended = ended;
  }
}

static long host_limit; /* requests at once to one host (0: default) */

static void run_all(struct probe *p, size_t n, size_t window,
                    volatile int *stop)
{
  struct http_opts o = {.retry_base = 0.01,
                        .window = window,
                        .host_connections = host_limit,
                        .on_begin = on_begin,
                        .on_end = on_end,
                        .on_idle = on_idle,
                        .stop = stop};
  struct http_engine *h = http_new(&o);
  for (size_t i = 0; i < n; i++)
    http_add(h, &p[i].task);
  begun = ended = idles = idle_begun = idle_ended = 0;
  http_run(h);
  http_free(h);
}

static void retries_restart_and_count(void)
{
  static const int s[] = {503, 502};
  reset_server(s, 2, 0);
  struct probe p;
  probe_init(&p, url, NULL);
  p.task.retries = 3;
  run_all(&p, 1, 0, NULL);
  INT_EQ(p.task.outcome, STEP_DONE);
  INT_EQ(p.task.restarts, 2);
  INT_EQ(srv.requests, 3);
  INT_EQ(p.steps, 6); /* each try: the first step and its answer */
  INT_EQ(begun, 1);
  INT_EQ(ended, 1);
}

static void retries_give_up_as_temporary(void)
{
  static const int s[] = {500, 500, 500, 500};
  reset_server(s, 4, 0);
  struct probe p;
  probe_init(&p, url, NULL);
  p.task.retries = 1;
  run_all(&p, 1, 0, NULL);
  INT_EQ(p.task.outcome, STEP_RETRY);
  INT_EQ(srv.requests, 2);
  INT_EQ(p.task.restarts, 1);
}

static void a_refusal_is_not_retried(void)
{
  static const int s[] = {404};
  reset_server(s, 1, 0);
  struct probe p;
  probe_init(&p, url, NULL);
  run_all(&p, 1, 0, NULL);
  INT_EQ(p.task.outcome, STEP_FAIL);
  INT_EQ(srv.requests, 1);
}

static void tls_to_a_plain_port_is_configuration(void)
{
  reset_server(NULL, 0, 0);
  char tls[64];
  snprintf(tls, sizeof(tls), "https://127.0.0.1:%d/x", srv.port);
  struct probe p;
  probe_init(&p, tls, NULL);
  p.task.retries = 3;
  run_all(&p, 1, 0, NULL);
  INT_EQ(p.task.outcome, STEP_FAIL);
  OK(p.task.config_error, "a TLS handshake against plain HTTP: %s",
     p.task.error);
  INT_EQ(p.task.restarts, 0);
}

static void serial_requests_never_overlap(void)
{
  reset_server(NULL, 0, 150);
  struct probe p[3];
  for (int i = 0; i < 3; i++)
    probe_init(&p[i], url, "one-repository");
  run_all(p, 3, 0, NULL);
  INT_EQ(srv.requests, 3);
  INT_EQ(srv.max_in_flight, 1);
  /* the engine was idle once, with the first request under way: after
   * its claim, before any outcome */
  INT_EQ(idles, 1);
  INT_EQ(idle_begun, 3);
  INT_EQ(idle_ended, 0);
  /* without a key they do (the negative control) */
  reset_server(NULL, 0, 150);
  for (int i = 0; i < 3; i++)
    probe_init(&p[i], url, NULL);
  run_all(p, 3, 0, NULL);
  OK(srv.max_in_flight > 1, "unkeyed requests overlap: %d", srv.max_in_flight);
}

static void the_window_bounds_tasks_under_way(void)
{
  reset_server(NULL, 0, 100);
  struct probe p[8];
  for (int i = 0; i < 8; i++)
    probe_init(&p[i], url, NULL);
  run_all(p, 8, 3, NULL);
  INT_EQ(srv.requests, 8);
  OK(srv.max_in_flight <= 3, "at most 3 at once: %d", srv.max_in_flight);
  INT_EQ(begun, 8);
  INT_EQ(ended, 8);
  for (int i = 0; i < 8; i++)
    INT_EQ(p[i].task.outcome, STEP_DONE);
}

static void the_host_limit_bounds_requests_to_a_host(void)
{
  reset_server(NULL, 0, 150);
  struct probe p[8];
  for (int i = 0; i < 8; i++)
    probe_init(&p[i], url, NULL);
  host_limit = 2;
  run_all(p, 8, 0, NULL);
  INT_EQ(srv.requests, 8);
  OK(srv.max_in_flight <= 2, "2 at once to one host: %d", srv.max_in_flight);
  for (int i = 0; i < 8; i++)
    INT_EQ(p[i].task.outcome, STEP_DONE);
  /* the limit is per host: the same server under a second name takes two
   * more at once */
  char other[64];
  snprintf(other, sizeof(other), "http://localhost:%d/x", srv.port);
  reset_server(NULL, 0, 150);
  for (int i = 0; i < 8; i++)
    probe_init(&p[i], i % 2 ? other : url, NULL);
  run_all(p, 8, 0, NULL);
  INT_EQ(srv.requests, 8);
  OK(srv.max_in_flight > 2 && srv.max_in_flight <= 4,
     "2 at once to each of two hosts: %d", srv.max_in_flight);
  host_limit = 0;
}

static void a_stop_begins_nothing(void)
{
  reset_server(NULL, 0, 0);
  struct probe p[2];
  probe_init(&p[0], url, NULL);
  probe_init(&p[1], url, NULL);
  volatile int stop = 1;
  run_all(p, 2, 0, &stop);
  INT_EQ(srv.requests, 0);
  INT_EQ(begun, 0);
  OK(!p[0].task.begun && !p[1].task.begun, "no task began");
}

/* A transport that died before a request went to it: the write fails
 * (EPIPE: crier is not killed by SIGPIPE), nothing went out through it,
 * and the engine sends in-process. In a process of its own: a process
 * starts one transport at most. */
static void a_transport_dead_before_a_request(void)
{
  reset_server(NULL, 0, 0);
  pid_t pid = fork();
  if (pid == 0) {
    http_warm();
    struct err e;
    if (http_ready(&e) != 0)
      _exit(10);
    pid_t tp = (pid_t)transport_pid();
    kill(tp, SIGKILL);
    siginfo_t si;
    waitid(P_PID, (id_t)tp, &si, WEXITED | WNOWAIT); /* dead, not reaped */
    struct probe p;
    probe_init(&p, url, NULL);
    run_all(&p, 1, 0, NULL);
    _exit(p.task.outcome != STEP_DONE ? 11 : transport_on() ? 12 : 0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the test's process: %s %d",
     WIFEXITED(st) ? "exit" : "signal",
     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
  INT_EQ(srv.requests, 1);
  OK(!lazy_loaded(LAZY_CURL), "nor did this process load libcurl");
}

/* http_warm starts the transport: libcurl loads in a second process,
 * never in this one, and the engine's requests go through it. */
static void the_transport_sends_and_libcurl_stays_out(void)
{
  OK(!lazy_loaded(LAZY_CURL), "libcurl is not loaded before");
  http_warm();
  long pid = transport_pid();
  http_warm(); /* a second call starts nothing more */
  OK(pid > 0 && transport_pid() == pid, "one transport process: %ld", pid);
  struct err e = {0};
  INT_EQ(http_ready(&e), 0);
  reset_server(NULL, 0, 0);
  struct probe p;
  probe_init(&p, url, NULL);
  run_all(&p, 1, 0, NULL);
  INT_EQ(srv.requests, 1);
  INT_EQ(p.task.outcome, STEP_DONE);
  OK(!lazy_loaded(LAZY_CURL), "this process never loaded libcurl");
  OK(transport_on(), "the transport still runs");
}

/* The transport killed while a request is under way: the request comes
 * back as a lost connection (the step function retries it, as it would a
 * connection that broke), and the engine goes on in-process. */
static void a_lost_transport_is_a_lost_connection(void)
{
  OK(transport_on(), "a transport runs");
  long pid = transport_pid();
  reset_server(NULL, 0, 300);
  struct probe p;
  probe_init(&p, url, NULL);
  p.task.retries = 2;
  kill_on_idle = true;
  run_all(&p, 1, 0, NULL);
  OK(!kill_on_idle, "the transport was killed with the request under way");
  INT_EQ(p.task.outcome, STEP_DONE);
  INT_EQ(p.task.restarts, 1);
  OK(srv.requests >= 1, "sent again: %d", srv.requests);
  OK(!transport_on(), "the engine no longer uses it");
  OK(lazy_loaded(LAZY_CURL), "and sent in-process");
  OK(transport_pid() == pid, "no second transport was started");
}

static void url_policy(void)
{
  OK(http_url_allowed("https://api.github.com"), "https");
  OK(http_url_allowed(url), "http to 127.0.0.1");
  OK(!http_url_allowed("http://127.attacker.example/x"), "a name is no IP");
  OK(!http_url_allowed("http://example.org/"), "plain http elsewhere");
  OK(http_url_loopback("http://[::1]:8080/"), "[::1]");
}

int main(void)
{
  start_server();
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", srv.port);
#define ENGINE_CASES                                                           \
  CASE(retries_restart_and_count);                                             \
  CASE(retries_give_up_as_temporary);                                          \
  CASE(a_refusal_is_not_retried);                                              \
  CASE(tls_to_a_plain_port_is_configuration);                                  \
  CASE(serial_requests_never_overlap);                                         \
  CASE(the_window_bounds_tasks_under_way);                                     \
  CASE(the_host_limit_bounds_requests_to_a_host);                              \
  CASE(a_stop_begins_nothing)
  /* first: nothing loaded yet, no transport started */
  CASE(a_transport_dead_before_a_request);
  CASE(the_transport_sends_and_libcurl_stays_out);
  ENGINE_CASES;
  OK(!lazy_loaded(LAZY_CURL), "every case ran in the transport");
  CASE(a_lost_transport_is_a_lost_connection);
  ENGINE_CASES; /* in-process */
  CASE(url_policy);
  close(srv.fd);
  return t_summary();
}
