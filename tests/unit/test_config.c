/* crier.yaml: defaults, channels of every type, secrets by reference,
 * unknown keys with suggestions, notice filters, the calendar and delivery
 * sections. */
#include "harness.h"

#include <stdlib.h>

#include "config.h"

static char dir[] = "/tmp/crier-test-config-XXXXXX";

static int load(struct config *c, const char *text, struct diags *d)
{
  char path[512];
  snprintf(path, sizeof(path), "%s/crier.yaml", dir);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  diags_release(d);
  return config_load(c, path, d);
}

static bool has(const struct diags *d, int line, const char *msg)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->v[i].line == line && strstr(d->v[i].msg, msg))
      return true;
  for (size_t i = 0; i < d->n; i++)
    fprintf(stderr, "  have %d: %s\n", d->v[i].line, d->v[i].msg);
  return false;
}

static struct config c;
static struct diags d;

static void defaults(void)
{
  OK(load(&c, "", &d) == 0, "an empty config is valid");
  INT_EQ(c.announce_lead, 21 * 86400);
  INT_EQ(c.nreminders, 3);
  INT_EQ(c.reminders[0], 7 * 86400);
  INT_EQ(c.reminders[2], 7200);
  INT_EQ(c.min_gap, 6 * 3600);
  INT_EQ(c.default_duration, 2 * 3600);
  INT_EQ(c.cal_past, 90 * 86400);
  INT_EQ(c.cal_future, 0);
  INT_EQ(c.cal_refresh, 12 * 3600);
  STR_EQ(c.cal_times, "local");
  OK(!c.cal_name && !c.cal_output, "no calendar name or output");
  INT_EQ(c.connections, 16);
  STR_EQ(c.timezone, "Europe/Berlin");
  OK(strstr(c.events_dir, "/_posts") != NULL, "events default %s",
     c.events_dir);
  config_release(&c);
}

static void every_channel_type(void)
{
  OK(load(&c,
          "site:\n  events: posts\n  timezone: UTC\n  url: https://x.org\n"
          "schedule:\n  announce_lead: 14d\n  reminders: [2h, 3d]\n"
          "channels:\n"
          "  - name: m\n    type: matrix\n    homeserver: https://m.org\n"
          "    room: \"#r:m.org\"\n    access_token: {env: TOKEN}\n"
          "    lang: [en, de]\n    notices: [announce, reminder-2h]\n"
          "  - name: g\n    type: github\n    repo: o/r\n"
          "    token: {file: tok}\n    labels: meetup\n"
          "  - name: mail\n    type: mail\n    url: smtps://h:465\n"
          "    from: a@b\n    to: [c@d, e@f]\n    password: {env: P}\n"
          "    calendar: true\n    timeout: 30\n"
          "  - name: mu\n    type: meetup\n    group: grp\n    auth:\n"
          "      jwt:\n        client_key: ck\n        member_id: \"1\"\n"
          "        key_id: k\n        private_key: {file: /etc/k.pem}\n"
          "  - name: w\n    type: webhook\n    url: https://w.org\n"
          "    signing_key: {env: WK}\n",
          &d) == 0,
     "a full config: %s", d.n ? d.v[0].msg : "");
  INT_EQ(c.nchannels, 5);
  INT_EQ(c.reminders[0], 3 * 86400); /* sorted, earliest first */
  const struct channel *m = config_channel(&c, "m");
  OK(m && strcmp(chan_type_name(m->type), "matrix") == 0 &&
         m->langs == (LANG_DE | LANG_EN) && m->lang_first_en,
     "matrix, en first");
  const struct secret_ref *at = channel_value(m, "access_token");
  OK(at && at->kind == SECRET_ENV && strcmp(at->name, "TOKEN") == 0,
     "env secret");
  OK(channel_takes(m, "announce") && channel_takes(m, "reminder-2h") &&
         !channel_takes(m, "reminder-3d") && !channel_takes(m, "update"),
     "notice filter");
  const struct channel *g = config_channel(&c, "g");
  const struct secret_ref *tok = channel_value(g, "token");
  OK(tok->kind == SECRET_FILE && strstr(tok->name, "/tok"),
     "file secret relative to the config");
  STR_EQ(channel_str(g, "mode"), "issue");
  STR_EQ(channel_str(g, "api_url"), "https://api.github.com");
  const struct strlist *labels = channel_value(g, "labels");
  OK(labels->n == 1 && strcmp(labels->v[0], "meetup") == 0, "labels");
  OK(channel_takes(g, "reminder-3d"), "all notices by default");
  OK(!channel_value(g, "homeserver") && !channel_str(g, "token"),
     "only its type's keys, and strings only for strings");
  const struct channel *ml = config_channel(&c, "mail");
  const struct strlist *to = channel_value(ml, "to");
  OK(to->n == 2 && *(const bool *)channel_value(ml, "calendar") &&
         ml->timeout == 30,
     "mail");
  const struct channel *mu = config_channel(&c, "mu");
  STR_EQ(channel_str(mu, "client_key"), "ck");
  OK(((const struct secret_ref *)channel_value(mu, "private_key"))->kind ==
         SECRET_FILE,
     "jwt auth");
  STR_EQ(channel_str(mu, "api_url"), "https://api.meetup.com/gql-ext");
  OK(((const struct secret_ref *)channel_value(config_channel(&c, "w"),
                                               "signing_key"))
             ->kind == SECRET_ENV,
     "webhook");
  config_release(&c);
}

