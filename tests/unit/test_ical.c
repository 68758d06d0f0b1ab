/* iCalendar text: escaping and folding, UTC and local times, the
 * VTIMEZONE made from the tz database (Europe/Berlin, America/New_York,
 * a zone without daylight saving), the second of two equal local times,
 * methods, the organizer, GEO, durations. The parsers of others read the
 * same output in tests/conformance/ical.test.mjs. */
#include "harness.h"

#include "ical.h"

/* How often needle occurs in s. */
static int count(const char *s, const char *needle)
{
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

static void test_text(void)
{
  struct buf b = BUF_INIT;
  struct ical_cal c = {.method = ICAL_PUBLISH};
  struct ical_event ev = {
      .uid = "2030-12-04-x@x.example",
      .start = at("2030-12-04T19:30:00+01:00"),
      .end = at("2030-12-04T21:30:00+01:00"),
      .stamp = at("2024-12-04T17:28:53Z"),
      .sequence = 3,
      .summary = "Glühwein; Traits, and \\ more – a very long summary that "
                 "needs folding because it is long, Köln äöü\x1b[31m\xc2\x9b",
      .location = "Keller, Köln",
      .description = "Talk – A\nKeller",
      .url = "https://x.example/e",
      .has_geo = true,
      .lat = 50.9481,
      .lon = -6.5,
      .organizer = "\"Kölner \\\"Treff\\\"\" <crier@x.example>"};
  ical_single(&b, &c, &ev);
  OK(strncmp(b.data, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30) == 0, "%s",
     b.data);
  OK(strstr(b.data, "METHOD:PUBLISH\r\n"), "method");
  OK(strstr(b.data, "DTSTART:20301204T183000Z\r\n"), "UTC start");
  OK(strstr(b.data, "DTEND:20301204T203000Z\r\n"), "UTC end");
  OK(strstr(b.data, "DTSTAMP:20241204T172853Z\r\n"), "stamp");
  OK(strstr(b.data, "SEQUENCE:3\r\n"), "sequence");
  OK(strstr(b.data, "SUMMARY:Glühwein\\; Traits\\, and \\\\ more"), "escaped");
  OK(!strchr(b.data, '\x1b') && !strstr(b.data, "\xc2\x9b"),
     "no control characters (C0, C1)");
  OK(strstr(b.data, "LOCATION:Keller\\, Köln\r\n"), "location");
  OK(strstr(b.data, "DESCRIPTION:Talk – A\\nKeller\r\n"), "newline as \\n");
  OK(strstr(b.data, "GEO:50.948100;-6.500000\r\n"), "geo");
  OK(strstr(b.data, "ORGANIZER;CN=\"Kölner \\Treff\\\":mailto:crier@x.example"
                    "\r\n"),
     "organizer without quotes in CN: %s", b.data);
  OK(strstr(b.data, "STATUS:CONFIRMED\r\n"), "status");
  OK(!strstr(b.data, "VTIMEZONE"), "no VTIMEZONE in UTC");
  OK(t_lines_within(b.data, 75), "folded at 75 octets");
  OK(strstr(b.data, "\r\n ") != NULL, "continuation lines start with a space");
  /* folding never splits a UTF-8 sequence: every continuation starts with
   * a space and then a character's first byte */
  for (const char *p = b.data; (p = strstr(p, "\r\n ")); p += 3)
    OK(((unsigned char)p[3] & 0xC0) != 0x80, "split UTF-8 at %.10s", p);
  OK(strcmp(b.data + b.len - 15, "END:VCALENDAR\r\n") == 0, "the end");
  buf_reset(&b);
  c.method = ICAL_CANCEL;
  ev.cancelled = true;
  ev.organizer = "crier@x.example";
  ical_single(&b, &c, &ev);
  OK(strstr(b.data, "METHOD:CANCEL\r\nBEGIN:VEVENT"), "cancel");
  OK(strstr(b.data, "STATUS:CANCELLED\r\n"), "cancelled");
  OK(strstr(b.data, "ORGANIZER:mailto:crier@x.example\r\n"), "bare address");
  buf_release(&b);
}

static void test_duration(void)
{
  static const struct {
    long secs;
    const char *want;
  } v[] = {{7200, "PT2H"}, {5400, "PT1H30M"}, {86400, "P1D"}, {93600, "P1DT2H"},
           {0, "PT0S"},    {43200, "PT12H"},  {61, "PT1M1S"}};
  for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
    struct buf b = BUF_INIT;
    ical_duration(v[i].secs, &b);
    STR_EQ(b.data, v[i].want);
    buf_release(&b);
  }
}

/* A feed in the site's zone: local times with TZID and one observance per
 * transition of the years covered, plus the one in force before. */
