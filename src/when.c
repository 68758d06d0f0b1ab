#include "when.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util.h"

static char zone_name[128] = "UTC";

/* The abbreviations of the zones asked for last (a few). */
static struct {
  char zone[128];
  struct when_abbr v[WHEN_MAX_ABBRS];
  size_t n;
} abbr_cache[4];
static size_t abbr_next;

bool when_zone_exists(const char *name)
{
  if (strcmp(name, "UTC") == 0)
    return true;
  if (!name[0] || name[0] == '/' || strstr(name, ".."))
    return false;
  const char *dir = getenv("TZDIR");
  if (!dir || !*dir)
    dir = "/usr/share/zoneinfo";
  char path[PATH_MAX];
  int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= sizeof(path))
    return false;
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int when_set_zone(const char *name, struct err *e)
{
  if (strlen(name) >= sizeof(zone_name) || !when_zone_exists(name))
    return err_set(e, EX_CONFIG,
                   "unknown time zone '%s' (expected a name from the tz "
                   "database such as 'Europe/Berlin'; is tzdata installed?)",
                   name);
  char tz[160];
  snprintf(tz, sizeof(tz), ":%s", name);
  setenv("TZ", tz, 1);
  tzset();
  snprintf(zone_name, sizeof(zone_name), "%s", name);
  abbr_next = 0;
  memset(abbr_cache, 0, sizeof(abbr_cache));
  return 0;
}

const char *when_zone(void)
{
  return zone_name;
}

void when_local(time_t t, struct tm *tm)
{
  localtime_r(&t, tm);
}

bool when_valid_date(int y, int m, int d)
{
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
    return false;
  int max = mdays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    max = 29;
  return d <= max;
}

int when_from_local(int year, int mon, int day, int hour, int min, int sec,
                    time_t *t)
{
  struct tm w = {.tm_year = year - 1900,
                 .tm_mon = mon - 1,
                 .tm_mday = day,
                 .tm_hour = hour,
                 .tm_min = min,
                 .tm_sec = sec};
  time_t u = timegm(&w); /* the wall-clock fields read as if UTC */
  /* Every offset the zone uses within a day of u is a candidate; an
   * instant u - off is a solution if the zone's offset at it is off. */
  long offs[3];
  int noffs = 0;
  for (int k = -1; k <= 1; k++) {
    time_t probe = u + k * 86400;
    struct tm tm;
    localtime_r(&probe, &tm);
    bool seen = false;
    for (int i = 0; i < noffs; i++)
      seen |= offs[i] == tm.tm_gmtoff;
    if (!seen)
      offs[noffs++] = tm.tm_gmtoff;
  }
  int found = 0;
  time_t first = 0;
  for (int i = 0; i < noffs; i++) {
    time_t c = u - offs[i];
    struct tm tm;
    localtime_r(&c, &tm);
    if (tm.tm_gmtoff != offs[i])
      continue;
    if (!found || c < first)
      first = c;
    found++;
  }
  if (found)
    *t = first;
  return found;
}

