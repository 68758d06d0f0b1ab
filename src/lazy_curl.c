/* libcurl, opened when crier first sends (lazy.h). A curl_slist is a list
 * that libcurl only reads: building and freeing one does not need the
 * library, so that dry runs and previews, which build requests, never
 * open it. */
#include "lazy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define CURL_FUNCS(X)                                                          \
  X(curl_global_init)                                                          \
  X(curl_easy_init)                                                            \
  X(curl_easy_cleanup)                                                         \
  X(curl_easy_reset)                                                           \
  X(curl_easy_setopt)                                                          \
  X(curl_easy_getinfo)                                                         \
  X(curl_easy_strerror)                                                        \
  X(curl_multi_init)                                                           \
  X(curl_multi_cleanup)                                                        \
  X(curl_multi_setopt)                                                         \
  X(curl_multi_add_handle)                                                     \
  X(curl_multi_remove_handle)                                                  \
  X(curl_multi_perform)                                                        \
  X(curl_multi_poll)                                                           \
  X(curl_multi_info_read)                                                      \
  X(curl_getdate)

LAZY_DEFINE(lazy_curl_spec, CRIER_SONAME_CURL, "needed to send", CURL_FUNCS);
#define FN(f) LAZY_FN(LAZY_CURL, f)

CURLcode curl_global_init(long flags)
{
  return FN(curl_global_init)(flags);
}

CURL *curl_easy_init(void)
{
  return FN(curl_easy_init)();
}

void curl_easy_cleanup(CURL *c)
{
  FN(curl_easy_cleanup)(c);
}

void curl_easy_reset(CURL *c)
{
  FN(curl_easy_reset)(c);
}

/* An option's type is in its number (curl.h's CURLOPTTYPE_*): the one
 * argument is taken as that type and passed on. */
#define PASS_OPTION(f, h, o, ap)                                               \
  ((o) < CURLOPTTYPE_OBJECTPOINT     ? f(h, o, va_arg(ap, long))               \
   : (o) < CURLOPTTYPE_FUNCTIONPOINT ? f(h, o, va_arg(ap, void *))             \
   : (o) < CURLOPTTYPE_OFF_T         ? f(h, o, va_arg(ap, void (*)(void)))     \
   : (o) < CURLOPTTYPE_BLOB          ? f(h, o, va_arg(ap, curl_off_t))         \
                                     : f(h, o, va_arg(ap, void *)))

CURLcode(curl_easy_setopt)(CURL *c, CURLoption o, ...)
{
  __typeof__(&curl_easy_setopt) f = FN(curl_easy_setopt);
  va_list ap;
  va_start(ap, o);
  CURLcode rc = PASS_OPTION(f, c, o, ap);
  va_end(ap);
  return rc;
}

CURLcode(curl_easy_getinfo)(CURL *c, CURLINFO info, ...)
{
  va_list ap;
  va_start(ap, info);
  CURLcode rc = FN(curl_easy_getinfo)(c, info, va_arg(ap, void *));
  va_end(ap);
  return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
  return FN(curl_easy_strerror)(code);
}

CURLM *curl_multi_init(void)
{
  return FN(curl_multi_init)();
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
  return FN(curl_multi_cleanup)(m);
}

CURLMcode(curl_multi_setopt)(CURLM *m, CURLMoption o, ...)
{
  __typeof__(&curl_multi_setopt) f = FN(curl_multi_setopt);
  va_list ap;
  va_start(ap, o);
  CURLMcode rc = PASS_OPTION(f, m, o, ap);
  va_end(ap);
  return rc;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *c)
{
  return FN(curl_multi_add_handle)(m, c);
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *c)
{
  return FN(curl_multi_remove_handle)(m, c);
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
  return FN(curl_multi_perform)(m, running);
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd fds[], unsigned int nfds,
                          int timeout_ms, int *numfds)
{
  return FN(curl_multi_poll)(m, fds, nfds, timeout_ms, numfds);
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
  return FN(curl_multi_info_read)(m, left);
}

time_t curl_getdate(const char *p, const time_t *unused)
{
  return FN(curl_getdate)(p, unused);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
  struct curl_slist *n = malloc(sizeof(*n));
  char *copy = strdup(s);
  if (!n || !copy) {
    free(n);
    free(copy);
    return NULL; /* l is untouched, as libcurl's own does */
  }
  n->data = copy;
  n->next = NULL;
  if (!l)
    return n;
  struct curl_slist *last = l;
  while (last->next)
    last = last->next;
  last->next = n;
  return l;
}

void curl_slist_free_all(struct curl_slist *l)
{
  while (l) {
    struct curl_slist *next = l->next;
    free(l->data);
    free(l);
    l = next;
  }
}
