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

static bool zone_exists(const char *name)
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
  if (strlen(name) >= sizeof(zone_name) || !zone_exists(name))
    return err_set(e, EX_CONFIG,
                   "unknown time zone '%s' (expected a name from the tz "
                   "database such as 'Europe/Berlin'; is tzdata installed?)",
                   name);
  char tz[160];
  snprintf(tz, sizeof(tz), ":%s", name);
  setenv("TZ", tz, 1);
  tzset();
  snprintf(zone_name, sizeof(zone_name), "%s", name);
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

static bool valid_date(int y, int m, int d)
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
  struct tm w = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                 .tm_hour = hour, .tm_min = min, .tm_sec = sec};
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

static const struct {
  const char *name;
  long off;
} zone_abbrevs[] = {
    {"CET", 3600},  {"MEZ", 3600},  {"CEST", 7200}, {"MESZ", 7200},
    {"MEST", 7200}, {"UTC", 0},     {"GMT", 0},     {"Z", 0},
};

static void format_offset(long off, char out[8])
{
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  snprintf(out, 8, "%c%02ld:%02ld", sign, (off / 3600) % 100,
           (off / 60) % 60);
}

int when_parse_event_date(const char *str, time_t *t, struct buf *warn,
                          struct err *e)
{
  int f[6];
  const char *s = str;
  while (*s == ' ')
    s++;
  if (parse_wall(&s, f, 'T') < 0)
    return err_set(e, EX_DATAERR,
                   "date '%s' is not 'YYYY-MM-DD HH:MM[:SS] [ZONE]'", str);
  while (*s == ' ')
    s++;
  char zone[16] = "";
  size_t zl = strcspn(s, " ");
  if (zl >= sizeof(zone))
    return err_set(e, EX_DATAERR, "date '%s': unknown zone '%s'", str, s);
  memcpy(zone, s, zl);
  zone[zl] = '\0';
  s += zl;
  while (*s == ' ')
    s++;
  if (*s)
    return err_set(e, EX_DATAERR, "date '%s': unexpected text '%s'", str, s);
  if (!valid_date(f[0], f[1], f[2]))
    return err_set(e, EX_DATAERR, "date '%s' does not exist", str);
  if (f[3] > 23 || f[4] > 59 || f[5] > 59)
    return err_set(e, EX_DATAERR, "time in '%s' does not exist", str);
  int n = when_from_local(f[0], f[1], f[2], f[3], f[4], f[5], t);
  if (n == 0)
    return err_set(e, EX_DATAERR,
                   "%04d-%02d-%02d %02d:%02d does not exist in %s (the clocks "
                   "skip it when daylight saving time starts)",
                   f[0], f[1], f[2], f[3], f[4], zone_name);
  struct tm tm;
  localtime_r(t, &tm);
  char have[8];
  format_offset(tm.tm_gmtoff, have);
  if (n == 2)
    buf_addf(warn, "%04d-%02d-%02d %02d:%02d happens twice in %s (the clocks "
             "go back); taking the first, %s %s", f[0], f[1], f[2], f[3],
             f[4], zone_name, have, tm.tm_zone);
  if (!zone[0])
    return 0;
  if (zone[0] == '+' || zone[0] == '-') {
    long off;
    if (parse_offset(zone, &off) < 0)
      return err_set(e, EX_DATAERR, "date '%s': bad offset '%s'", str, zone);
    if (off != tm.tm_gmtoff) {
      /* in an overlap the second instant may be the one meant */
      time_t second = *t + (tm.tm_gmtoff - off);
      struct tm tm2;
      localtime_r(&second, &tm2);
      if (n == 2 && tm2.tm_gmtoff == off && tm2.tm_hour == f[3]) {
        *t = second;
        buf_reset(warn);
        return 0;
      }
      return err_set(e, EX_DATAERR,
                     "date '%s': offset %s contradicts %s, which is %s (%s) "
                     "on that date", str, zone, zone_name, have, tm.tm_zone);
    }
    return 0;
  }
  for (size_t i = 0; i < ARRAY_SIZE(zone_abbrevs); i++) {
    if (strcasecmp(zone, zone_abbrevs[i].name) != 0)
      continue;
    if (zone_abbrevs[i].off != tm.tm_gmtoff) {
      if (warn->len)
        buf_adds(warn, "; ");
      buf_addf(warn, "zone '%s' contradicts %s, which is %s (%s) on %04d-%02d-"
               "%02d; the wall-clock time %02d:%02d wins", zone, zone_name,
               have, tm.tm_zone, f[0], f[1], f[2], f[3], f[4]);
    }
    return 0;
  }
  return err_set(e, EX_DATAERR,
                 "date '%s': unknown zone '%s' (use MEZ, MESZ, CET, CEST, "
                 "UTC or an offset such as +02:00)", str, zone);
}

int when_parse_now(const char *str, time_t *t, struct err *e)
{
  int f[6];
  const char *s = str;
  if (parse_wall(&s, f, 'T') < 0 || !valid_date(f[0], f[1], f[2]) ||
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
  struct tm w = {.tm_year = f[0] - 1900, .tm_mon = f[1] - 1, .tm_mday = f[2],
                 .tm_hour = f[3], .tm_min = f[4], .tm_sec = f[5]};
  *t = timegm(&w) - off;
  return 0;
bad:
  return err_set(e, EX_USAGE,
                 "bad time '%s' (expected RFC 3339, e.g. "
                 "2024-09-11T19:15:00+02:00)", str);
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
    case 'w': unit = 7 * 86400; break;
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: goto bad;
    }
    total += v * unit;
    s = end + 1;
  }
  *secs = total;
  return 0;
bad:
  return err_set(e, EX_CONFIG,
                 "bad duration '%s' (expected a number and a unit d, h, m or "
                 "s, such as 21d or 2h)", str);
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
  struct tm day = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon,
                   .tm_mday = tm.tm_mday - (int)(offset / 86400),
                   .tm_hour = 12};
  time_t noon = timegm(&day);
  struct tm d;
  gmtime_r(&noon, &d);
  time_t r;
  int n = when_from_local(d.tm_year + 1900, d.tm_mon + 1, d.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec, &r);
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
  format_offset(tm.tm_gmtoff, off);
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
  static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr",
                                     "May", "Jun", "Jul", "Aug",
                                     "Sep", "Oct", "Nov", "Dec"};
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