static void test_zone(void)
{
  struct err e;
  OK(when_set_zone("Europe/Berlin", &e) == 0, "%s", e.msg);
  struct buf b = BUF_INIT;
  struct ical_cal c = {.zone = "Europe/Berlin",
                       .name = "Treff, Köln",
                       .refresh = 43200,
                       .first = at("2030-03-30T19:00:00+01:00"),
                       .last = at("2030-10-27T03:00:00+01:00")};
  ical_begin(&b, &c);
  struct ical_event ev = {.uid = "a@x",
                          .start = c.first,
                          .end = at("2030-03-31T03:30:00+02:00"),
                          .stamp = 1,
                          .summary = "Across the spring change"};
  ical_event(&b, &c, &ev);
  /* 02:30 happens twice on 2030-10-27: both are written in UTC (readers
   * differ on which one a local 02:30 means) */
  struct ical_event late = {.uid = "b@x",
                            .start = at("2030-10-27T02:30:00+02:00"),
                            .end = at("2030-10-27T02:30:00+01:00"),
                            .stamp = 1,
                            .summary = "Twice"};
  ical_event(&b, &c, &late);
  ical_end(&b);
  OK(!strstr(b.data, "METHOD"), "a feed has no method");
  OK(strstr(b.data, "X-WR-CALNAME:Treff\\, Köln\r\n"), "name");
  OK(strstr(b.data, "NAME:Treff\\, Köln\r\n"), "RFC 7986 name");
  OK(strstr(b.data, "X-WR-TIMEZONE:Europe/Berlin\r\n"), "zone");
  OK(strstr(b.data, "REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n"), "refresh");
  OK(strstr(b.data, "X-PUBLISHED-TTL:PT12H\r\n"), "ttl");
  OK(strstr(b.data, "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"), "vtz");
  /* in force on 2030-01-01: standard time since 2029-10-28 */
  OK(strstr(b.data, "BEGIN:STANDARD\r\nDTSTART:20291028T030000\r\n"
                    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
                    "END:STANDARD\r\n"),
     "before: %s", b.data);
  OK(strstr(b.data, "BEGIN:DAYLIGHT\r\nDTSTART:20300331T020000\r\n"
                    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
                    "END:DAYLIGHT\r\n"),
     "spring 2030");
  OK(strstr(b.data, "BEGIN:STANDARD\r\nDTSTART:20301027T030000\r\n"
                    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"),
     "autumn");
  INT_EQ(count(b.data, "BEGIN:DAYLIGHT"), 1);
  INT_EQ(count(b.data, "BEGIN:STANDARD"), 2);
  OK(strstr(b.data, "DTSTART;TZID=Europe/Berlin:20300330T190000\r\n"),
     "local start");
  OK(strstr(b.data, "DTEND;TZID=Europe/Berlin:20300331T033000\r\n"),
     "local end after the change");
  OK(strstr(b.data, "DTSTART:20301027T003000Z\r\n"), "the first 02:30");
  OK(strstr(b.data, "DTEND:20301027T013000Z\r\n"), "the second 02:30");
  OK(strstr(b.data, "DTSTAMP:19700101T000001Z\r\n"), "stamps are UTC");
  OK(t_lines_within(b.data, 75), "folded");
  /* the same input, the same bytes */
  struct buf b2 = BUF_INIT;
  ical_begin(&b2, &c);
  ical_event(&b2, &c, &ev);
  ical_event(&b2, &c, &late);
  ical_end(&b2);
  OK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0, "stable");
  buf_release(&b2);

  /* New York, over two years: four changes, and the one before */
  OK(when_set_zone("America/New_York", &e) == 0, "%s", e.msg);
  buf_reset(&b);
  c.zone = "America/New_York";
  c.first = at("2030-06-01T12:00:00Z");
  c.last = at("2031-06-01T12:00:00Z");
  ical_begin(&b, &c);
  OK(strstr(b.data, "BEGIN:DAYLIGHT\r\nDTSTART:20300310T020000\r\n"
                    "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n"),
     "New York spring: %s", b.data);
  OK(strstr(b.data, "BEGIN:STANDARD\r\nDTSTART:20311102T020000\r\n"
                    "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n"),
     "New York autumn 2031");
  INT_EQ(count(b.data, "BEGIN:DAYLIGHT"), 2);
  INT_EQ(count(b.data, "BEGIN:STANDARD"), 3);

  /* a zone without daylight saving: one observance since 1970 */
  OK(when_set_zone("Asia/Tokyo", &e) == 0, "%s", e.msg);
  buf_reset(&b);
  c.zone = "Asia/Tokyo";
  ical_begin(&b, &c);
  OK(strstr(b.data, "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
                    "TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\n"),
     "Tokyo: %s", b.data);
  INT_EQ(count(b.data, "BEGIN:STANDARD"), 1);
  INT_EQ(count(b.data, "BEGIN:DAYLIGHT"), 0);
  buf_release(&b);
  when_set_zone("Europe/Berlin", &e);
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0) {
    printf("SKIP: no tz database\n");
    return 77;
  }
  test_text();
  test_duration();
  test_zone();
  return t_summary();
}