static int parse_digits(const char **p, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

/* "YYYY-MM-DD[ T]HH:MM[:SS]"; leaves *p after the time. */
static int parse_wall(const char **p, int f[6], char sep2)
{
  const char *s = *p;
  f[5] = 0;
  if (parse_digits(&s, 4, &f[0]) || *s++ != '-' || parse_digits(&s, 2, &f[1]) ||
      *s++ != '-' || parse_digits(&s, 2, &f[2]))
    return -1;
  if (*s != ' ' && *s != sep2)
    return -1;
  s++;
  while (*s == ' ')
    s++;
  if (parse_digits(&s, 2, &f[3]) || *s++ != ':' || parse_digits(&s, 2, &f[4]))
    return -1;
  if (*s == ':') {
    s++;
    if (parse_digits(&s, 2, &f[5]))
      return -1;
  }
  *p = s;
  return 0;
}

/* "+HH:MM", "+HHMM", "+HH" → seconds east of UTC. */
static int parse_offset(const char *s, long *off)
{
  int sign = *s == '+' ? 1 : *s == '-' ? -1 : 0;
  if (!sign)
    return -1;
  s++;
  int h, m = 0;
  if (parse_digits(&s, 2, &h))
    return -1;
  if (*s == ':')
    s++;
  if (*s && parse_digits(&s, 2, &m))
    return -1;
  if (*s || h > 23 || m > 59)
    return -1;
  *off = sign * (h * 3600L + m * 60L);
  return 0;
}

void when_format_offset(long off, char out[8])
{
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  long h = (off / 3600) % 100, m = (off / 60) % 60;
  /* as "%c%02ld:%02ld" (called for every event; vfprintf was 1,500
   * instructions of it) */
  char s[7] = {sign, (char)('0' + h / 10), (char)('0' + h % 10),
               ':',  (char)('0' + m / 10), (char)('0' + m % 10),
               '\0'};
  memcpy(out, s, sizeof(s));
}

/* Makes name the zone of local time for a moment (NULL or the site's
 * zone: the site's zone again). */
static void use_zone(const char *name)
{
  char tz[160];
  snprintf(tz, sizeof(tz), ":%s", name ? name : zone_name);
  setenv("TZ", tz, 1);
  tzset();
}

static bool other_zone(const char *zone)
{
  return zone && strcmp(zone, zone_name) != 0;
}

int when_from_local_in(const char *zone, int year, int mon, int day, int hour,
                       int min, int sec, time_t *t)
{
  if (!other_zone(zone))
    return when_from_local(year, mon, day, hour, min, sec, t);
  use_zone(zone);
  int n = when_from_local(year, mon, day, hour, min, sec, t);
  use_zone(NULL);
  return n;
}

void when_local_in(const char *zone, time_t t, struct tm *tm)
{
  if (!other_zone(zone)) {
    localtime_r(&t, tm);
    return;
  }
  use_zone(zone);
  localtime_r(&t, tm);
  use_zone(NULL);
}

size_t when_zone_abbrs(const char *zone, const struct when_abbr **out)
{
  const char *name = zone ? zone : zone_name;
  for (size_t i = 0; i < ARRAY_SIZE(abbr_cache); i++)
    if (abbr_cache[i].zone[0] && strcmp(abbr_cache[i].zone, name) == 0) {
      *out = abbr_cache[i].v;
      return abbr_cache[i].n;
    }
  size_t slot = abbr_next++ % (ARRAY_SIZE(abbr_cache));
  snprintf(abbr_cache[slot].zone, sizeof(abbr_cache[slot].zone), "%s", name);
  abbr_cache[slot].n = 0;
  if (other_zone(zone))
    use_zone(zone);
  /* every month of the years the events of a site fall into */
  for (int y = 1990; y <= 2037; y++)
    for (int m = 0; m < 12; m++) {
      struct tm w = {
          .tm_year = y - 1900, .tm_mon = m, .tm_mday = 15, .tm_hour = 12};
      time_t t = timegm(&w);
      struct tm tm;
      localtime_r(&t, &tm);
      if (!tm.tm_zone || !isalpha((unsigned char)tm.tm_zone[0]))
        continue; /* "+03": the zone has no abbreviation */
      bool seen = false;
      for (size_t i = 0; i < abbr_cache[slot].n && !seen; i++)
        seen = strcmp(abbr_cache[slot].v[i].name, tm.tm_zone) == 0;
      if (!seen && abbr_cache[slot].n < WHEN_MAX_ABBRS) {
        struct when_abbr *a = &abbr_cache[slot].v[abbr_cache[slot].n++];
        snprintf(a->name, sizeof(a->name), "%s", tm.tm_zone);
        a->off = tm.tm_gmtoff;
      }
    }
  if (other_zone(zone))
    use_zone(NULL);
  *out = abbr_cache[slot].v;
  return abbr_cache[slot].n;
}

int when_parse_now(const char *str, time_t *t, struct err *e)
{
  int f[6];
  const char *s = str;
  if (parse_wall(&s, f, 'T') < 0 || !when_valid_date(f[0], f[1], f[2]) ||
      f[3] > 23 || f[4] > 59 || f[5] > 60)
    goto bad;
  if (*s == '.') { /* fractional seconds are ignored */
    s++;
    while (isdigit((unsigned char)*s))
      s++;
  }
  if (!*s) {
    if (when_from_local(f[0], f[1], f[2], f[3], f[4], f[5], t) == 0)
      return err_set(e, EX_USAGE, "time '%s' does not exist in %s", str,
                     zone_name);
    return 0;
  }
  long off = 0;
  if (strcmp(s, "Z") != 0 && strcmp(s, "z") != 0 && parse_offset(s, &off) < 0)
    goto bad;
  struct tm w = {.tm_year = f[0] - 1900,
                 .tm_mon = f[1] - 1,
                 .tm_mday = f[2],
                 .tm_hour = f[3],
                 .tm_min = f[4],
                 .tm_sec = f[5]};
  *t = timegm(&w) - off;
  return 0;
bad:
  return err_set(e, EX_USAGE,
                 "bad time '%s' (expected RFC 3339, e.g. "
                 "2024-09-11T19:15:00+02:00)",
                 str);
}

int when_parse_duration(const char *str, long *secs, struct err *e)
{
  const char *s = str;
  long total = 0;
  if (!*s)
    goto bad;
  while (*s) {
    if (!isdigit((unsigned char)*s))
      goto bad;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || v > 100000)
      goto bad;
    long unit;
    switch (*end) {
    case 'w':
      unit = 7 * 86400;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      unit = 1;
      break;
    default:
      goto bad;
    }
    total += v * unit;
    s = end + 1;
  }
  *secs = total;
  return 0;
bad:
  return err_set(e, EX_CONFIG,
                 "bad duration '%s' (expected a number and a unit d, h, m or "
                 "s, such as 21d or 2h)",
                 str);
}

