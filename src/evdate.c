#include "evdate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "util.h"
#include "when.h"

enum zkind { Z_NONE, Z_OFFSET, Z_ABBR, Z_TZ };

/* What one value held. */
struct parsed {
  bool has_date, has_time, range;
  int y, m, d;
  int h, mi, s;
  enum zkind zk;
  long off;      /* Z_OFFSET */
  char zone[64]; /* Z_ABBR, Z_TZ: as written */
  char form[48];
};

static void form_add(struct parsed *r, const char *s)
{
  size_t n = strlen(r->form);
  str_copy(r->form + n, sizeof(r->form) - n, s);
}

static void skip_space(const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

static size_t ndigits(const char *p)
{
  size_t n = 0;
  while (isdigit((unsigned char)p[n]))
    n++;
  return n;
}

static int num(const char *p, size_t n)
{
  int v = 0;
  for (size_t i = 0; i < n; i++)
    v = v * 10 + (p[i] - '0');
  return v;
}

/* A word: letters and dots. Non-ASCII bytes count as letters, except
 * those of U+2000-U+2FFF (dashes, the minus sign and other symbols). */
static size_t word_len(const char *p)
{
  size_t n = 0;
  for (;;) {
    unsigned char c = (unsigned char)p[n];
    if (c == 0xE2) /* the lead byte of U+2000-U+2FFF */
      return n;
    if (!isalpha(c) && c < 0x80 && !(n && c == '.'))
      return n;
    n++;
  }
}

/* "st", "nd", "rd", "th" after a day, or a '.' (German). */
static void skip_ordinal(const char **p)
{
  static const char *const suf[] = {"st", "nd", "rd", "th"};
  if (**p == '.') {
    (*p)++;
    return;
  }
  for (size_t i = 0; i < 4; i++)
    if (strncasecmp(*p, suf[i], 2) == 0 && !isalpha((unsigned char)(*p)[2])) {
      *p += 2;
      return;
    }
}

/* A date at *p: 2024-09-11, 2024/09/11, 11.09.2024, or with the month's
 * name, after an optional weekday. Returns 0, 1 when there is none to
 * read (p unchanged), -1 for one that is malformed. */
static int read_date(const char **pp, struct parsed *r)
{
  const char *p = *pp;
  size_t n = ndigits(p);
  if (n == 4 && (p[4] == '-' || p[4] == '/')) {
    char sep = p[4];
    r->y = num(p, 4);
    p += 5;
    size_t mn = ndigits(p);
    if (mn < 1 || mn > 2 || p[mn] != sep)
      return -1;
    r->m = num(p, mn);
    p += mn + 1;
    size_t dn = ndigits(p);
    if (dn < 1 || dn > 2)
      return -1;
    r->d = num(p, dn);
    p += dn;
    form_add(r, sep == '-' ? "YYYY-MM-DD" : "YYYY/MM/DD");
    if ((*p == 'T' || *p == 't') && isdigit((unsigned char)p[1])) {
      p++;
      form_add(r, "T");
      r->has_date = true;
      *pp = p;
      return 0;
    }
    goto done;
  }
  if (n >= 1 && n <= 2 && p[n] == '.' && isdigit((unsigned char)p[n + 1])) {
    const char *q = p + n + 1;
    size_t mn = ndigits(q);
    if (mn >= 1 && mn <= 2 && q[mn] == '.' && ndigits(q + mn + 1) == 4) {
      r->d = num(p, n);
      r->m = num(q, mn);
      r->y = num(q + mn + 1, 4);
      p = q + mn + 5;
      form_add(r, "DD.MM.YYYY");
      goto done;
    }
  }
  if (n >= 1 && n <= 2 && p[n] == '/')
    return -1; /* 09/11/2024: the day or the month first? */
  /* with names: an optional weekday, then "September 11, 2024" or
   * "11 September 2024" */
  size_t w = word_len(p);
  if (w && i18n_is_weekday(p, w)) {
    p += w;
    if (*p == ',')
      p++;
    skip_space(&p);
    form_add(r, "Weekday, ");
  }
  w = word_len(p);
  int mon = w ? i18n_month_from(p, w) : -1;
  if (mon >= 0) {
    p += w;
    skip_space(&p);
    size_t dn = ndigits(p);
    if (dn < 1 || dn > 2)
      return -1;
    r->d = num(p, dn);
    p += dn;
    skip_ordinal(&p);
    if (*p == ',')
      p++;
    skip_space(&p);
    form_add(r, "Month D, YYYY");
  } else if ((n = ndigits(p)) >= 1 && n <= 2) {
    r->d = num(p, n);
    p += n;
    skip_ordinal(&p);
    skip_space(&p);
    w = word_len(p);
    mon = w ? i18n_month_from(p, w) : -1;
    if (mon < 0)
      return -1;
    p += w;
    if (*p == ',')
      p++;
    skip_space(&p);
    form_add(r, "D Month YYYY");
  } else {
    return r->form[0] ? -1 : 1;
  }
  if (ndigits(p) != 4)
    return -1;
  r->m = mon + 1;
  r->y = num(p, 4);
  p += 4;
done:
  if (isalnum((unsigned char)*p))
    return -1;
  r->has_date = true;
  *pp = p;
  return 0;
}

/* A time at *p: 19:15, 9:05:30.5, 7pm, 7:15 PM. Returns 0, 1 when there
 * is none, -1 for one that is malformed. */
static int read_time(const char **pp, struct parsed *r, bool record)
{
  const char *p = *pp;
  size_t n = ndigits(p);
  if (n < 1 || n > 2)
    return 1;
  int h = num(p, n), mi = 0, s = 0;
  bool minutes = false;
  char form[32];
  size_t fl = str_copy(form, sizeof(form), n == 1 ? "H" : "HH");
  p += n;
  if (*p == ':' && ndigits(p + 1) == 2) {
    mi = num(p + 1, 2);
    p += 3;
    minutes = true;
    fl += str_copy(form + fl, sizeof(form) - fl, ":MM");
    if (*p == ':' && ndigits(p + 1) == 2) {
      s = num(p + 1, 2);
      p += 3;
      fl += str_copy(form + fl, sizeof(form) - fl, ":SS");
      if ((*p == '.' || *p == ',') && isdigit((unsigned char)p[1])) {
        p++;
        while (isdigit((unsigned char)*p))
          p++; /* fractions of a second do not matter */
        fl += str_copy(form + fl, sizeof(form) - fl, ".f");
      }
    }
  }
  const char *q = p;
  skip_space(&q);
  size_t w = word_len(q);
  int ampm = w ? i18n_ampm_from(q, w) : -1;
  if (ampm >= 0) {
    if (h < 1 || h > 12)
      return -1;
    h = h % 12 + (ampm ? 12 : 0);
    p = q + w;
    str_copy(form + fl, sizeof(form) - fl, " AM");
  } else if (!minutes) {
    return -1; /* "19": a number, not a time */
  }
  bool zulu = (*p == 'Z' || *p == 'z') && !isalnum((unsigned char)p[1]);
  if (isalnum((unsigned char)*p) && !zulu)
    return -1;
  if (record) {
    r->h = h;
    r->mi = mi;
    r->s = s;
    r->has_time = true;
    form_add(r, form);
  }
  *pp = p;
  return 0;
}

/* An offset at p after its sign: 2, 02, 0200, 02:00. */
static int read_offset(const char **pp, int sign, long *off)
{
  const char *p = *pp;
  size_t n = ndigits(p);
  int h, m = 0;
  if (n == 1 || n == 2) {
    h = num(p, n);
    p += n;
    if (*p == ':' && ndigits(p + 1) == 2) {
      m = num(p + 1, 2);
      p += 3;
    }
  } else if (n == 4) {
    h = num(p, 2);
    m = num(p + 2, 2);
    p += 4;
  } else {
    return -1;
  }
  if (h > 14 || m > 59)
    return -1;
  *off = sign * (h * 3600L + m * 60L);
  *pp = p;
  return 0;
}

/* The sign of an offset at p (ASCII or U+2212), 0 if none; sets *len. */
static int sign_at(const char *p, size_t *len)
{
  *len = 1;
  if (*p == '+')
    return 1;
  if (*p == '-')
    return -1;
  if (strncmp(p, "\xE2\x88\x92", 3) == 0) {
    *len = 3;
    return -1;
  }
  return 0;
}

/* A zone at *p (after the time). Returns 0, 1 when there is none, -1 for
 * one that is malformed. */
static int read_zone(const char **pp, struct parsed *r)
{
  const char *p = *pp;
  bool paren = *p == '(';
  if (paren)
    p++;
  size_t sl;
  int sign = sign_at(p, &sl);
  if ((*p == 'Z' || *p == 'z') && !isalnum((unsigned char)p[1])) {
    r->zk = Z_OFFSET;
    r->off = 0;
    p++;
    form_add(r, "Z");
  } else if (sign && isdigit((unsigned char)p[sl])) {
    p += sl;
    if (read_offset(&p, sign, &r->off) < 0)
      return -1;
    r->zk = Z_OFFSET;
    form_add(r, "+HH:MM");
  } else if (isalpha((unsigned char)*p)) {
    /* a tz name (Area/City, with '_', '-', '+' and digits), else a word */
    size_t n = 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '/' || p[n] == '_' ||
           p[n] == '-' || p[n] == '+')
      n++;
    if (!memchr(p, '/', n))
      for (n = 0; isalpha((unsigned char)p[n]);)
        n++;
    if (n >= sizeof(r->zone))
      return -1;
    memcpy(r->zone, p, n);
    r->zone[n] = '\0';
    if (strchr(r->zone, '/')) {
      r->zk = Z_TZ;
      p += n;
      form_add(r, "Area/City");
    } else if (n == 3 &&
               (strncasecmp(p, "UTC", 3) == 0 ||
                strncasecmp(p, "GMT", 3) == 0) &&
               (sign = sign_at(p + 3, &sl)) != 0) {
      p += 3 + sl;
      if (read_offset(&p, sign, &r->off) < 0)
        return -1;
      r->zk = Z_OFFSET;
      r->zone[0] = '\0';
      form_add(r, "UTC+N");
    } else {
      r->zk = Z_ABBR;
      p += n;
      form_add(r, "ZONE");
    }
  } else {
    return paren ? -1 : 1;
  }
  if (paren && *p++ != ')')
    return -1;
  *pp = p;
  return 0;
}

