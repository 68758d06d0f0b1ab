#define _GNU_SOURCE /* sched_getcpu, CPU_*, close_range */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "lazy.h"
#include "xalloc.h"

/* ---- messages: a 32-bit length, then the fields in order ---- */

#define NO_STR UINT32_MAX /* a string's length when it is NULL */

static void put_u32(struct buf *b, uint32_t v)
{
  buf_add(b, &v, sizeof(v));
}

static void put_i64(struct buf *b, int64_t v)
{
  buf_add(b, &v, sizeof(v));
}

static void put_f64(struct buf *b, double v)
{
  buf_add(b, &v, sizeof(v));
}

static void put_str(struct buf *b, const char *s, size_t n)
{
  if (!s) {
    put_u32(b, NO_STR);
    return;
  }
  put_u32(b, (uint32_t)n);
  buf_add(b, s, n);
}

static void put_cstr(struct buf *b, const char *s)
{
  put_str(b, s, s ? strlen(s) : 0);
}

static void put_list(struct buf *b, const struct curl_slist *l)
{
  uint32_t n = 0;
  for (const struct curl_slist *i = l; i; i = i->next)
    n++;
  put_u32(b, n);
  for (; l; l = l->next)
    put_cstr(b, l->data);
}

/* Starts a message in b: its length is filled in by msg_end. */
static size_t msg_begin(struct buf *b)
{
  size_t at = b->len;
  put_u32(b, 0);
  return at;
}

static void msg_end(struct buf *b, size_t at)
{
  uint32_t n = (uint32_t)(b->len - at - sizeof(uint32_t));
  memcpy(b->data + at, &n, sizeof(n));
}

struct rd {
  const char *p;
  size_t n;
  bool bad; /* a field ran past the message */
};

static void get(struct rd *r, void *out, size_t n)
{
  if (r->bad || r->n < n) {
    r->bad = true;
    memset(out, 0, n);
    return;
  }
  memcpy(out, r->p, n);
  r->p += n;
  r->n -= n;
}

static uint32_t get_u32(struct rd *r)
{
  uint32_t v;
  get(r, &v, sizeof(v));
  return v;
}

static int64_t get_i64(struct rd *r)
{
  int64_t v;
  get(r, &v, sizeof(v));
  return v;
}

static double get_f64(struct rd *r)
{
  double v;
  get(r, &v, sizeof(v));
  return v;
}

/* A string into out (reset first); false if it was NULL. */
static bool get_buf(struct rd *r, struct buf *out)
{
  buf_reset(out);
  uint32_t n = get_u32(r);
  if (n == NO_STR)
    return false;
  if (r->bad || r->n < n) {
    r->bad = true;
    return false;
  }
  buf_add(out, r->p, n);
  buf_addc(out, '\0');
  out->len--;
  r->p += n;
  r->n -= n;
  return true;
}

/* A string, allocated, or NULL. */
static char *get_str(struct rd *r)
{
  struct buf b = BUF_INIT;
  if (!get_buf(r, &b)) {
    buf_release(&b);
    return NULL;
  }
  if (!b.data)
    return xstrdup("");
  return buf_detach(&b);
}

static struct curl_slist *get_list(struct rd *r)
{
  uint32_t n = get_u32(r);
  struct curl_slist *l = NULL;
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    char *s = get_str(r);
    if (s)
      l = curl_slist_append(l, s);
    free(s);
  }
  return l;
}

/* Writes all of p to the non-blocking fd, waiting when it is full;
 * false when the other end is gone. */
static bool write_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      poll(&pf, 1, -1);
    } else {
      return false;
    }
  }
  return true;
}

/* Reads what is there into in; 1 if something came, 0 if nothing was
 * there, -1 at the end or on an error. */
static int read_some(int fd, struct buf *in)
{
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof(chunk));
    if (r > 0) {
      buf_add(in, chunk, (size_t)r);
      return 1;
    }
    if (r < 0 && errno == EINTR)
      continue;
    return r < 0 && errno == EAGAIN ? 0 : -1;
  }
}

/* The next whole message at the start of in (its fields in *r), or
 * false; msg_drop removes it afterwards. */
static bool msg_next(const struct buf *in, struct rd *r, size_t *size)
{
  uint32_t n;
  if (in->len < sizeof(n))
    return false;
  memcpy(&n, in->data, sizeof(n));
  if (in->len - sizeof(n) < n)
    return false;
  *r = (struct rd){.p = in->data + sizeof(n), .n = n};
  *size = sizeof(n) + n;
  return true;
}

