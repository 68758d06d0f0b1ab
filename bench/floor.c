/* floor [-j JOURNAL | -s JOURNAL] DIR SONAME...
 *
 * The least a program that posts what crier posts, with crier's libraries,
 * can take: it opens each SONAME the way crier opens its libraries
 * (dlopen, RTLD_LAZY | RTLD_LOCAL | RTLD_DEEPBIND, one after the other),
 * then libcurl, and POSTs DIR/body to the URL in DIR/url with the headers
 * of DIR/headers (one a line) — no configuration, no site, no template, no
 * journal, no signature. bench/deliver.sh runs it beside curl and crier:
 * with no SONAME it shows what loading libcurl with dlopen costs against
 * curl, which links it; with crier's other libraries, what opening them
 * adds; crier's distance from it is crier's own work.
 *
 * With -j, it also keeps the least journal that makes the POST happen
 * once: the SQLite file JOURNAL (made if absent) in WAL mode with
 * synchronous=FULL, one table of one row a delivery, a committed claim
 * (BEGIN IMMEDIATE, an upsert, COMMIT) before the request and a committed
 * outcome (an update) after it, then the close and its checkpoint. What
 * that adds is what durability and exactly-once cost before any of
 * crier's other work.
 *
 * With -s, the same journal is kept by a second process: forked first and
 * moved to another core than the first's, it opens the SONAMEs and the
 * journal and commits the claim while the first opens libcurl; the first
 * POSTs once the claim is committed (a byte on a pipe), hands the outcome
 * back, and reaps the second after it has committed the outcome and
 * closed the journal. Threads of one process cannot overlap that work on
 * a machine where every mprotect and munmap of the loader interrupts the
 * other core running the same address space; two processes do not share
 * one. What -s takes against -j is what such a split could save.
 *
 * Exit 0 when the request got a response, 1 otherwise, 2 on a bad
 * argument or journal. A helper for the scripts in bench/. */
#define _GNU_SOURCE /* RTLD_DEEPBIND */
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* libcurl's option numbers (curl/curl.h), without its header */
enum {
  OPT_URL = 10002,
  OPT_HTTPHEADER = 10023,
  OPT_POSTFIELDS = 10015,
  OPT_POSTFIELDSIZE = 60,
  OPT_WRITEFUNCTION = 20011,
  GLOBAL_DEFAULT = 3
};

/* The file dir/name, NUL-terminated (its length in *n); exits if absent. */
static char *slurp(const char *dir, const char *name, size_t *n)
{
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  size_t cap = 4096, len = 0, got;
  char *b = malloc(cap);
  while (b && (got = fread(b + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (cap - len < 2)
      b = realloc(b, cap *= 2);
  }
  fclose(f);
  if (!b)
    exit(2);
  b[len] = '\0';
  if (n)
    *n = len;
  return b;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
  (void)p;
  (void)ud;
  return size * n;
}

/* The function name of the library h; exits if it has none. */
static void *fn(void *h, const char *name)
{
  void *f = dlsym(h, name);
  if (!f) {
    fprintf(stderr, "floor: no %s\n", name);
    exit(2);
  }
  return f;
}

/* The least journal (see the top): sqlite3_exec's of sql on the open
 * database db; exits on an error. */
static void journal(void *sq, void *db, const char *sql)
{
  int (*exec)(void *, const char *, void *, void *, char **) =
      fn(sq, "sqlite3_exec");
  char *msg = NULL;
  if (exec(db, sql, NULL, NULL, &msg) != 0) {
    fprintf(stderr, "floor: journal: %s\n", msg ? msg : "?");
    exit(2);
  }
}

/* Opens the journal at path (see the top) and commits the claim; *sq and
 * *db get SQLite and the connection. Exits on an error. */
static void claim(const char *path, void **sq, void **db)
{
  *sq = dlopen("libsqlite3.so.0", RTLD_LAZY | RTLD_LOCAL | RTLD_DEEPBIND);
  int (*sq_open)(const char *, void **, int, const char *) =
      *sq ? fn(*sq, "sqlite3_open_v2") : NULL;
  /* SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE */
  if (!sq_open || sq_open(path, db, 0x2 | 0x4, NULL) != 0) {
    fprintf(stderr, "floor: cannot open the journal %s\n", path);
    exit(2);
  }
  journal(*sq, *db,
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
          "CREATE TABLE IF NOT EXISTS delivery (key TEXT PRIMARY KEY,"
          " status TEXT NOT NULL, attempts INTEGER NOT NULL);"
          "BEGIN IMMEDIATE;"
          "INSERT INTO delivery VALUES ('k', 'sending', 1) ON CONFLICT(key)"
          " DO UPDATE SET status='sending', attempts=attempts+1;"
          "COMMIT;");
}

/* Commits the outcome and closes the journal. Exits on an error. */
static void settle(void *sq, void *db, int failed)
{
  journal(sq, db,
          failed ? "BEGIN IMMEDIATE; UPDATE delivery SET status='failed'"
                   " WHERE key='k'; COMMIT;"
                 : "BEGIN IMMEDIATE; UPDATE delivery SET status='sent'"
                   " WHERE key='k'; COMMIT;");
  int (*sq_close)(void *) = fn(sq, "sqlite3_close");
  if (sq_close(db) != 0) {
    fprintf(stderr, "floor: the journal did not close\n");
    exit(2);
  }
}

/* -s: the second process, which opens the libraries in names (n of them)
 * and the journal at path, commits the claim, says so on go, waits for
 * the outcome on back, commits it and closes. It runs on another allowed
 * core than the first process's, when there is one. Never returns. */
static void keeper(int cpu, const char *path, char **names, int n, int go,
                   int back)
{
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 &&
      CPU_COUNT(&allowed) > 1) {
    for (int c = 0; c < CPU_SETSIZE; c++)
      if (c != cpu && CPU_ISSET(c, &allowed)) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        sched_setaffinity(0, sizeof(one), &one);
        break;
      }
  }
  for (int i = 0; i < n; i++)
    if (!dlopen(names[i], RTLD_LAZY | RTLD_LOCAL | RTLD_DEEPBIND)) {
      fprintf(stderr, "floor: %s\n", dlerror());
      _exit(2);
    }
  void *sq, *db;
  claim(path, &sq, &db);
  char c = 'c';
  if (write(go, &c, 1) != 1 || read(back, &c, 1) != 1)
    _exit(2);
  settle(sq, db, c != 's');
  _exit(0);
}