/* A dash between two times: " - ", "–", "—" (an ASCII '-' attached to
 * the time is an offset's sign). */
static size_t range_dash(const char *p, bool spaced)
{
  if (*p == '-' && spaced)
    return 1;
  if (strncmp(p, "\xE2\x80\x93", 3) == 0 || strncmp(p, "\xE2\x80\x94", 3) == 0)
    return 3;
  return 0;
}

/* Reads one value: a date (want_date), then a time and a zone (each
 * optional), then an optional range's end. Returns 0 or -1 with a reason
 * in why. */
static int read_value(const char *s, bool want_date, struct parsed *r,
                      const char **why)
{
  const char *p = s;
  skip_space(&p);
  if (want_date) {
    int rc = read_date(&p, r);
    if (rc) {
      *why = "not a date I can read";
      return -1;
    }
    skip_space(&p);
    if (*p == ',' || *p == '@') {
      p++;
      skip_space(&p);
    }
  }
  if (*p && read_time(&p, r, true) < 0) {
    *why = "not a time I can read";
    return -1;
  }
  for (int pass = 0; pass < 2; pass++) {
    const char *before = p;
    skip_space(&p);
    size_t dl;
    if (r->has_time && !r->range && (dl = range_dash(p, p > before))) {
      const char *q = p + dl;
      skip_space(&q);
      struct parsed end = {0};
      if (read_time(&q, &end, true) == 0) {
        r->range = true;
        p = q;
        continue;
      }
    }
    if (*p && r->zk == Z_NONE && (r->has_time || !want_date)) {
      int rc = read_zone(&p, r);
      if (rc < 0) {
        *why = "not a zone I can read";
        return -1;
      }
    }
  }
  skip_space(&p);
  if (*p) {
    *why = "unexpected text at the end";
    return -1;
  }
  return 0;
}

