#define _GNU_SOURCE /* RTLD_DEEPBIND */
#include "lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

bool lazy_ready[LAZY_COUNT];

/* Every library: its value of enum lazy_lib, and the name its spec
 * (lazy_NAME_spec, lazy_NAME.c) and its opener here are made from. */
#define LAZY_LIBS(X)                                                           \
  X(LAZY_CURL, curl)                                                           \
  X(LAZY_CRYPTO, crypto)                                                       \
  X(LAZY_MHD, mhd)                                                             \
  X(LAZY_SQLITE, sqlite)                                                       \
  X(LAZY_CMARK, cmark)                                                         \
  X(LAZY_UNISTRING, unistring)                                                 \
  X(LAZY_SODIUM, sodium)                                                       \
  X(LAZY_JANSSON, jansson)                                                     \
  X(LAZY_YAML, yaml)

#define SPEC_(lib, name) [lib] = &lazy_##name##_spec,
static const struct lazy_spec *const specs[LAZY_COUNT] = {LAZY_LIBS(SPEC_)};

/* lazy_ready[lib] (lazy.h) says whether lib loaded */
#define STATE_(lib, name) [lib] = {PTHREAD_ONCE_INIT, ""},
static struct {
  pthread_once_t once;
  char why[400]; /* when it did not */
} state[LAZY_COUNT] = {LAZY_LIBS(STATE_)};

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
  /* the forwarders and lazy_loaded read it from any thread (crier serve's) */
  __atomic_store_n(&lazy_ready[lib], ok, __ATOMIC_RELEASE);
}

/* pthread_once calls a function without arguments: one per library */
#define OPENER_(lib, name)                                                     \
  static void open_##name(void)                                                \
  {                                                                            \
    open_lib(lib);                                                             \
  }
LAZY_LIBS(OPENER_)
#define OPENER_AT_(lib, name) [lib] = open_##name,
static void (*const openers[LAZY_COUNT])(void) = {LAZY_LIBS(OPENER_AT_)};

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