int main(int argc, char **argv)
{
  const char *jpath = NULL;
  int split = argc > 1 && strcmp(argv[1], "-s") == 0;
  int shift = split || (argc > 1 && strcmp(argv[1], "-j") == 0) ? 2 : 0;
  if (shift && argc > 2)
    jpath = argv[2];
  argv += shift;
  argc -= shift;
  if (argc < 2 || (shift && !jpath)) {
    fprintf(stderr, "usage: floor [-j JOURNAL | -s JOURNAL] DIR [SONAME...]\n");
    return 2;
  }
  const int flags = RTLD_LAZY | RTLD_LOCAL | RTLD_DEEPBIND;
  void *sq = NULL, *db = NULL;
  int go[2], back[2];
  pid_t kid = -1;
  if (split) {
    if (pipe(go) != 0 || pipe(back) != 0) {
      perror("floor: pipe");
      return 2;
    }
    int cpu = sched_getcpu();
    kid = fork();
    if (kid < 0) {
      perror("floor: fork");
      return 2;
    }
    if (kid == 0) {
      close(go[0]);
      close(back[1]);
      keeper(cpu, jpath, argv + 2, argc - 2, go[1], back[0]);
    }
    close(go[1]);
    close(back[0]);
  } else {
    for (int i = 2; i < argc; i++)
      if (!dlopen(argv[i], flags)) {
        fprintf(stderr, "floor: %s\n", dlerror());
        return 2;
      }
    if (jpath)
      claim(jpath, &sq, &db);
  }
  void *curl = dlopen("libcurl.so.4", flags);
  if (!curl) {
    fprintf(stderr, "floor: %s\n", dlerror());
    return 2;
  }
  int (*global_init)(long) = fn(curl, "curl_global_init");
  void *(*easy_init)(void) = fn(curl, "curl_easy_init");
  int (*setopt)(void *, int, ...) = fn(curl, "curl_easy_setopt");
  int (*perform)(void *) = fn(curl, "curl_easy_perform");
  void *(*slist_append)(void *, const char *) = fn(curl, "curl_slist_append");
  global_init(GLOBAL_DEFAULT);
  void *h = easy_init();
  size_t len;
  char *body = slurp(argv[1], "body", &len);
  char *url = slurp(argv[1], "url", NULL);
  url[strcspn(url, "\r\n")] = '\0';
  char *heads = slurp(argv[1], "headers", NULL);
  void *list = NULL;
  for (char *line = heads; *line;) {
    size_t n = strcspn(line, "\n");
    char *next = line + n + (line[n] == '\n');
    line[n] = '\0';
    if (n)
      list = slist_append(list, line);
    line = next;
  }
  setopt(h, OPT_URL, url);
  setopt(h, OPT_HTTPHEADER, list);
  setopt(h, OPT_POSTFIELDS, body);
  setopt(h, OPT_POSTFIELDSIZE, (long)len);
  setopt(h, OPT_WRITEFUNCTION, discard);
  char c;
  if (split && read(go[0], &c, 1) != 1) {
    fprintf(stderr, "floor: the journal's process ended before its claim\n");
    return 2;
  }
  int failed = perform(h) != 0;
  if (split) {
    c = failed ? 'f' : 's';
    int st;
    if (write(back[1], &c, 1) != 1 || waitpid(kid, &st, 0) != kid ||
        !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "floor: the journal's process failed\n");
      return 2;
    }
  } else if (jpath)
    settle(sq, db, failed);
  return failed;
}