void when_format_duration(long secs, struct buf *out)
{
  if (secs && secs % 86400 == 0)
    buf_addf(out, "%ldd", secs / 86400);
  else if (secs && secs % 3600 == 0)
    buf_addf(out, "%ldh", secs / 3600);
  else if (secs && secs % 60 == 0)
    buf_addf(out, "%ldm", secs / 60);
  else
    buf_addf(out, "%lds", secs);
}

time_t when_before(time_t t, long offset)
{
  if (offset <= 0 || offset % 86400 != 0)
    return t - offset;
  struct tm tm;
  localtime_r(&t, &tm);
  /* the date offset/86400 days earlier, by whole-day arithmetic in UTC */
  struct tm day = {.tm_year = tm.tm_year,
                   .tm_mon = tm.tm_mon,
                   .tm_mday = tm.tm_mday - (int)(offset / 86400),
                   .tm_hour = 12};
  time_t noon = timegm(&day);
  struct tm d;
  gmtime_r(&noon, &d);
  time_t r;
  int n = when_from_local(d.tm_year + 1900, d.tm_mon + 1, d.tm_mday, tm.tm_hour,
                          tm.tm_min, tm.tm_sec, &r);
  if (n == 0) /* in a gap: the wall-clock time read with the offset before */
    n = when_from_local(d.tm_year + 1900, d.tm_mon + 1, d.tm_mday,
                        tm.tm_hour + 1, tm.tm_min, tm.tm_sec, &r);
  return n ? r : t - offset;
}

void when_rfc3339(time_t t, struct buf *out)
{
  struct tm tm;
  localtime_r(&t, &tm);
  char off[8];
  when_format_offset(tm.tm_gmtoff, off);
  buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
}

void when_rfc3339_utc(time_t t, struct buf *out)
{
  struct tm tm;
  gmtime_r(&t, &tm);
  buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *when_day_abbr(int wday)
{
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
  return days[(wday % 7 + 7) % 7];
}

const char *when_month_abbr(int mon)
{
  static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return mons[(mon % 12 + 12) % 12];
}

int when_now(time_t *t, struct err *e)
{
  const char *env = getenv("CRIER_NOW");
  if (env && *env) {
    if (when_parse_now(env, t, e) < 0) {
      char msg[sizeof(e->msg)];
      memcpy(msg, e->msg, sizeof(msg));
      return err_set(e, EX_USAGE, "CRIER_NOW: %s", msg);
    }
    return 0;
  }
  *t = time(NULL);
  return 0;
}
