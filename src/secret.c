#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"

struct known {
  char *s;
  size_t n;
};
static struct known *known;
static size_t nknown, capknown;

void secret_wipe(struct buf *b)
{
  if (b->cap)
    explicit_bzero(b->data, b->cap);
  buf_release(b);
}

void secret_register(const char *s, size_t n)
{
  if (n < 4)
    return;
  for (size_t i = 0; i < nknown; i++)
    if (known[i].n == n && memcmp(known[i].s, s, n) == 0)
      return;
  known = xgrow(known, &capknown, nknown + 1, sizeof(*known));
  known[nknown].s = xstrndup(s, n);
  known[nknown].n = n;
  nknown++;
}

void secret_forget_all(void)
{
  for (size_t i = 0; i < nknown; i++) {
    explicit_bzero(known[i].s, known[i].n);
    free(known[i].s);
  }
  free(known);
  known = NULL;
  nknown = capknown = 0;
}

/* A secret that is a URL (a webhook's, with its token in the path): its
 * path and its last path segment are secrets too, so that a request line
 * built from it, or a server's echo of the path, is redacted as well. */
static void register_url_parts(const char *v)
{
  const char *p = strstr(v, "://");
  if (!p || p == v || strcspn(v, ":") != (size_t)(p - v))
    return;
  const char *path = strchr(p + 3, '/');
  if (!path)
    return;
  size_t n = strcspn(path, "?#");
  secret_register(path, strlen(path));
  while (n > 1 && path[n - 1] == '/')
    n--;
  const char *last = path + n;
  while (last > path && last[-1] != '/')
    last--;
  if ((size_t)(path + n - last) >= 8)
    secret_register(last, (size_t)(path + n - last));
}

int secret_get(const struct secret_ref *ref, const char *what, struct buf *out,
               struct err *e)
{
  secret_wipe(out);
  if (ref->kind == SECRET_NONE)
    return err_set(e, EX_CONFIG, "%s: no secret configured", what);
  if (ref->kind == SECRET_ENV) {
    const char *v = getenv(ref->name);
    if (!v || !*v)
      return err_set(e, EX_CONFIG,
                     "%s: the environment variable %s is "
                     "not set",
                     what, ref->name);
    buf_adds(out, v);
  } else {
    int fd = open(ref->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return err_set(e, EX_CONFIG, "%s: cannot open %s: %s", what, ref->name,
                     strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return err_set(e, EX_CONFIG, "%s: %s is not a regular file", what,
                     ref->name);
    }
    if (st.st_mode & 077) {
      close(fd);
      return err_set(e, EX_CONFIG,
                     "%s: %s can be read by others (mode "
                     "%03o); chmod 600 it",
                     what, ref->name, (unsigned)(st.st_mode & 0777));
    }
    close(fd);
    struct err fe;
    if (file_read(ref->name, 65536, out, &fe) < 0) {
      secret_wipe(out);
      return err_set(e, EX_CONFIG, "%s: cannot read %s", what, ref->name);
    }
    while (out->len &&
           (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
      out->data[--out->len] = '\0';
  }
  if (!out->len)
    return err_set(e, EX_CONFIG, "%s: the secret is empty", what);
  secret_register(out->data, out->len);
  register_url_parts(out->data);
  return 0;
}

static bool token_char(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '+' || c == '/' || c == '=' || c == '%' || c == '~';
}

/* Replaces b[start..end) with "***". */
static void mask(struct buf *b, size_t start, size_t end)
{
  struct buf t = BUF_INIT;
  buf_add(&t, b->data, start);
  buf_adds(&t, "***");
  buf_add(&t, b->data + end, b->len - end);
  buf_release(b);
  *b = t;
}

/* Replaces the value after each occurrence of key (case-insensitive) up to
 * the end of the token (or of the line, for headers). */
static void redact_after(struct buf *b, const char *key, bool to_eol)
{
  size_t kl = strlen(key);
  for (size_t i = 0; i + kl <= b->len; i++) {
    if (strncasecmp(b->data + i, key, kl) != 0)
      continue;
    size_t start = i + kl, end = start;
    if (to_eol)
      while (end < b->len && b->data[end] != '\r' && b->data[end] != '\n')
        end++;
    else
      while (end < b->len && token_char(b->data[end]))
        end++;
    if (end == start ||
        (end - start == 3 && memcmp(b->data + start, "***", 3) == 0))
      continue;
    mask(b, start, end);
    i = start + 2;
  }
}

static bool json_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The string value of every JSON member named key ("key" : "value", with
 * any white space around the colon), whatever it holds. */
static void redact_json_member(struct buf *b, const char *key)
{
  size_t kl = strlen(key);
  for (size_t i = 0; i + kl + 2 <= b->len; i++) {
    if (b->data[i] != '"' || strncasecmp(b->data + i + 1, key, kl) != 0 ||
        b->data[i + 1 + kl] != '"')
      continue;
    size_t p = i + kl + 2;
    while (p < b->len && json_space(b->data[p]))
      p++;
    if (p >= b->len || b->data[p] != ':')
      continue;
    p++;
    while (p < b->len && json_space(b->data[p]))
      p++;
    if (p >= b->len || b->data[p] != '"')
      continue;
    size_t start = p + 1, end = start;
    while (end < b->len && b->data[end] != '"')
      end += b->data[end] == '\\' ? 2 : 1;
    if (end > b->len)
      end = b->len;
    if (end == start ||
        (end - start == 3 && memcmp(b->data + start, "***", 3) == 0))
      continue;
    mask(b, start, end);
    i = start + 2;
  }
}

/* A JWT: three base64url parts joined by dots, starting with "eyJ". */
static void redact_jwts(struct buf *b)
{
  for (size_t i = 0; i + 3 < b->len; i++) {
    if (memcmp(b->data + i, "eyJ", 3) != 0 ||
        (i && token_char(b->data[i - 1]) && b->data[i - 1] != '.'))
      continue;
    size_t end = i;
    int dots = 0;
    while (end < b->len && (token_char(b->data[end]))) {
      dots += b->data[end] == '.';
      end++;
    }
    if (dots < 2)
      continue;
    mask(b, i, end);
    i += 2;
  }
}

void secret_redact(struct buf *b)
{
  for (size_t k = 0; k < nknown; k++) {
    const struct known *s = &known[k];
    for (size_t i = 0; i + s->n <= b->len; i++) {
      if (memcmp(b->data + i, s->s, s->n) != 0)
        continue;
      mask(b, i, i + s->n);
      i += 2;
    }
  }
  redact_after(b, "Authorization: ", true);
  redact_after(b, "X-Postmark-Server-Token: ", true);
  static const char *const keys[] = {
      "access_token=", "refresh_token=", "assertion=", "client_secret=",
      "whsec_",        "whsk_",          "password="};
  for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
    redact_after(b, keys[k], false);
  static const char *const members[] = {
      "access_token", "refresh_token", "id_token",  "client_secret", "password",
      "api_key",      "token",         "accessJwt", "refreshJwt",    "secret"};
  for (size_t k = 0; k < ARRAY_SIZE(members); k++)
    redact_json_member(b, members[k]);
  redact_jwts(b);
}

char *secret_redacted(const char *s)
{
  struct buf b = BUF_INIT;
  buf_adds(&b, s);
  secret_redact(&b);
  return buf_detach(&b);
}
