#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct {
  const char *name;
  int port;
} schemes[] = {{"https", 443}, {"http", 80}, {"smtps", 465}, {"smtp", 25}};

static bool host_char(char c)
{
  return isalnum((unsigned char)c) || c == '-' || c == '.';
}

int url_parse(const char *s, struct url *u, struct err *e)
{
  memset(u, 0, sizeof(*u));
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c == 0x7f || c == '\\')
      return err_set(e, EX_CONFIG,
                     "URL '%s' contains a space, backslash or "
                     "control character",
                     s);
  }
  const char *colon = strstr(s, "://");
  if (!colon)
    return err_set(e, EX_CONFIG, "'%s' is not a URL (scheme://host/…)", s);
  size_t sl = (size_t)(colon - s);
  int defport = 0;
  for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
    if (strlen(schemes[i].name) == sl && strncmp(s, schemes[i].name, sl) == 0)
      defport = schemes[i].port;
  if (!defport)
    return err_set(e, EX_CONFIG,
                   "URL '%s': the scheme must be https, http, "
                   "smtps or smtp",
                   s);
  memcpy(u->scheme, s, sl);
  const char *h = colon + 3;
  size_t alen = strcspn(h, "/?#");
  const char *aend = h + alen;
  u->rest = aend;
  if (memchr(h, '@', alen))
    return err_set(e, EX_CONFIG,
                   "URL '%s': user information before the host "
                   "('…@') is not allowed",
                   s);
  const char *hend;
  if (*h == '[') {
    const char *rb = memchr(h, ']', alen);
    if (!rb || (size_t)(rb - h - 1) >= sizeof(u->host))
      return err_set(e, EX_CONFIG, "URL '%s': bad IPv6 address", s);
    memcpy(u->host, h + 1, (size_t)(rb - h - 1));
    struct in6_addr a6;
    if (inet_pton(AF_INET6, u->host, &a6) != 1)
      return err_set(e, EX_CONFIG, "URL '%s': bad IPv6 address", s);
    u->ipv6 = true;
    hend = rb + 1;
  } else {
    hend = h;
    while (hend < aend && *hend != ':')
      hend++;
    size_t hl = (size_t)(hend - h);
    if (!hl || hl >= sizeof(u->host))
      return err_set(e, EX_CONFIG, "URL '%s' has no host", s);
    for (size_t i = 0; i < hl; i++) {
      if (!host_char(h[i]))
        return err_set(e, EX_CONFIG,
                       "URL '%s': the host may contain only "
                       "letters, digits, '-' and '.'",
                       s);
      u->host[i] = (char)tolower((unsigned char)h[i]);
    }
  }
  u->port = defport;
  if (hend < aend) {
    if (*hend != ':' || hend + 1 == aend)
      return err_set(e, EX_CONFIG, "URL '%s': bad port", s);
    long port = 0;
    for (const char *p = hend + 1; p < aend; p++) {
      if (!isdigit((unsigned char)*p) ||
          (port = port * 10 + (*p - '0')) > 65535)
        return err_set(e, EX_CONFIG, "URL '%s': bad port", s);
    }
    if (port == 0)
      return err_set(e, EX_CONFIG, "URL '%s': bad port", s);
    u->port = (int)port;
  }
  return 0;
}

bool url_is_loopback(const struct url *u)
{
  if (u->ipv6) {
    struct in6_addr a6;
    return inet_pton(AF_INET6, u->host, &a6) == 1 &&
           memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
  }
  if (strcmp(u->host, "localhost") == 0)
    return true;
  /* a dotted-quad literal only: inet_pton refuses "127.1", "0x7f.1" and
   * names such as "127.attacker.example" */
  struct in_addr a4;
  if (inet_pton(AF_INET, u->host, &a4) != 1)
    return false;
  return (ntohl(a4.s_addr) >> 24) == 127;
}

bool url_same_origin(const struct url *a, const struct url *b)
{
  return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
         a->port == b->port;
}

int url_check_endpoint(const char *s, struct err *e)
{
  struct url u;
  if (url_parse(s, &u, e) < 0)
    return -1;
  if (strcmp(u.scheme, "http") == 0 && !url_is_loopback(&u))
    return err_set(e, EX_CONFIG,
                   "URL '%s' must be https:// (plain http only "
                   "to a loopback address: 127.0.0.0/8, [::1], localhost)",
                   s);
  return 0;
}

bool url_may_follow(const char *base, const char *next)
{
  struct url a, b;
  return url_parse(base, &a, NULL) == 0 && url_parse(next, &b, NULL) == 0 &&
         url_same_origin(&a, &b);
}
