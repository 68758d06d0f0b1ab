/* URLs: strict parsing, what loopback is, same-origin for server-given
 * URLs, and the endpoint rule (https anywhere, http only to loopback). */
#include "harness.h"

#include "url.h"

static bool loopback(const char *s)
{
  struct url u;
  return url_parse(s, &u, NULL) == 0 && url_is_loopback(&u);
}

int main(void)
{
  struct url u;
  struct err e;
  OK(url_parse("https://API.GitHub.com:8443/repos/x?a=1", &u, &e) == 0, "%s",
     e.msg);
  STR_EQ(u.scheme, "https");
  STR_EQ(u.host, "api.github.com");
  INT_EQ(u.port, 8443);
  STR_EQ(u.rest, "/repos/x?a=1");
  OK(url_parse("http://[::1]:8080", &u, &e) == 0 && u.ipv6 && u.port == 8080 &&
         strcmp(u.rest, "") == 0,
     "ipv6: %s", e.msg);
  OK(url_parse("smtp://mail.example.org", &u, &e) == 0 && u.port == 25,
     "smtp default port");

  /* refused: forms another parser might read otherwise */
  static const char *const bad[] = {"https://api.github.com@evil.example/next",
                                    "https://user:pw@host/",
                                    "https://host\\\\@evil/",
                                    "https://ho st/",
                                    "https://host:99999/",
                                    "https://host:/",
                                    "https://host:0/",
                                    "https://[::1/",
                                    "https:///path",
                                    "ftp://host/",
                                    "javascript://x/",
                                    "host/path",
                                    "https://host\r\n/",
                                    "HTTPS://host/"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
    OK(url_parse(bad[i], &u, &e) < 0 && e.code == EX_CONFIG, "accepted %s",
       bad[i]);

  /* loopback is decided from the parsed host, never its text */
  OK(loopback("http://127.0.0.1:8080/x"), "127.0.0.1");
  OK(loopback("http://127.255.3.4/"), "127/8");
  OK(loopback("http://localhost:1/"), "localhost");
  OK(loopback("http://LocalHost/"), "localhost, any case");
  OK(loopback("http://[::1]:9/"), "[::1]");
  OK(!loopback("http://127.attacker.example/hook"), "127.attacker.example");
  OK(!loopback("http://127.0.0.1.nip.io/"), "a name that starts like an IP");
  OK(!loopback("http://localhost.evil.example/"), "localhost.evil.example");
  OK(!loopback("http://127.1/"), "short IPv4 forms");
  OK(!loopback("http://0x7f.0.0.1/"), "hex IPv4 forms");
  OK(!loopback("http://128.0.0.1/"), "not 127/8");
  OK(!loopback("http://[::2]/"), "::2");
  OK(!loopback("http://localhost@evil.example/"), "userinfo");

  /* endpoints */
  OK(url_check_endpoint("https://hooks.example.org/x", &e) == 0, "https");
  OK(url_check_endpoint("http://127.0.0.1:9/x", &e) == 0, "http loopback");
  OK(url_check_endpoint("http://127.attacker.example/hook", &e) < 0 &&
         e.code == EX_CONFIG && strstr(e.msg, "must be https"),
     "http elsewhere: %s", e.msg);
  OK(url_check_endpoint("smtp://mail.example.org:587", &e) == 0, "smtp");

  /* following a server's URL */
  OK(url_may_follow("https://api.github.com",
                    "https://api.github.com/repositories/1/issues?page=2"),
     "same origin");
  OK(url_may_follow("https://api.github.com", "https://API.github.com:443/x"),
     "same origin, spelled otherwise");
  OK(!url_may_follow("https://api.github.com",
                     "https://api.github.com@other.host/next"),
     "userinfo trick");
  OK(!url_may_follow("https://api.github.com", "https://other.host/next"),
     "other host");
  OK(!url_may_follow("https://api.github.com", "http://api.github.com/x"),
     "other scheme");
  OK(!url_may_follow("http://127.0.0.1:80", "http://127.0.0.1:81/x"),
     "other port");
  OK(!url_may_follow("https://api.github.com",
                     "https://api.github.com.evil.example/x"),
     "a longer host with the same prefix");
  return t_summary();
}