/* (what it leaves behind is zeroed: a request may hold a password) */
static void msg_drop(struct buf *in, size_t size)
{
  memmove(in->data, in->data + size, in->len - size);
  in->len -= size;
  explicit_bzero(in->data + in->len, size);
}

/* ---- the transport's side ---- */

/* A request under way in the transport: a task of its own, filled from
 * the message, whose strings it owns. */
struct job {
  uint64_t tag;
  struct http_task t;
  char *ca_file, *username, *password;
};

static void job_free(struct job *j)
{
  buf_release(&j->t.req.url);
  buf_release(&j->t.req.body);
  curl_slist_free_all(j->t.req.headers);
  curl_slist_free_all(j->t.req.rcpt);
  free(j->t.req.mail_from);
  free(j->ca_file);
  if (j->password)
    explicit_bzero(j->password, strlen(j->password));
  free(j->password);
  free(j->username);
  buf_release(&j->t.resp.body);
  buf_release(&j->t.resp.headers);
  free(j);
}

static void start_job(CURLM *m, struct rd *r, long *host_conn)
{
  struct job *j = xcalloc(1, sizeof(*j));
  j->tag = (uint64_t)get_i64(r);
  long hc = (long)get_i64(r);
  struct http_req *q = &j->t.req;
  buf_init(&q->url);
  buf_init(&q->body);
  buf_init(&j->t.resp.body);
  buf_init(&j->t.resp.headers);
  j->t.resp.retry_after = -1;
  q->method = (enum http_method)get_u32(r);
  j->t.timeout = (long)get_i64(r);
  j->t.connect_timeout = (long)get_i64(r);
  get_buf(r, &q->url);
  q->headers = get_list(r);
  get_buf(r, &q->body);
  q->mail_from = get_str(r);
  q->rcpt = get_list(r);
  q->ca_file = j->ca_file = get_str(r);
  q->username = j->username = get_str(r);
  q->password = j->password = get_str(r);
  if (r->bad || !q->url.data)
    abort(); /* the engine wrote it: a broken message is a bug */
  if (hc != *host_conn) {
    *host_conn = hc;
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, hc);
  }
  CURL *c = curl_easy_init();
  if (!c)
    abort();
  j->t.easy = c;
  http_easy_setup(c, &j->t);
  curl_easy_setopt(c, CURLOPT_PRIVATE, j);
  curl_multi_add_handle(m, c);
}

