#ifndef CRIER_LAZY_H
#define CRIER_LAZY_H
/*
 * Libraries loaded when a command first needs them. Linking libcurl,
 * libcrypto, libmicrohttpd and libsqlite3 made every start pay for them
 * and the 30-odd libraries they bring (TLS, Kerberos, LDAP, ...): about 5
 * ms and 6 MiB for each `crier check` and each cron `run` that has nothing
 * to send; libcmark and libunistring are 0.4 MiB of such a run, and
 * libsodium (which such a run needs for nothing: event hashes are
 * computed when asked for) 0.2 MiB, libyaml and Jansson (which it needs
 * for nothing either: yamlfast.c reads the site, and its results are
 * empty) 0.17 MiB. crier links none of them but libc; lazy_*.c (curl,
 * crypto, mhd, sqlite, cmark, unistring, sodium, jansson, yaml) define
 * the functions crier calls, with the libraries' own names and
 * prototypes, and each forwards to the library, which is opened (dlopen)
 * and resolved on the first call. The code that uses them includes the
 * libraries' headers and calls them as usual.
 *
 * A library that cannot be opened is an error of the installation: code
 * that can report it calls lazy_load first (journal_open, the signing of
 * a Meetup token, crier serve, and deliver_run for curl, cmark,
 * libunistring, libsodium and Jansson before the first claim);
 * elsewhere (preview, check, the planner's keys and hashes) the first
 * call prints why and exits with EX_UNAVAILABLE.
 * Loading is thread-safe (pthread_once) and happens once per process.
 */
#include <stdbool.h>

#include "err.h"

enum lazy_lib {
  LAZY_CURL,
  LAZY_CRYPTO,
  LAZY_MHD,
  LAZY_SQLITE,
  LAZY_CMARK,
  LAZY_UNISTRING,
  LAZY_SODIUM,
  LAZY_JANSSON,
  LAZY_YAML,
  LAZY_COUNT
};

/* Opens lib and resolves every function crier uses from it (once).
 * Returns 0, or -1 with EX_UNAVAILABLE: the library or one of its
 * functions is missing. */
int lazy_load(enum lazy_lib lib, struct err *e);
/* Whether lib has been opened (tests, -v). */
bool lazy_loaded(enum lazy_lib lib);

/* For the forwarders: the table of lib's functions, loaded; a library
 * that cannot be loaded ends the process (EX_UNAVAILABLE) with the reason
 * on stderr. */
const void *lazy_table(enum lazy_lib lib);

/* For lazy_*.c: what lazy_load needs to know about a library. names is
 * the list of its functions, in the order of the pointers in table. */
struct lazy_spec {
  const char *soname; /* as the dynamic loader knows it */
  const char *what;   /* what crier needs it for, for messages */
  const char *const *names;
  void *table; /* an array of function pointers, filled */
};
/* The flags lazy_load opens a library with, given LD_PRELOAD's value
 * (NULL: not set): RTLD_DEEPBIND unless something is preloaded or the
 * build is sanitized. */
int lazy_dlopen_flags(const char *preload);
/* Opens s and fills its table, every time it is called (lazy_load opens
 * each library once); -1 with EX_UNAVAILABLE. For tests. */
int lazy_open_spec(const struct lazy_spec *s, struct err *e);
/* For lazy_*.c: defines spec, the table of the functions an X-macro
 * FUNCS lists (X(name) for each), their names, and an enum F_<name> of
 * their places. */
#define LAZY_DEFINE(spec, soname, what, FUNCS)                                 \
  enum { FUNCS(LAZY_ENUM_) F_COUNT };                                          \
  static const char *const names[] = {FUNCS(LAZY_NAME_) NULL};                 \
  static void (*table[F_COUNT])(void);                                         \
  const struct lazy_spec spec = {soname, what, names, table}
#define LAZY_ENUM_(f) F_##f,
#define LAZY_NAME_(f) #f,
/* Whether each library is loaded (set once, with release order): the
 * forwarders read it inline, so that a call to a loaded library costs a
 * load and a branch, not a call into lazy.c (rendering calls Jansson
 * thousands of times). */
extern bool lazy_ready[LAZY_COUNT];
/* The function f of lib, loaded, with its own prototype. */
#define LAZY_FN(lib, f)                                                        \
  ((__typeof__(&f))(__atomic_load_n(&lazy_ready[lib], __ATOMIC_ACQUIRE)        \
                        ? (void (*const *)(void))table                         \
                        : (void (*const *)(void))lazy_table(lib))[F_##f])

/* OpenSSL frees all it holds when the process exits (OPENSSL_cleanup,
 * which its initialisation registers with atexit): 0.5 M instructions at
 * the end of every run that sent, for memory the process gives back
 * anyway. Called after libcurl is loaded and before curl_global_init, this
 * asks OpenSSL not to register it. Only if libcurl brought libcrypto in
 * (a libcurl on another TLS library does not load it for this); TLS is
 * set up as before. */
void lazy_crypto_no_atexit(void);

/* Asks SQLite to allocate its page cache a page at a time, as pages are
 * read, instead of 20 pages at once at a connection's first read
 * (SQLITE_DEFAULT_PCACHE_INITSZ): 87 KB of heap, more than a cron run
 * with nothing due reads of a young journal. Only before SQLite is
 * initialized (journal_open calls it once, before the first connection);
 * later it changes nothing. */
void lazy_sqlite_page_by_page(void);

extern const struct lazy_spec lazy_curl_spec, lazy_crypto_spec, lazy_mhd_spec,
    lazy_sqlite_spec, lazy_cmark_spec, lazy_unistring_spec, lazy_sodium_spec,
    lazy_jansson_spec, lazy_yaml_spec;

#endif
