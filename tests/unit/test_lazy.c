/* Libraries opened when first needed (lazy.h): nothing is loaded at
 * start, building a request list loads nothing, the journal loads SQLite
 * only, the forwarders pass every kind of curl option through, and a
 * library or a function that is missing is an error that names it. */
#define _GNU_SOURCE /* RTLD_DEEPBIND */
#include "harness.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "event.h"
#include "http.h"
#include "journal.h"
#include "lazy.h"
#include "md.h"
#include "util.h"
#include "when.h"
#include "yamlx.h"

static bool mapped(const char *name)
{
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4096];
  bool found = false;
  while (f && !found && fgets(line, sizeof(line), f))
    found = strstr(line, name) != NULL;
  if (f)
    fclose(f);
  return found;
}

static void nothing_at_start(void)
{
  for (int i = 0; i < LAZY_COUNT; i++)
    OK(!lazy_loaded((enum lazy_lib)i), "library %d loaded at start", i);
  OK(!mapped("libcurl"), "libcurl is mapped at start");
  OK(!mapped("libsqlite3"), "libsqlite3 is mapped at start");
  OK(!mapped("libmicrohttpd"), "libmicrohttpd is mapped at start");
  OK(!mapped("libcmark"), "libcmark is mapped at start");
  OK(!mapped("libunistring"), "libunistring is mapped at start");
  OK(!mapped("libsodium"), "libsodium is mapped at start");
  OK(!mapped("libjansson"), "libjansson is mapped at start");
  OK(!mapped("libyaml"), "libyaml is mapped at start");
}

/* Markdown loads libcmark, counting graphemes libunistring, each only
 * that one; the answers are the libraries' own. */
static void texts_load_their_libraries(void)
{
  struct buf html = BUF_INIT, text = BUF_INIT;
  md_to_html("**Rust** <b>x</b>", strlen("**Rust** <b>x</b>"), &html);
  OK(lazy_loaded(LAZY_CMARK) && mapped("libcmark"), "cmark is not loaded");
  OK(!lazy_loaded(LAZY_UNISTRING), "Markdown loaded libunistring");
  STR_EQ(html.data, "<p><strong>Rust</strong> <!-- raw HTML omitted -->x"
                    "<!-- raw HTML omitted --></p>\n");
  md_to_text("# Title\n\n- one\n- two\n", 22, &text);
  OK(strstr(text.data, "one") && !strstr(text.data, "# "), "text: %s",
     text.data);
  /* an e with a combining acute accent is one grapheme of two code
   * points */
  INT_EQ(utf8_graphemes("ae\xcc\x81"
                        "b"),
         3);
  OK(lazy_loaded(LAZY_UNISTRING) && mapped("libunistring"),
     "libunistring is not loaded");
  OK(!lazy_loaded(LAZY_CURL), "texts loaded libcurl");
  buf_release(&html);
  buf_release(&text);
}

static void lists_load_nothing(void)
{
  struct curl_slist *l = curl_slist_append(NULL, "A: 1");
  l = curl_slist_append(l, "B: 2");
  l = curl_slist_append(l, "C: 3");
  STR_EQ(l->data, "A: 1");
  STR_EQ(l->next->data, "B: 2");
  STR_EQ(l->next->next->data, "C: 3");
  OK(!l->next->next->next, "the list ends");
  curl_slist_free_all(l);
  OK(!lazy_loaded(LAZY_CURL), "a header list loaded libcurl");
  OK(!mapped("libcurl"), "libcurl is mapped");
}

static void journal_loads_sqlite(void)
{
  char dir[] = "/tmp/crier-lazy-XXXXXX";
  if (!mkdtemp(dir)) {
    OK(false, "mkdtemp");
    return;
  }
  char path[256];
  snprintf(path, sizeof(path), "%s/j.db", dir);
  struct err e;
  struct journal *j = journal_open(path, 1000, &e);
  OK(j != NULL, "journal_open: %s", j ? "" : e.msg);
  journal_close(j);
  OK(lazy_loaded(LAZY_SQLITE), "the journal did not load SQLite");
  OK(mapped("libsqlite3"), "libsqlite3 is not mapped");
  OK(!lazy_loaded(LAZY_CURL) && !mapped("libcurl"), "the journal loaded curl");
  unlink(path);
  char lock[300];
  snprintf(lock, sizeof(lock), "%s.lock", path);
  unlink(lock);
  t_rmdir(dir);
}

/* An event loads without libsodium (a cron run with nothing due hashes
 * nothing); its hash, asked for, loads it, and is libsodium's SHA-256. */