static void answer(struct buf *out, struct job *j, CURLcode code)
{
  struct http_resp *p = &j->t.resp;
  long status = 0;
  curl_easy_getinfo(j->t.easy, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t ra = -1;
  if (curl_easy_getinfo(j->t.easy, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK)
    ra = -1;
  double secs = 0;
  curl_easy_getinfo(j->t.easy, CURLINFO_TOTAL_TIME, &secs);
  if (code != CURLE_OK && !p->error[0])
    snprintf(p->error, sizeof(p->error), "%s", curl_easy_strerror(code));
  size_t at = msg_begin(out);
  put_i64(out, (int64_t)j->tag);
  put_i64(out, code);
  put_i64(out, status);
  put_i64(out, ra);
  put_f64(out, secs);
  put_u32(out, (uint32_t)p->data_started | (uint32_t)p->no_auth << 1 |
                   (uint32_t)p->too_large << 2 | (uint32_t)p->smtp.tls << 3 |
                   (uint32_t)p->smtp.sasl << 4 |
                   (uint32_t)p->smtp.auth_offered << 5);
  put_i64(out, p->smtp.last);
  put_f64(out, p->smtp.deadline);
  put_cstr(out, p->error);
  put_str(out, p->headers.data ? p->headers.data : "", p->headers.len);
  put_str(out, p->body.data ? p->body.data : "", p->body.len);
  msg_end(out, at);
}

/* The cores the transport may run on: those allowed but crier's own
 * (the one it forks on), if another is allowed. The kernel would start
 * the transport on crier's core, where it would wait for crier while
 * crier reads the site (up to 3 ms here), and later wake behind crier
 * for each request. False: no other core, no mask. */
static bool cores_off(cpu_set_t *set)
{
  int cpu = sched_getcpu();
  if (cpu < 0 || sched_getaffinity(0, sizeof(*set), set) != 0 ||
      !CPU_ISSET(cpu, set) || CPU_COUNT(set) < 2)
    return false;
  CPU_CLR(cpu, set);
  return true;
}

static void transport_main(int fd, const cpu_set_t *off, pid_t parent)
{
  if (off) /* crier does the same, whichever of the two runs first */
    sched_setaffinity(0, sizeof(*off), off);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(0);
  prctl(PR_SET_NAME, "crier-transport");
  /* a stop (SIGINT, SIGTERM) is crier's to act on: requests under way
   * finish, as in-process */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  /* nothing of crier's but the socket and stderr: no journal lock, no
   * pipe a caller waits on to end */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
  }
  if (fd != 3) {
    dup2(fd, 3);
    fd = 3;
  }
  close_range(4, ~0U, 0);
  struct buf out = BUF_INIT;
  struct err e = {0};
  int rc = http_global(&e);
  size_t at = msg_begin(&out);
  put_i64(&out, rc < 0 ? (e.code ? e.code : 1) : 0);
  put_cstr(&out, rc < 0 ? e.msg : "");
  msg_end(&out, at);
  if (!write_all(fd, out.data, out.len) || rc < 0)
    _exit(0);
  buf_reset(&out);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  CURLM *m = curl_multi_init();
  if (!m)
    _exit(1);
  long host_conn = 0;
  struct buf in = BUF_INIT;
  size_t sent = 0; /* bytes of out written */
  for (;;) {
    int got = read_some(fd, &in);
    if (got < 0)
      _exit(0); /* crier closed the socket or is gone */
    struct rd r;
    size_t size;
    while (msg_next(&in, &r, &size)) {
      start_job(m, &r, &host_conn);
      msg_drop(&in, size);
    }
    int running;
    curl_multi_perform(m, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      struct job *j = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
      curl_multi_remove_handle(m, msg->easy_handle);
      answer(&out, j, msg->data.result);
      curl_easy_cleanup(j->t.easy);
      job_free(j);
    }
    while (sent < out.len) {
      ssize_t w = send(fd, out.data + sent, out.len - sent, MSG_NOSIGNAL);
      if (w > 0)
        sent += (size_t)w;
      else if (w < 0 && errno == EINTR)
        continue;
      else if (w < 0 && errno == EAGAIN)
        break;
      else
        _exit(0);
    }
    if (sent == out.len) {
      buf_reset(&out);
      sent = 0;
    }
    if (got > 0)
      continue; /* more may be waiting */
    struct curl_waitfd w = {.fd = fd,
                            .events = CURL_WAIT_POLLIN |
                                      (out.len ? CURL_WAIT_POLLOUT : 0)};
    curl_multi_poll(m, &w, 1, 1000, NULL);
  }
}

/* ---- crier's side ---- */

static struct {
  int fd;
  pid_t pid;
  bool started, lost, ready;
  bool stopped; /* transport_stop closed the socket */
  struct buf in;
} tp = {.fd = -1, .pid = -1};

/* At exit: a transport told to end (transport_stop) is waited for; one
 * that was never used (an announcement with nothing to send) may still be
 * opening libcurl, which is of no use any more. */
static void reap(void)
{
  bool told = tp.stopped;
  transport_stop();
  if (tp.pid > 0) {
    if (!told)
      kill(tp.pid, SIGKILL);
    while (waitpid(tp.pid, NULL, 0) < 0 && errno == EINTR)
      ;
    tp.pid = -1;
  }
  buf_release(&tp.in);
}

bool transport_start(void)
{
  if (tp.started)
    return false;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return false;
  cpu_set_t off;
  bool move = cores_off(&off);
  pid_t parent = getpid();
  fflush(NULL); /* nothing buffered is written twice */
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return false;
  }
  if (pid == 0) {
    close(sv[0]);
    transport_main(sv[1], move ? &off : NULL, parent);
    _exit(0);
  }
  if (move)
    sched_setaffinity(pid, sizeof(off), &off);
  close(sv[1]);
  tp.fd = sv[0];
  tp.pid = pid;
  tp.started = true;
  buf_init(&tp.in);
  fcntl(tp.fd, F_SETFL, fcntl(tp.fd, F_GETFL) | O_NONBLOCK);
  atexit(reap);
  return true;
}

