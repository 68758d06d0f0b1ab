// iCalendar: the feed (crier calendar, serve's /events.ics) and every mail
// invitation read by two parsers written by others: npm ical.js
// (Mozilla's; it has no time zone database, so local times are resolved
// through the VTIMEZONE crier wrote) and Python's icalendar (Debian
// python3-icalendar; it resolves a TZID through pytz, and
// parse_ical.py checks each VTIMEZONE transition against zoneinfo).
// Parsed start and end are compared with instants written by hand from
// the event files, across daylight-saving changes in Europe/Berlin and
// America/New_York; a cancelled event, a moved one (same UID, higher
// SEQUENCE), a renamed file, a reminder after an update. Each parser and
// each comparison is first shown rejecting a broken file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { makeSite, run, listen, here } from './lib.mjs';
import { makeRepo, writeConfig, startServe, receiver, waitFor, ghHeaders } from './serve_lib.mjs';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
let pyMissing = '';
try { execFileSync(python, ['-c', 'import icalendar']); } catch { pyMissing = 'python3-icalendar is not installed (scripts/deps.sh)'; }
const skip = pyMissing && !process.env.CI ? pyMissing : false;
if (pyMissing && process.env.CI) throw new Error(`${pyMissing}: in CI a skip is a failure`);

// ---- the parsers ----