static void events_load_without_sodium(void)
{
  static const char text[] = "---\ntitle: A\ndate: 2030-01-01 19:00\n---\n";
  struct err e;
  struct diags d;
  diags_init(&d);
  OK(when_set_zone("Europe/Berlin", &e) == 0, "zone");
  struct event *ev =
      event_parse("a.md", "a", text, strlen(text), NULL, NULL, &d, NULL);
  OK(ev != NULL, "the event loads");
  OK(!lazy_loaded(LAZY_SODIUM) && !mapped("libsodium"),
     "loading an event loaded libsodium");
  /* crier's own reader took its front matter, and nothing was JSON */
  OK(!lazy_loaded(LAZY_YAML) && !mapped("libyaml"),
     "loading an event loaded libyaml");
  OK(!lazy_loaded(LAZY_JANSSON) && !mapped("libjansson"),
     "loading an event loaded Jansson");
  const char *h = ev ? event_hash(ev) : "";
  INT_EQ(strlen(h), 64);
  OK(lazy_loaded(LAZY_SODIUM) && mapped("libsodium"),
     "the hash did not load libsodium");
  /* what it hashes, in the same order (event.c) */
  static const char facts[] = "title=A\nstart=2030-01-01T18:00:00Z\n"
                              "location=\n";
  unsigned char bin[crypto_hash_sha256_BYTES];
  char hex[2 * sizeof(bin) + 1];
  crypto_hash_sha256(bin, (const unsigned char *)facts, strlen(facts));
  STR_EQ(h, sodium_bin2hex(hex, sizeof(hex), bin, sizeof(bin)));
  event_free(ev);
  diags_release(&d);
}

/* Jansson's forwarders, json_pack's variable arguments among them, give
 * Jansson's answers; YAML crier's reader does not take loads libyaml,
 * whose parser reads it. */
static void json_and_yaml_forward(void)
{
  json_t *v = json_pack("{s:s, s:I, s:[b, n], s:f}", "name", "Köln", "n",
                        (json_int_t)1 << 40, "list", 1, "x", 0.5);
  OK(lazy_loaded(LAZY_JANSSON) && mapped("libjansson"),
     "Jansson is not loaded");
  char *text = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  STR_EQ(text ? text : "",
         "{\"list\":[true,null],\"n\":1099511627776,\"name\":\"Köln\","
         "\"x\":0.5}");
  json_t *back = text ? json_loads(text, 0, NULL) : NULL;
  OK(json_integer_value(json_object_get(back, "n")) == (json_int_t)1 << 40,
     "the number came back changed");
  free(text);
  json_decref(back);
  json_decref(v);

  OK(!lazy_loaded(LAZY_YAML), "libyaml loaded before it was needed");
  static const char flow[] = "%YAML 1.1\n---\na: [1, {b: 2}]\n";
  struct diags d;
  diags_init(&d);
  struct ynode *root = yamlx_parse(flow, strlen(flow), "f.yml", 0, &d);
  OK(lazy_loaded(LAZY_YAML) && mapped("libyaml"), "libyaml is not loaded");
  const struct ynode *a = root ? ymap_get(root, "a") : NULL;
  OK(a && a->kind == Y_SEQ && a->n == 2 && a->items[1].kind == Y_MAP,
     "the list was not read");
  ynode_free(root);
  diags_release(&d);
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
  (void)p;
  (void)ud;
  return size * n;
}

static void curl_forwards(void)
{
  CURL *c = curl_easy_init();
  OK(c != NULL, "curl_easy_init");
  OK(lazy_loaded(LAZY_CURL) && mapped("libcurl"), "curl is not loaded");
  /* one option of each type: long, pointer, function, curl_off_t */
  INT_EQ(curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L), CURLE_OK);
  INT_EQ(curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:1/x"), CURLE_OK);
  INT_EQ(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink), CURLE_OK);
  INT_EQ(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)1 << 20),
         CURLE_OK);
  /* a value of the wrong range is refused: the value reached libcurl */
  INT_EQ(curl_easy_setopt(c, CURLOPT_SSLVERSION, 1000L),
         CURLE_BAD_FUNCTION_ARGUMENT);
  char *url = NULL;
  INT_EQ(curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
  STR_EQ(url, "http://127.0.0.1:1/x");
  curl_easy_cleanup(c);
  CURLM *m = curl_multi_init();
  INT_EQ(curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 3L), CURLM_OK);
  INT_EQ(curl_multi_cleanup(m), CURLM_OK);
  STR_EQ(curl_easy_strerror(CURLE_OK), "No error");
}