/* Each mistake is an error on its line, with the closest key. */
static void mistakes(void)
{
  static const struct {
    const char *text, *msg;
    int line;
  } bad[] = {
      {"site:\n  timzone: UTC\n",
       "unknown key 'timzone' in 'site' (did you "
       "mean 'timezone'?)",
       2},
      {"jurnal: x\n", "did you mean 'journal'?", 1},
      {"schedule:\n  reminder: [1d]\n", "did you mean 'reminders'?", 2},
      {"channels:\n  - name: a\n    type: webhook\n    url: https://x\n"
       "    secret: whsec_abc\n",
       "'secret' is a secret", 5},
      {"channels:\n  - name: a\n    type: webhook\n    url: https://x\n"
       "    secret: {env: A}\n    retires: 3\n",
       "unknown key 'retires' in channel 'a' (type webhook) (did you mean "
       "'retries'?)",
       6},
      {"channels:\n  - name: a\n    type: webhook\n    url: https://x\n",
       "needs 'secret'", 2},
      {"channels:\n  - name: a\n    type: matrix\n", "needs 'homeserver'", 2},
      {"channels:\n  - name: a\n    type: mail\n    from: x\n    to: y\n",
       "needs 'url'", 2},
      {"channels:\n  - name: a\n    type: mail\n    url: https://x\n"
       "    from: x\n    to: y\n",
       "must start with smtps://", 4},
      {"channels:\n  - name: a\n    type: webhook\n    url: https://x\n"
       "    secret: {env: A}\n  - name: a\n    type: webhook\n"
       "    url: https://y\n    secret: {env: B}\n",
       "used twice", 6},
      {"channels:\n  - name: a\n    type: webhook\n    url: https://x\n"
       "    secret: {env: A}\n    notices: [reminder-5d]\n",
       "'reminder-5d' is not one of the reminders", 6},
      {"channels:\n  - name: a\n    type: meetup\n    group: g\n    auth:\n"
       "      access_token: {env: A}\n      refresh:\n        client_id: x\n",
       "exactly one of", 6},
      {"site:\n  timezone: Nowhere/City\n", "unknown time zone", 2},
      {"schedule:\n  reminders: [1d, 24h]\n", "listed twice", 2},
      {"channels:\n  - name: a\n    type: webhook\n    url: https://x\n"
       "    secret: {vault: A}\n",
       "not 'vault'", 5},
      {"site: [a]\n", "must be a map", 1},
      {"channels:\n  - name: a\n    type: webhook\n"
       "    url: http://127.attacker.example/x\n    secret: {env: A}\n",
       "must be https://", 4},
      {"schedule:\n  max_vanished: some\n", "must be a whole number", 2},
      {"schedule:\n  default_duration: 0m\n",
       "'default_duration' must be "
       "from 1m",
       2},
      {"calendar:\n  times: floating\n", "'times' must be local", 2},
      {"calendar:\n  past: soon\n", "'past': bad duration", 2},
      {"calendar:\n  refresh: 5s\n", "'refresh' must be from 1m", 2},
      {"calendar:\n  colour: red\n", "unknown key 'colour'", 2},
      {"delivery:\n  connections: 0\n",
       "'connections' must be between 1 "
       "and 256",
       2},
      {"delivery:\n  connections: 257\n", "must be between 1 and 256", 2},
      {"delivery:\n  conections: 8\n", "did you mean 'connections'?", 2},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    OK(load(&c, bad[i].text, &d) < 0, "refused: %s", bad[i].text);
    OK(has(&d, bad[i].line, bad[i].msg), "line %d: %s", bad[i].line,
       bad[i].msg);
    config_release(&c);
  }
}

/* the calendar section and the default duration */
static void calendar(void)
{
  OK(load(&c,
          "schedule:\n  default_duration: 2h30m\ncalendar:\n  name: "
          "Treff\n  output: site/events.ics\n  times: utc\n  past: 30d\n"
          "  future: 52w\n  refresh: 1d\n",
          &d) == 0,
     "calendar: %s", d.n ? d.v[0].msg : "");
  INT_EQ(c.default_duration, 9000);
  STR_EQ(c.cal_name, "Treff");
  OK(c.cal_output && strstr(c.cal_output, "/site/events.ics"), "output %s",
     c.cal_output ? c.cal_output : "(null)");
  STR_EQ(c.cal_times, "utc");
  INT_EQ(c.cal_past, 30 * 86400);
  INT_EQ(c.cal_future, 52 * 7 * 86400);
  INT_EQ(c.cal_refresh, 86400);
  config_release(&c);
}

/* the delivery section: requests at once to one host */
static void delivery(void)
{
  OK(load(&c, "delivery:\n  connections: 64\n", &d) == 0, "delivery: %s",
     d.n ? d.v[0].msg : "");
  INT_EQ(c.connections, 64);
  config_release(&c);
}

int main(void)
{
  if (!mkdtemp(dir))
    return 77;
  diags_init(&d);
  CASE(defaults);
  CASE(every_channel_type);
  CASE(mistakes);
  CASE(calendar);
  CASE(delivery);
  diags_release(&d);
  t_rmdir(dir);
  return t_summary();
}
