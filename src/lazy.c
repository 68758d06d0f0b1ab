#define _GNU_SOURCE /* RTLD_DEEPBIND */
#include "lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

bool lazy_ready[LAZY_COUNT];

static const struct lazy_spec *const specs[LAZY_COUNT] = {
    [LAZY_CURL] = &lazy_curl_spec,     [LAZY_CRYPTO] = &lazy_crypto_spec,
    [LAZY_MHD] = &lazy_mhd_spec,       [LAZY_SQLITE] = &lazy_sqlite_spec,
    [LAZY_CMARK] = &lazy_cmark_spec,   [LAZY_UNISTRING] = &lazy_unistring_spec,
    [LAZY_SODIUM] = &lazy_sodium_spec, [LAZY_JANSSON] = &lazy_jansson_spec,
    [LAZY_YAML] = &lazy_yaml_spec,
};

/* lazy_ready[lib] (lazy.h) says whether lib loaded */
static struct {
  pthread_once_t once;
  char why[400]; /* when it did not */
} state[LAZY_COUNT] = {
    [LAZY_CURL] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_CRYPTO] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_MHD] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_SQLITE] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_CMARK] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_UNISTRING] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_SODIUM] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_JANSSON] = {PTHREAD_ONCE_INIT, ""},
    [LAZY_YAML] = {PTHREAD_ONCE_INIT, ""},
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifndef SANITIZED
/* Whether the list LD_PRELOAD holds (separated by spaces or colons) names
 * an object other than valgrind's: valgrind replaces functions (malloc,
 * ...) by redirecting the definitions themselves, whichever object a call
 * was bound to, so its preloads do not need to come first. */
static bool preloads_definitions(const char *preload)
{
  static const char vg[] = "vgpreload_";
  const char *p = preload ? preload : "";
  while (*(p += strspn(p, " :"))) {
    size_t n = strcspn(p, " :");
    const char *base = p;
    for (const char *q = p; q < p + n; q++)
      if (*q == '/')
        base = q + 1;
    size_t len = (size_t)(p + n - base);
    if (len < sizeof(vg) - 1 || strncmp(base, vg, sizeof(vg) - 1) != 0)
      return true;
    p += n;
  }
  return false;
}
#endif

int lazy_dlopen_flags(const char *preload)
{
  /* RTLD_LOCAL: the library's names stay out of the process's global
   * scope, so they never interpose on the forwarders of the same name.
   * RTLD_LAZY: what the libraries call among themselves is bound when
   * first called (those linked with BIND_NOW bind at once anyway); crier's
   * own calls are resolved below, every one, before any is used. */
  int flags = RTLD_LAZY | RTLD_LOCAL;
#ifndef SANITIZED
  /* RTLD_DEEPBIND: a library's symbols are looked up in it and its own
   * dependencies first, then in crier and libc. The loader otherwise
   * walks the global scope first for every one of the ~9,000 symbols
   * libcurl and its 30-odd libraries bind: when crier linked eight
   * libraries, 2.9 M of the 13.8 M instructions opening libcurl took
   * (bench/README.md); crier now links libc alone. crier defines
   * none of their names (its forwarders are not exported), so the same
   * functions are found either way. Data the libraries name is libc's
   * own, not crier's copies: stdout and stderr as libc set them up, not
   * the streams term_guard_stdio puts in their place (http.c hands
   * libcurl crier's stderr). Not when something is preloaded
   * (LD_PRELOAD: an allocator, a sanitizer's runtime), whose definitions
   * must win in the libraries too, nor in sanitized builds, whose runtime
   * refuses RTLD_DEEPBIND. */
  if (!preloads_definitions(preload))
    flags |= RTLD_DEEPBIND;
#else
  (void)preload;
#endif
  return flags;
}

/* Opens s and fills its table; -1 with the reason in why. */
static int open_spec(const struct lazy_spec *s, char *why, size_t n)
{
  void *h = dlopen(s->soname, lazy_dlopen_flags(getenv("LD_PRELOAD")));
  if (!h) {
    const char *msg = dlerror();
    snprintf(why, n, "%s", msg ? msg : "?");
    return -1;
  }
  void (**table)(void) = s->table;
  for (size_t i = 0; s->names[i]; i++) {
    void *sym = dlsym(h, s->names[i]);
    if (!sym) {
      snprintf(why, n, "%s has no function '%s'", s->soname, s->names[i]);
      return -1; /* the handle stays open: nothing of it is used */
    }
    /* POSIX: a function's address from dlsym's object pointer */
    memcpy(&table[i], &sym, sizeof(sym));
  }
  return 0;
}

int lazy_open_spec(const struct lazy_spec *s, struct err *e)
{
  char why[400];
  if (open_spec(s, why, sizeof(why)) < 0)
    return err_set(e, EX_UNAVAILABLE, "cannot load %s (%s): %s", s->soname,
                   s->what, why);
  return 0;
}

static void open_lib(enum lazy_lib lib)
{
  bool ok = open_spec(specs[lib], state[lib].why, sizeof(state[lib].why)) == 0;
  /* the forwarders and lazy_loaded read it from any thread (http_warm) */
  __atomic_store_n(&lazy_ready[lib], ok, __ATOMIC_RELEASE);
}

static void open_curl(void)
{
  open_lib(LAZY_CURL);
}
static void open_crypto(void)
{
  open_lib(LAZY_CRYPTO);
}
static void open_mhd(void)
{
  open_lib(LAZY_MHD);
}
static void open_sqlite(void)
{
  open_lib(LAZY_SQLITE);
}
static void open_cmark(void)
{
  open_lib(LAZY_CMARK);
}
static void open_unistring(void)
{
  open_lib(LAZY_UNISTRING);
}
static void open_sodium(void)
{
  open_lib(LAZY_SODIUM);
}
static void open_jansson(void)
{
  open_lib(LAZY_JANSSON);
}
static void open_yaml(void)
{
  open_lib(LAZY_YAML);
}

static void (*const openers[LAZY_COUNT])(void) = {
    [LAZY_CURL] = open_curl,     [LAZY_CRYPTO] = open_crypto,
    [LAZY_MHD] = open_mhd,       [LAZY_SQLITE] = open_sqlite,
    [LAZY_CMARK] = open_cmark,   [LAZY_UNISTRING] = open_unistring,
    [LAZY_SODIUM] = open_sodium, [LAZY_JANSSON] = open_jansson,
    [LAZY_YAML] = open_yaml,
};

int lazy_load(enum lazy_lib lib, struct err *e)
{
  pthread_once(&state[lib].once, openers[lib]);
  if (lazy_ready[lib]) /* pthread_once orders it after open_lib's store */
    return 0;
  return err_set(e, EX_UNAVAILABLE, "cannot load %s (%s): %s",
                 specs[lib]->soname, specs[lib]->what, state[lib].why);
}

bool lazy_loaded(enum lazy_lib lib)
{
  return __atomic_load_n(&lazy_ready[lib], __ATOMIC_ACQUIRE);
}

const void *lazy_table(enum lazy_lib lib)
{
  struct err e;
  if (lazy_load(lib, &e) < 0) {
    log_msg(LOG_ERROR, "%s", e.msg);
    exit(EX_UNAVAILABLE);
  }
  return specs[lib]->table;
}