/* The zones an abbreviation may stand for in zone: the tz names that
 * zone uses, and their spellings in the language files, as a list. */
static void abbr_list(const char *zone, struct buf *out)
{
  const struct when_abbr *a;
  size_t n = when_zone_abbrs(zone, &a);
  for (size_t i = 0; i < n; i++)
    buf_addf(out, "%s%s", i ? ", " : "", a[i].name);
  bool also = false;
  for (size_t i = 0; i < n; i++) {
    const char *sp[8];
    size_t ns = i18n_zone_spellings(a[i].name, sp, 8);
    for (size_t k = 0; k < ns; k++) {
      buf_addf(out, "%s%s", also ? ", " : "; also written ", sp[k]);
      also = true;
    }
  }
}

/* What the abbreviation written stands for in zone: its offset; false if
 * zone does not use it. */
static bool abbr_offset(const char *zone, const char *written, long *off)
{
  const char *means = i18n_zone_meaning(written);
  const struct when_abbr *a;
  size_t n = when_zone_abbrs(zone, &a);
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(a[i].name, written) == 0 ||
        (means && strcmp(a[i].name, means) == 0)) {
      *off = a[i].off;
      return true;
    }
  /* UTC and GMT are labels any site may write */
  if (strcasecmp(written, "UTC") == 0 || strcasecmp(written, "GMT") == 0) {
    *off = 0;
    return true;
  }
  return false;
}