static void missing_is_an_error(void)
{
  static const char *const one[] = {"sqlite3_open", NULL};
  static const char *const bad[] = {"sqlite3_open", "crier_no_such_function",
                                    NULL};
  static void (*table[2])(void);
  struct lazy_spec s = {"libcrier-no-such-library.so.0", "for a test", one,
                        table};
  struct err e;
  OK(lazy_open_spec(&s, &e) < 0, "a missing library loaded");
  INT_EQ(e.code, EX_UNAVAILABLE);
  OK(strstr(e.msg, "cannot load libcrier-no-such-library.so.0 (for a test)"),
     "message: %s", e.msg);
  s.soname = lazy_sqlite_spec.soname;
  OK(lazy_open_spec(&s, &e) == 0, "%s", e.msg);
  OK(table[0] != NULL, "the function was not resolved");
  s.names = bad;
  OK(lazy_open_spec(&s, &e) < 0, "a missing function was found");
  OK(strstr(e.msg, "has no function 'crier_no_such_function'"), "message: %s",
     e.msg);
}

/* In a child: whether OpenSSL was still up after every other exit handler
 * had run (OPENSSL_cleanup, when registered, runs before this one,
 * registered first): OPENSSL_init_crypto answers 0 once it was cleaned
 * up. */
static __typeof__(&OPENSSL_init_crypto) ossl_init;
static int exit_fd = -1;

static void last_at_exit(void)
{
  char up = ossl_init && ossl_init(0, NULL) == 1 ? 'y' : 'n';
  ssize_t w = write(exit_fd, &up, 1);
  (void)w;
}

/* The engine sets libcurl up (http_setup) with OpenSSL asked to keep its
 * clean-up out of exit (0.5 M instructions for memory the process gives back
 * anyway). In a child of a process that has not loaded libcurl: one that had
 * would have OpenSSL's handler registered before ours. */
static void openssl_not_cleaned_at_exit(void)
{
  int fds[2];
  if (pipe(fds) < 0) {
    OK(false, "pipe");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    exit_fd = fds[1];
    atexit(last_at_exit);
    http_setup();
    void *h = dlopen(lazy_crypto_spec.soname, RTLD_LAZY | RTLD_NOLOAD);
    void *sym = h ? dlsym(h, "OPENSSL_init_crypto") : NULL;
    if (sym)
      memcpy(&ossl_init, &sym, sizeof(sym));
    exit(0);
  }
  close(fds[1]);
  char up = 0;
  ssize_t r = read(fds[0], &up, 1);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  OK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child: %d", status);
  OK(r == 1 && up == 'y', "OpenSSL was cleaned up at exit (%c)",
     r == 1 ? up : '?');
}

/* The libraries bind their symbols among themselves first (the loader
 * walked crier's own libraries for each of them), except when something
 * is preloaded or the build is sanitized. */
static void deepbind_unless_preloaded(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  bool sanitized = true;
#else
  bool sanitized = false;
#endif
  int flags = lazy_dlopen_flags(NULL);
  /* RTLD_LOCAL is 0: not global */
  OK((flags & (RTLD_LAZY | RTLD_NOW)) == RTLD_LAZY, "lazy: %#x", flags);
  OK(!(flags & RTLD_GLOBAL), "global: %#x", flags);
  OK(((flags & RTLD_DEEPBIND) != 0) == !sanitized,
     "deep binding %s in a %s build", flags & RTLD_DEEPBIND ? "on" : "off",
     sanitized ? "sanitized" : "plain");
  INT_EQ(lazy_dlopen_flags(""), flags);
  int pre = lazy_dlopen_flags("/usr/lib/libjemalloc.so.2");
  OK(!(pre & RTLD_DEEPBIND), "deep binding with LD_PRELOAD set: %#x", pre);
  INT_EQ(pre, RTLD_LAZY | RTLD_LOCAL);
  OK(!(lazy_dlopen_flags("libfoo.so") & RTLD_DEEPBIND), "a bare name");
  OK(!(lazy_dlopen_flags(":  /x/vgpreload_core-amd64-linux.so /y/libasan.so") &
       RTLD_DEEPBIND),
     "valgrind's and another preload");
  /* valgrind redirects definitions, whatever a call was bound to */
  INT_EQ(lazy_dlopen_flags(" : /x/vgpreload_core-amd64-linux.so: "), flags);
  INT_EQ(lazy_dlopen_flags("/usr/libexec/valgrind/vgpreload_core-amd64-"
                           "linux.so:/usr/libexec/valgrind/vgpreload_"
                           "memcheck-amd64-linux.so"),
         flags);
}

int main(void)
{
  CASE(deepbind_unless_preloaded);
  CASE(nothing_at_start);
  CASE(lists_load_nothing);
  CASE(texts_load_their_libraries);
  CASE(journal_loads_sqlite);
  CASE(events_load_without_sodium);
  CASE(json_and_yaml_forward);
  CASE(openssl_not_cleaned_at_exit); /* before this process loads libcurl */
  CASE(curl_forwards);
  CASE(missing_is_an_error);
  printf("%d passed, %d failed\n", t_passed, t_failed);
  return t_failed != 0;
}