// ical.js: every VEVENT with its instants, through the file's own
// VTIMEZONEs only.
function parseJs(text) {
  const cal = new ICAL.Component(ICAL.parse(text));
  ICAL.TimezoneService.reset();
  for (const vtz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(vtz);
  const ms = (t) => {
    if (!t) return null;
    if (t.zone === ICAL.Timezone.localTimezone || (t.timezone && !ICAL.TimezoneService.has(t.timezone))) return 'floating';
    return t.toUnixTime() * 1000;
  };
  const events = cal.getAllSubcomponents('vevent').map((ve) => {
    const ev = new ICAL.Event(ve);
    const geo = ve.getFirstPropertyValue('geo');
    const org = ve.getFirstProperty('organizer');
    return {
      uid: ev.uid, sequence: ev.sequence, status: ve.getFirstPropertyValue('status'),
      summary: ev.summary, location: ev.location ?? null, description: ev.description ?? null,
      url: ve.getFirstPropertyValue('url'), geo: geo ?? null,
      organizer: org ? org.getFirstValue() : null, cn: org ? org.getParameter('cn') : null,
      start: ms(ev.startDate), end: ms(ev.endDate), stamp: ve.getFirstPropertyValue('dtstamp')?.toString(),
    };
  });
  const res = {
    method: cal.getFirstPropertyValue('method'), name: cal.getFirstPropertyValue('x-wr-calname'),
    timezone: cal.getFirstPropertyValue('x-wr-timezone'), refresh: cal.getFirstPropertyValue('refresh-interval')?.toString(),
    events,
  };
  ICAL.TimezoneService.reset();
  return res;
}

// Python's icalendar, one result per text.
function parsePy(...texts) {
  const dir = join('/tmp', `crier-ical-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  try {
    const files = texts.map((t, i) => { const f = join(dir, `${i}.ics`); writeFileSync(f, t); return f; });
    return JSON.parse(execFileSync(python, [join(here, 'parse_ical.py'), ...files]).toString());
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

// Both parsers; they must agree with want: {uid: {start, end, status?,
// sequence?, summary?, location?, geo?}} (instants as RFC 3339 with the
// offset written by hand), and no other event may be there.
function check(text, want, where = '') {
  const js = parseJs(text);
  const [py] = parsePy(text);
  assert.ok(py.ok, `python: ${py.error}`);
  assert.deepEqual(py.zone_errors, [], 'the VTIMEZONE agrees with zoneinfo');
  for (const [name, got] of [['ical.js', js], ['python', py]]) {
    const byUid = Object.fromEntries(got.events.map((e) => [e.uid, e]));
    assert.deepEqual(Object.keys(byUid).sort(), Object.keys(want).sort(), `${name}${where}: the events`);
    for (const [uid, w] of Object.entries(want)) {
      const e = byUid[uid];
      assert.equal(e.start, Date.parse(w.start), `${name}${where}: ${uid} start ${new Date(e.start).toISOString()} want ${w.start}`);
      assert.equal(e.end, Date.parse(w.end), `${name}${where}: ${uid} end ${new Date(e.end).toISOString()} want ${w.end}`);
      for (const k of ['status', 'sequence', 'summary', 'location', 'description']) {
        if (k in w) assert.equal(e[k], w[k], `${name}${where}: ${uid} ${k}`);
      }
      if ('geo' in w) {
        const g = Array.isArray(e.geo) ? e.geo : e.geo ? [e.geo.lat, e.geo.lon] : null;
        assert.deepEqual(g, w.geo, `${name}${where}: ${uid} geo`);
      }
    }
  }
  return { js, py };
}

// ---- sites ----

const berlinEvents = {
  // the night the clocks go forward: 19:00 CET to 03:30 CEST
  '2030-03-30-spring.md': '---\ntitle: "Spring forward"\ndate: 2030-03-30 19:00\nend: "03:30"\nlocation: geo\ntalks: false\n---\n',
  // summer, the default duration (2h), coordinates, talks
  '2030-07-03-summer.md': '---\ntitle: "Summer, Traits; and \\\\ more"\ndate: 2030-07-03 19:00\nlocation: geo\n' +
    'talks:\n- title: "impl Glühwein"\n  speaker:\n    name: "Anna Ärger"\n---\n',
  // the night the clocks go back: 7 hours end at the second 02:00 (+01:00)
  '2030-10-26-long.md': '---\ntitle: "All night"\ndate: 2030-10-26 20:00\nduration: 7h\ntalks: false\n---\n',
  // ... and an end at 02:30 means the first 02:30 (+02:00): written in UTC,
  // as ical.js and pytz read a local 02:30 as the second
  '2030-10-26-late.md': '---\ntitle: "Late"\ndate: 2030-10-26 22:00\nend: "02:30"\ntalks: false\n---\n',
  '2030-11-06-off.md': '---\ntitle: "Called off"\ndate: 2030-11-06 19:00\ncancelled: true\ntalks: false\n---\n',
  '2030-11-20-draft.md': '---\ntitle: "Not yet"\ndate: 2030-11-20 19:00\npublished: false\n---\n',
  '2029-06-01-old.md': '---\ntitle: "Long ago"\ndate: 2029-06-01 19:00\ntalks: false\n---\n',
};
const berlinWant = {
  '2030-03-30-spring@treff.example.net': { start: '2030-03-30T19:00:00+01:00', end: '2030-03-31T03:30:00+02:00', status: 'CONFIRMED', sequence: 0, geo: [50.9481, 6.9196], location: 'Geo-Haus, Venloer Str. 1, Köln' },
  '2030-07-03-summer@treff.example.net': { start: '2030-07-03T19:00:00+02:00', end: '2030-07-03T21:00:00+02:00', summary: 'Summer, Traits; and \\ more',
    description: 'impl Glühwein – Anna Ärger\nGeo-Haus, Venloer Str. 1, Köln\nhttps://treff.example.net/2030/07/03/summer.html' },
  '2030-10-26-long@treff.example.net': { start: '2030-10-26T20:00:00+02:00', end: '2030-10-27T02:00:00+01:00' },
  '2030-10-26-late@treff.example.net': { start: '2030-10-26T22:00:00+02:00', end: '2030-10-27T02:30:00+02:00' },
  '2030-11-06-off@treff.example.net': { start: '2030-11-06T19:00:00+01:00', end: '2030-11-06T21:00:00+01:00', status: 'CANCELLED' },
};

function berlinSite(calendar = '') {
  const site = makeSite('', `calendar:\n  name: "Treff Köln"\n  refresh: 1d\n${calendar}`);
  rmSync(join(site.dir, '_posts'), { recursive: true });
  mkdirSync(join(site.dir, '_posts'));
  for (const [n, t] of Object.entries(berlinEvents)) writeFileSync(join(site.dir, '_posts', n), t);
  writeFileSync(join(site.dir, '_data/locations.yml'),
    'geo:\n  name: "Geo-Haus"\n  street: "Venloer Str. 1"\n  city: "Köln"\n  lat: "50.9481"\n  lon: "6.9196"\n');
  writeFileSync(site.config, readFileSync(site.config, 'utf8').replace('channels:\n', 'channels: []\n'));
  return site;
}

const NOW = '2030-03-01T12:00:00Z';

test('the parsers and the comparison reject broken files (negative controls)', { skip }, async () => {
  const broken = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nnonsense\r\nEND:VCALENDAR\r\n';
  assert.throws(() => parseJs(broken), /invalid line/);
  assert.equal(parsePy(broken)[0].ok, false);
  const unclosed = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n';
  assert.throws(() => parseJs(unclosed));
  assert.equal(parsePy(unclosed)[0].ok, false);
  const site = berlinSite();
  try {
    const r = await run(['-c', site.config, '--now', NOW, 'calendar']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotThrow(() => check(r.stdout, berlinWant));
    // a VTIMEZONE with a wrong offset: ical.js reads summer times wrong,
    // and zoneinfo disagrees with it
    const wrong = r.stdout.replace(/TZOFFSETTO:\+0200/g, 'TZOFFSETTO:+0300');
    assert.throws(() => check(wrong, berlinWant), /ical\.js: 2030-03-30-spring@treff\.example\.net end|zone/);
    assert.ok(parsePy(wrong)[0].zone_errors.length > 0, 'zoneinfo finds the wrong offset');
    // floating times (no zone): both say so, and the comparison fails
    const floating = r.stdout.replace(/;TZID=Europe\/Berlin:/g, ':');
    assert.equal(parseJs(floating).events[0].start, 'floating');
    assert.equal(parsePy(floating)[0].events[0].floating, true);
    assert.throws(() => check(floating, berlinWant));
    // an hour off in UTC
    const shifted = r.stdout.replace('DTSTART;TZID=Europe/Berlin:20300703T190000', 'DTSTART;TZID=Europe/Berlin:20300703T200000');
    assert.throws(() => check(shifted, berlinWant), /summer@treff\.example\.net start/);
  } finally { site.cleanup(); }
});

test('the feed in Europe/Berlin across both changes: local times, VTIMEZONE, UTC', { skip }, async () => {
  const site = berlinSite();
  try {
    const r = await run(['-c', site.config, '--now', NOW, 'calendar']);
    assert.equal(r.code, 0, r.stderr);
    const ics = r.stdout;
    const { js, py } = check(ics, berlinWant);
    for (const got of [js, py]) {
      assert.equal(got.method, null, 'a feed has no METHOD');
      assert.equal(got.name, 'Treff Köln');
      assert.equal(got.timezone, 'Europe/Berlin');
      assert.equal(got.refresh, 'P1D');
    }
    assert.match(ics, /DTSTART;TZID=Europe\/Berlin:20300330T190000\r\n/);
    assert.match(ics, /DTEND:20301027T010000Z\r\n/, 'the second 02:00 is written in UTC');
    assert.match(ics, /DTEND:20301027T003000Z\r\n/, 'so is the first 02:30');
    assert.ok(ics.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'lines of at most 75 octets');
    assert.ok(!/\n(?<!\r\n)/.test(ics.replace(/\r\n/g, '')), 'CRLF only');
    // the same events, the same bytes; into a file, which is left alone
    const again = await run(['-c', site.config, '--now', NOW, 'calendar']);
    assert.equal(again.stdout, ics, 'byte for byte the same');
    const file = join(site.dir, 'events.ics');
    let w = await run(['-c', site.config, '--now', NOW, 'calendar', '-o', file]);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(readFileSync(file, 'utf8'), ics);
    const mtime = statSync(file).mtimeMs;
    w = await run(['-c', site.config, '--now', '2030-03-01T13:00:00Z', 'calendar', '-o', file]);
    assert.match(w.stderr, /unchanged/);
    assert.equal(statSync(file).mtimeMs, mtime, 'not written again');
    // the JSON form has the same entries
    const j = await run(['-c', site.config, '--now', NOW, '--json', 'calendar']);
    const doc = JSON.parse(j.stdout);
    assert.deepEqual(doc.events.map((e) => e.uid).sort(), Object.keys(berlinWant).sort());
    for (const e of doc.events) {
      assert.equal(Date.parse(e.start), Date.parse(berlinWant[e.uid].start));
      assert.equal(Date.parse(e.end), Date.parse(berlinWant[e.uid].end));
    }
  } finally { site.cleanup(); }
  // times: utc — the same instants, no VTIMEZONE
  const utc = berlinSite('  times: utc\n');
  try {
    const r = await run(['-c', utc.config, '--now', NOW, 'calendar']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('VTIMEZONE') && !r.stdout.includes('TZID'));
    assert.match(r.stdout, /DTSTART:20300330T180000Z\r\n/);
    check(r.stdout, berlinWant, ' (utc)');
  } finally { utc.cleanup(); }
});

test('the feed in America/New_York across both changes', { skip }, async () => {
  const site = makeSite('', 'calendar:\n  past: 1d\n');
  try {
    writeFileSync(site.config, readFileSync(site.config, 'utf8').replace('Europe/Berlin', 'America/New_York').replace('channels:\n', 'channels: []\n'));
    rmSync(join(site.dir, '_posts'), { recursive: true });
    mkdirSync(join(site.dir, '_posts'));
    const put = (n, t) => writeFileSync(join(site.dir, '_posts', n), t);
    // 2030-03-10 02:00 EST → 03:00 EDT; 2030-11-03 02:00 EDT → 01:00 EST
    put('2030-03-09-ny-spring.md', '---\ntitle: "NY spring"\ndate: 2030-03-09 22:00\nend: "03:30"\ntalks: false\n---\n');
    put('2030-11-02-ny-fall.md', '---\ntitle: "NY fall"\ndate: 2030-11-02 23:00\nduration: 3h\ntalks: false\n---\n');
    put('2030-11-03-ny-after.md', '---\ntitle: "NY after"\ndate: 2030-11-03 19:00\ntalks: false\n---\n');
    const r = await run(['-c', site.config, '--now', '2030-03-01T12:00:00Z', 'calendar']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /X-WR-TIMEZONE:America\/New_York/);
    check(r.stdout, {
      '2030-03-09-ny-spring@treff.example.net': { start: '2030-03-09T22:00:00-05:00', end: '2030-03-10T03:30:00-04:00' },
      '2030-11-02-ny-fall@treff.example.net': { start: '2030-11-02T23:00:00-04:00', end: '2030-11-03T01:00:00-05:00' },
      '2030-11-03-ny-after@treff.example.net': { start: '2030-11-03T19:00:00-05:00', end: '2030-11-03T21:00:00-05:00' },
    });
  } finally { site.cleanup(); }
});

// ---- invitations ----

function smtp() {
  const st = { messages: [], sockets: [] };
  const server = new SMTPServer({
    secure: false, authOptional: true, disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => { st.messages.push(await simpleParser(Buffer.concat(chunks))); cb(null, 'queued'); });
    },
  });
  server.server.on('connection', (s) => st.sockets.push(s));
  return { server, st };
}

// The iCalendar part of a parsed message, with the method its type says.
function invitation(msg) {
  const a = msg.attachments.find((x) => x.contentType === 'text/calendar');
  assert.ok(a, 'an iCalendar part');
  return { text: a.content.toString('utf8'), method: a.headers.get('content-type')?.params?.method };
}

test('invitations: announce, update (moved), reminder, a renamed file, cancel — one UID, SEQUENCE up', { skip }, async () => {
  const { server, st } = smtp();
  const port = await listen(server);
  const site = makeSite(`  - name: mail\n    type: mail\n    url: smtp://127.0.0.1:${port}\n` +
    '    from: "Kölner Rust-Treff <crier@treff.example.net>"\n    to: [list@treff.example.net]\n    calendar: true\n    lang: de\n    retries: 0\n');
  const uid = '2030-12-04-gluehwein@treff.example.net';
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  const feed = async (now) => {
    const r = await run(['-c', site.config, '--now', now, 'calendar']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const last = () => invitation(st.messages.at(-1));
  // the other event of the site, far enough ahead not to be announced here
  const other = join(site.dir, '_posts/2030-12-18-linked.md');
  writeFileSync(other, readFileSync(other, 'utf8').replace('date: 2030-12-18 19:00', 'date: 2031-06-18 19:00'));
  const linked = { '2030-12-18-linked@treff.example.net': { start: '2031-06-18T19:00:00+02:00', end: '2031-06-18T21:00:00+02:00' } };
  try {
    // the announcement: PUBLISH, the organizer, SEQUENCE 0, 2 hours
    let r = await run(['-c', site.config, '--now', '2030-11-20T12:00:00Z', 'announce', 'gluehwein']);
    assert.equal(r.code, 0, r.stderr);
    let inv = last();
    const start0 = { start: '2030-12-04T19:30:00+01:00', end: '2030-12-04T21:30:00+01:00' };
    let { js, py } = check(inv.text, { [uid]: { ...start0, sequence: 0, status: 'CONFIRMED', location: 'Kulturkeller Süd, Glühweinweg 3, Köln' } }, ' announce');
    for (const got of [js, py]) {
      assert.equal(got.method, 'PUBLISH');
      assert.equal(got.events[0].organizer.toLowerCase(), 'mailto:crier@treff.example.net');
      assert.equal(got.events[0].cn, 'Kölner Rust-Treff');
      assert.match(got.events[0].description, /^impl Glühwein for Winter – Anna Ärger\nKulturkeller Süd, Glühweinweg 3, Köln\nhttps:\/\/treff\.example\.net\//);
    }
    assert.equal(inv.method, 'PUBLISH', 'the part says its method');
    check(await feed('2030-11-20T12:00:00Z'), { [uid]: { ...start0, sequence: 0 }, ...linked }, ' feed');

    // moved a day and given an end: an update, the same UID, SEQUENCE 1
    writeFileSync(file, readFileSync(file, 'utf8').replace('date: 2030-12-04 19:30', 'date: 2030-12-05 19:30\nend: "22:00"'));
    r = await run(['-c', site.config, '--now', '2030-11-27T12:00:00Z', 'run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /notice=update .*result=sent/);
    inv = last();
    const moved = { start: '2030-12-05T19:30:00+01:00', end: '2030-12-05T22:00:00+01:00' };
    ({ js, py } = check(inv.text, { [uid]: { ...moved, sequence: 1, status: 'CONFIRMED' } }, ' update'));
    assert.equal(js.method, 'PUBLISH');
    const feedAfterMove = await feed('2030-11-27T12:00:00Z');
    check(feedAfterMove, { [uid]: { ...moved, sequence: 1 }, ...linked }, ' feed after the move');

    // a reminder after the update does not go back to 0
    r = await run(['-c', site.config, '--now', '2030-11-28T20:00:00+01:00', 'run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /notice=reminder-7d .*result=sent/);
    check(last().text, { [uid]: { ...moved, sequence: 1 } }, ' reminder');

    // renamed: the same event, the same UID and SEQUENCE; nothing sent
    const count = st.messages.length;
    renameSync(file, join(site.dir, '_posts/2030-12-05-gluehwein-moved.md'));
    r = await run(['-c', site.config, '--now', '2030-11-29T12:00:00Z', 'run']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, count, 'a rename sends nothing');
    const renamed = await feed('2030-11-29T12:00:00Z');
    check(renamed, { [uid]: { ...moved, sequence: 1, status: 'CONFIRMED' }, ...linked }, ' feed after the rename');
    assert.ok(!renamed.includes('gluehwein-moved@'), 'no second UID');

    // removed: CANCEL, STATUS:CANCELLED, SEQUENCE 2, the same UID
    unlinkSync(join(site.dir, '_posts/2030-12-05-gluehwein-moved.md'));
    r = await run(['-c', site.config, '--now', '2030-11-30T12:00:00Z', 'run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /notice=cancel .*result=sent/);
    inv = last();
    ({ js, py } = check(inv.text, { [uid]: { ...moved, sequence: 2, status: 'CANCELLED' } }, ' cancel'));
    for (const got of [js, py]) {
      assert.equal(got.method, 'CANCEL');
      assert.equal(got.events[0].organizer.toLowerCase(), 'mailto:crier@treff.example.net');
    }
    assert.equal(inv.method, 'CANCEL');
    check(await feed('2030-11-30T12:00:00Z'), { [uid]: { ...moved, sequence: 2, status: 'CANCELLED' }, ...linked }, ' feed after the cancellation');
    // every invitation: both parsers, and SEQUENCE never went down
    const seqs = st.messages.map((m) => parseJs(invitation(m).text).events[0].sequence);
    assert.deepEqual(seqs, [0, 1, 1, 2]);
    for (const m of st.messages) assert.ok(parsePy(invitation(m).text)[0].ok);
  } finally { st.sockets.forEach((x) => x.destroy()); server.close(); site.cleanup(); }
});

// ---- crier serve ----

function get(port, path, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 30000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path}`)));
    req.end();
  });
}

test('crier serve: /events.ics with ETag, Last-Modified and 304; made again after a push', { skip }, async () => {
  const post = (title, date) => `---\ntitle: "${title}"\ndate: ${date}\ntalks: false\n---\n`;
  const repo = makeRepo({ '2099-01-07-first.md': post('First', '2099-01-07 19:00') });
  const rcv = await receiver();
  const config = writeConfig(repo, [{ name: 'hook', port: rcv.port }]);
  let svc = await startServe(config);
  try {
    assert.ok(await waitFor(() => svc.log().includes('calendar: /events.ics')), svc.log());
    let r = await get(svc.port, '/events.ics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/calendar; charset=utf-8');
    const etag = r.headers.etag, modified = r.headers['last-modified'];
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.ok(!Number.isNaN(Date.parse(modified)), modified);
    check(r.body, { '2099-01-07-first@treff.example.net': { start: '2099-01-07T19:00:00+01:00', end: '2099-01-07T21:00:00+01:00' } }, ' served');
    assert.equal((await get(svc.port, '/events.ics', { 'If-None-Match': etag })).status, 304);
    assert.equal((await get(svc.port, '/events.ics', { 'If-None-Match': `"x", W/${etag}` })).status, 304);
    assert.equal((await get(svc.port, '/events.ics', { 'If-None-Match': '"other"' })).status, 200);
    assert.equal((await get(svc.port, '/events.ics', { 'If-Modified-Since': modified })).status, 304);
    assert.equal((await get(svc.port, '/events.ics', { 'If-Modified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' })).status, 200);
    const head = await get(svc.port, '/events.ics', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(r.body));
    assert.equal((await get(svc.port, '/events.ics', {}, 'POST')).status, 405);
    // a push adds an event: the feed is made again, with a new ETag
    const body = repo.push({ '2099-02-04-second.md': post('Second', '2099-02-04 19:00') });
    const res = await new Promise((resolve, reject) => {
      ghHeaders('push', 'd-1', body).then((h) => {
        const req = http.request({ host: '127.0.0.1', port: svc.port, path: '/hooks/github', method: 'POST', headers: h, agent: false }, (x) => { x.resume(); x.on('end', () => resolve(x.statusCode)); });
        req.on('error', reject);
        req.end(body);
      });
    });
    assert.equal(res, 202);
    assert.ok(await waitFor(async () => (await get(svc.port, '/events.ics')).headers.etag !== etag), svc.log());
    r = await get(svc.port, '/events.ics');
    check(r.body, {
      '2099-01-07-first@treff.example.net': { start: '2099-01-07T19:00:00+01:00', end: '2099-01-07T21:00:00+01:00' },
      '2099-02-04-second@treff.example.net': { start: '2099-02-04T19:00:00+01:00', end: '2099-02-04T21:00:00+01:00' },
    }, ' after the push');
    assert.equal((await get(svc.port, '/events.ics', { 'If-None-Match': etag })).status, 200, 'the old ETag is stale');
    const etag2 = r.headers.etag, modified2 = r.headers['last-modified'];
    // a restart keeps both
    await svc.stop();
    svc = await startServe(config);
    assert.ok(await waitFor(() => svc.log().includes('calendar: /events.ics')), svc.log());
    r = await get(svc.port, '/events.ics');
    assert.equal(r.headers.etag, etag2);
    assert.equal(r.headers['last-modified'], modified2);
  } finally { await svc.stop(); await rcv.close(); rmSync(repo.root, { recursive: true, force: true }); }
});