static const char *zone_label(const char *zone)
{
  return zone ? zone : when_zone();
}

int evdate_parse(const struct evdate_in *in, struct evdate *out,
                 struct buf *warn, struct err *e)
{
  memset(out, 0, sizeof(*out));
  struct parsed D = {0}, T = {0};
  const char *why = NULL;
  const char *dv = in->date;
  char name[11];
  out->bad = EVDATE_DATE;
  if (!dv && in->name_date && strlen(in->name_date) >= 10) {
    memcpy(name, in->name_date, 10);
    name[10] = '\0';
    const char *p = name;
    if (read_date(&p, &D) == 0 && !*p && strcmp(D.form, "YYYY-MM-DD") == 0) {
      dv = name;
      out->from_name = true;
    }
    memset(&D, 0, sizeof(D));
  }
  if (!dv)
    return err_set(e, EX_DATAERR, "no date");
  if (read_value(dv, true, &D, &why) < 0)
    return err_set(e, EX_DATAERR, "date '%s': %s", dv, why);
  out->y = D.y;
  out->m = D.m;
  out->d = D.d;
  str_copy(out->form, sizeof(out->form), D.form);
  if (!when_valid_date(D.y, D.m, D.d))
    return err_set(e, EX_DATAERR, "date '%s' does not exist", dv);
  /* the time (and its zone): from the time value, else the date's, else
   * the site's default */
  const char *tv = in->time;
  enum evdate_field tf = EVDATE_TIME;
  if (tv) {
    out->bad = EVDATE_TIME;
    if (read_value(tv, false, &T, &why) < 0 || !T.has_time)
      return err_set(e, EX_DATAERR, "time '%s': %s", tv,
                     why ? why : "not a time I can read");
    if (D.has_time && (D.h || D.mi || D.s))
      return err_set(e, EX_DATAERR,
                     "the time is given twice: in the date "
                     "'%s' and as '%s'",
                     dv, tv);
    /* a date at midnight (a generator's publishing date) and a time */
    if (T.zk == Z_NONE && D.has_time) {
      T.zk = D.zk;
      T.off = D.off;
      memcpy(T.zone, D.zone, sizeof(T.zone));
    }
    size_t fl = strlen(out->form);
    fl += str_copy(out->form + fl, sizeof(out->form) - fl, " + ");
    str_copy(out->form + fl, sizeof(out->form) - fl, T.form);
  } else if (D.has_time) {
    T = D;
    tv = dv;
    tf = EVDATE_DATE;
  } else if (in->default_time) {
    tv = in->default_time;
    if (read_value(tv, false, &T, &why) < 0 || !T.has_time)
      return err_set(e, EX_CONFIG, "default time '%s': %s", tv,
                     why ? why : "not a time I can read");
  } else {
    return err_set(e, EX_DATAERR, "date '%s' has no time of day", dv);
  }
  out->bad = tf;
  if (T.range) {
    if (warn->len)
      buf_adds(warn, "; ");
    buf_addf(warn, "'%s' is a range: crier reads its start", tv);
  }
  if (T.h > 23 || T.mi > 59 || T.s > 59)
    return err_set(e, EX_DATAERR, "time in '%s' does not exist", tv);
  /* the zone of the event: its own, else the site's */
  const char *zone = NULL;
  if (in->zone) {
    if (!when_zone_exists(in->zone)) {
      out->bad = EVDATE_ZONE;
      return err_set(e, EX_DATAERR,
                     "unknown time zone '%s' (expected a "
                     "name from the tz database such as 'America/Chicago')",
                     in->zone);
    }
    zone = in->zone;
  }
  const char *zv = tv;
  if (T.zk == Z_TZ) {
    if (!when_zone_exists(T.zone))
      return err_set(e, EX_DATAERR,
                     "'%s': unknown time zone '%s' "
                     "(expected a name from the tz database such as "
                     "'America/Chicago')",
                     zv, T.zone);
    if (zone && strcmp(zone, T.zone) != 0)
      return err_set(e, EX_DATAERR,
                     "'%s' names the zone %s, but the "
                     "event's time zone is %s",
                     zv, T.zone, zone);
    zone = T.zone;
  }
  if (zone && strcmp(zone, when_zone()) != 0)
    snprintf(out->zone, sizeof(out->zone), "%s", zone);
  struct tm tm;
  char have[8];
  if (T.zk == Z_OFFSET) {
    /* the instant as written */
    struct tm w = {.tm_year = D.y - 1900,
                   .tm_mon = D.m - 1,
                   .tm_mday = D.d,
                   .tm_hour = T.h,
                   .tm_min = T.mi,
                   .tm_sec = T.s};
    out->start = timegm(&w) - T.off;
    when_local_in(zone, out->start, &tm);
    if (tm.tm_gmtoff != T.off) {
      char wrote[8];
      when_format_offset(T.off, wrote);
      when_format_offset(tm.tm_gmtoff, have);
      if (warn->len)
        buf_adds(warn, "; ");
      buf_addf(warn,
               "'%s' is at %s, but %s is %s (%s) then: the event "
               "starts at %02d:%02d there (leave out the offset to mean "
               "%02d:%02d there)",
               zv, wrote, zone_label(zone), have, tm.tm_zone, tm.tm_hour,
               tm.tm_min, T.h, T.mi);
    }
    return 0;
  }
  int n = when_from_local_in(zone, D.y, D.m, D.d, T.h, T.mi, T.s, &out->start);
  if (n == 0)
    return err_set(e, EX_DATAERR,
                   "%04d-%02d-%02d %02d:%02d does not exist in %s (the clocks "
                   "skip it when daylight saving time starts)",
                   D.y, D.m, D.d, T.h, T.mi, zone_label(zone));
  when_local_in(zone, out->start, &tm);
  when_format_offset(tm.tm_gmtoff, have);
  if (n == 2) {
    if (warn->len)
      buf_adds(warn, "; ");
    buf_addf(warn,
             "%04d-%02d-%02d %02d:%02d happens twice in %s (the "
             "clocks go back); taking the first, %s %s",
             D.y, D.m, D.d, T.h, T.mi, zone_label(zone), have, tm.tm_zone);
  }
  if (T.zk != Z_ABBR)
    return 0;
  /* the zone in effect then, as written (most files), or a season away
   * (winter time written in summer): no table needed */
  static const int days[] = {0, 91, -91, 182, -182};
  const char *means = i18n_zone_meaning(T.zone);
  long off = 0;
  bool found = false;
  for (size_t k = 0; k < sizeof(days) / sizeof(*days) && !found; k++) {
    struct tm o = tm;
    if (days[k])
      when_local_in(zone, out->start + (time_t)days[k] * 86400, &o);
    found = o.tm_zone && (strcasecmp(o.tm_zone, T.zone) == 0 ||
                          (means && strcmp(o.tm_zone, means) == 0));
    off = o.tm_gmtoff;
  }
  if (!found && !abbr_offset(zone, T.zone, &off)) {
    struct buf list = BUF_INIT;
    abbr_list(zone, &list);
    err_set(e, EX_DATAERR,
            "'%s': unknown zone '%s' for %s (it uses %s; or "
            "write an offset such as %s%s)",
            zv, T.zone, zone_label(zone),
            list.len ? list.data : "no abbreviations", have,
            zone ? "" : ", or give the event its own time zone");
    buf_release(&list);
    return -1;
  }
  if (off != tm.tm_gmtoff) {
    if (warn->len)
      buf_adds(warn, "; ");
    buf_addf(warn,
             "zone '%s' contradicts %s, which is %s (%s) on %04d-%02d-"
             "%02d; the wall-clock time %02d:%02d wins",
             T.zone, zone_label(zone), have, tm.tm_zone, D.y, D.m, D.d, T.h,
             T.mi);
  }
  return 0;
}

int evdate_parse_str(const char *s, time_t *t, struct buf *warn, struct err *e)
{
  struct evdate_in in = {.date = s};
  struct evdate out;
  if (evdate_parse(&in, &out, warn, e) < 0)
    return -1;
  *t = out.start;
  return 0;
}