bool transport_on(void)
{
  return tp.fd >= 0 && !tp.lost;
}

static void lose(void)
{
  tp.lost = true;
}

/* Waits up to ms (-1: as long as it takes) for something to read and
 * reads it; false when the transport is lost. */
static bool pull(int ms)
{
  struct pollfd pf = {.fd = tp.fd, .events = POLLIN};
  int n = poll(&pf, 1, ms);
  if (n < 0 && errno != EINTR) {
    lose();
    return false;
  }
  if (n <= 0)
    return true;
  int got;
  while ((got = read_some(tp.fd, &tp.in)) > 0)
    ;
  if (got < 0) {
    lose();
    return false;
  }
  return true;
}

int transport_ready(struct err *e)
{
  if (tp.ready)
    return 0;
  if (!transport_on())
    return -2;
  struct rd r;
  size_t size;
  while (!msg_next(&tp.in, &r, &size))
    if (!pull(-1))
      return -2;
  int code = (int)get_i64(&r);
  struct buf msg = BUF_INIT;
  get_buf(&r, &msg);
  msg_drop(&tp.in, size);
  if (code) {
    err_set(e, code, "%s", msg.data ? msg.data : "cannot load libcurl");
    buf_release(&msg);
    lose(); /* it has ended */
    return -1;
  }
  buf_release(&msg);
  tp.ready = true;
  return 0;
}

bool transport_send(uint64_t tag, const struct http_task *t,
                    long host_connections)
{
  if (transport_ready(NULL) != 0)
    return false;
  const struct http_req *q = &t->req;
  struct buf b = BUF_INIT;
  size_t at = msg_begin(&b);
  put_i64(&b, (int64_t)tag);
  put_i64(&b, host_connections);
  put_u32(&b, (uint32_t)q->method);
  put_i64(&b, t->timeout);
  put_i64(&b, t->connect_timeout);
  put_str(&b, q->url.data ? q->url.data : "", q->url.len);
  put_list(&b, q->headers);
  put_str(&b, q->body.data ? q->body.data : "", q->body.len);
  put_cstr(&b, q->mail_from);
  put_list(&b, q->rcpt);
  put_cstr(&b, q->ca_file);
  put_cstr(&b, q->username);
  put_cstr(&b, q->password);
  msg_end(&b, at);
  bool ok = write_all(tp.fd, b.data, b.len);
  explicit_bzero(b.data, b.len); /* it may hold a password */
  buf_release(&b);
  if (!ok)
    lose();
  return ok;
}

bool transport_collect(int ms,
                       struct http_resp *(*want)(void *ud, uint64_t tag),
                       void (*got)(void *ud, uint64_t tag), void *ud)
{
  if (!transport_on())
    return false;
  bool alive = pull(ms);
  struct rd r;
  size_t size;
  while (msg_next(&tp.in, &r, &size)) {
    uint64_t tag = (uint64_t)get_i64(&r);
    struct http_resp *p = want(ud, tag);
    if (p) {
      p->code = (CURLcode)get_i64(&r);
      p->status = (long)get_i64(&r);
      long ra = (long)get_i64(&r);
      p->retry_after = ra > 0 ? ra : -1;
      p->seconds = get_f64(&r);
      uint32_t f = get_u32(&r);
      p->data_started = f & 1;
      p->no_auth = f >> 1 & 1;
      p->too_large = f >> 2 & 1;
      p->smtp.tls = f >> 3 & 1;
      p->smtp.sasl = f >> 4 & 1;
      p->smtp.auth_offered = f >> 5 & 1;
      p->smtp.last = (int)get_i64(&r);
      p->smtp.deadline = get_f64(&r);
      struct buf err = BUF_INIT;
      get_buf(&r, &err);
      snprintf(p->error, sizeof(p->error), "%s", err.data ? err.data : "");
      buf_release(&err);
      get_buf(&r, &p->headers);
      get_buf(&r, &p->body);
      if (r.bad)
        abort(); /* the transport wrote it: a broken message is a bug */
    }
    msg_drop(&tp.in, size);
    if (p)
      got(ud, tag);
  }
  return alive;
}

void transport_stop(void)
{
  if (tp.fd >= 0) {
    close(tp.fd);
    tp.stopped = true;
  }
  tp.fd = -1;
}

long transport_pid(void)
{
  return tp.pid > 0 ? (long)tp.pid : -1;
}
