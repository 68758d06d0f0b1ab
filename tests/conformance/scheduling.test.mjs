// Notices only when the organizer meant them: a site in a git repository,
// commits and edits that organizers make (a typo, an emptied directory, a
// renamed and postponed file, a label change, a cancellation taken back,
// a deleted file whose Meetup event is linked, two files removed at once),
// `crier changed` and `crier run` at pinned times, against a Standard
// Webhooks receiver (verified with the standardwebhooks package), a GitHub
// checked against its OpenAPI description, and a Meetup executing
// GraphQL against its schema. Each receiver's messages are asserted exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, renameSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, listen } from './lib.mjs';
import { receivers, SECRET } from './receivers.mjs';
import { meetup, skip } from './meetup_server.mjs';

const git = (dir, ...args) => execFileSync('git', ['-C', dir, ...args], {
  env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
}).toString().trim();

const post = (title, date, extra = '') =>
  `---\ntitle: "${title}"\ndate: ${date}\nlocation: keller\ntalks: false\n${extra}---\nHallo.\n`;
const planning = (n) => `links:\n  "Planning discussion on Github": "https://github.com/o/r/issues/${n}"\n`;
const linked = (n, id) => `links:\n  "Planning discussion on Github": "https://github.com/o/r/issues/${n}"\n  "Meetup.com": "https://www.meetup.com/testtreff/events/${id}/"\n`;

function config(port, mport, labels) {
  return 'site:\n  url: https://treff.example.net\n  timezone: Europe/Berlin\n' +
    'channels:\n' +
    `  - {name: hook, type: webhook, url: 'http://127.0.0.1:${port}/hook', secret: {env: W}, lang: en}\n` +
    `  - {name: gh, type: github, repo: o/r, token: {env: G}, api_url: 'http://127.0.0.1:${port}', lang: en, labels: [${labels}], notices: [announce, update, cancel]}\n` +
    `  - {name: plan, type: github, mode: comment, repo: o/r, token: {env: G}, api_url: 'http://127.0.0.1:${port}', lang: en, notices: [announce, update, cancel]}\n` +
    `  - {name: mu, type: meetup, group: testtreff, api_url: 'http://127.0.0.1:${mport}/gql-ext', auth: {access_token: {env: M}}, lang: en, notices: [announce, update, cancel]}\n`;
}

test('typos, empty directories, renames, postponements, un-cancelling, deleted linked events, label changes', { skip }, async () => {
  const { server, st } = receivers((d) => `${d.event.id} ${d.notice} ${d.event.start.slice(0, 16)}`);
  const port = await listen(server);
  const mu = meetup();
  const mport = await listen(mu.server);
  const repo = mkdtempSync(join(tmpdir(), 'crier-sched-'));
  const journal = mkdtempSync(join(tmpdir(), 'crier-sched-j-'));
  const posts = join(repo, '_posts');
  try {
    mkdirSync(posts);
    mkdirSync(join(repo, '_data'));
    writeFileSync(join(repo, '_data/locations.yml'), 'keller:\n  name: "Keller"\n  street: "Weg 1"\n  city: "Köln"\n');
    const cfg = join(repo, 'crier.yaml');
    writeFileSync(cfg, `journal: ${join(journal, 'j.db')}\n` + config(port, mport, 'meetup'));
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'site');
    let base = git(repo, 'rev-parse', 'HEAD');
    const env = { W: SECRET, G: 'ghp_x', M: 'at-0' };
    const crier = (...args) => run(['-c', cfg, ...args], env);
    const commit = async (msg, now, ...extra) => {
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', msg);
      const head = git(repo, 'rev-parse', 'HEAD');
      const r = await crier('changed', '--base', base, '--head', head, '--now', now, ...extra);
      base = head;
      return r;
    };
    const A = join(posts, '2031-03-12-async.md');
    const B = join(posts, '2031-03-19-open-space.md');
    const C = join(posts, '2031-03-26-hack-night.md');
    const mark = () => ({ hooks: st.hooks.length, issues: st.issues.length, comments: st.comments.length, mu: mu.st.calls.length });
    const since = (m) => ({ hooks: st.hooks.slice(m.hooks), issues: st.issues.slice(m.issues).map((i) => i.title),
      comments: st.comments.slice(m.comments).map((c) => [c.issue, c.body.split('\n')[0]]),
      mu: mu.st.calls.slice(m.mu).filter((c) => c[0] !== 'findEvents').map((c) => c[0]) });

    // 1. three events merged: each announced once on every channel
    writeFileSync(A, post('Async', '2031-03-12 19:00', planning(1)));
    writeFileSync(B, post('Open Space', '2031-03-19 19:00', planning(2)));
    writeFileSync(C, post('Hack Night', '2031-03-26 19:00', linked(3, '305000111')));
    let m = mark();
    let r = await commit('three events', '2031-02-20T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    let got = since(m);
    assert.equal(got.hooks.length, 3);
    assert.equal(got.issues.length, 3);
    assert.deepEqual(got.comments.map((c) => c[0]).sort(), [1, 2, 3]);
    assert.deepEqual(got.mu, ['createEvent', 'publishEventDraft', 'announceEvent', 'createEvent', 'publishEventDraft', 'announceEvent', 'editEvent']);

    // 2. a typo: the file no longer loads. Reported (65); nothing is sent for
    //    it, no cancellation; fixing it sends no correction either.
    const good = readFileSync(A, 'utf8');
    writeFileSync(A, good.replace('title: "Async"', 'title: "Async'));
    m = mark();
    r = await commit('typo', '2031-02-21T10:00:00+01:00');
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /2031-03-12-async\.md:\d+: error/);
    r = await crier('run', '--now', '2031-02-21T11:00:00+01:00');
    assert.equal(r.code, 65, r.stderr);
    writeFileSync(A, good);
    r = await commit('fixed', '2031-02-21T12:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    r = await crier('run', '--now', '2031-02-21T13:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(since(m), { hooks: [], issues: [], comments: [], mu: [] });

    // 2b. a key of the locations file renamed: every event there stops
    //     loading — reported, and nothing is cancelled
    const locs = join(repo, '_data/locations.yml');
    const goodLocs = readFileSync(locs, 'utf8');
    writeFileSync(locs, goodLocs.replace('keller:', 'cellar:'));
    r = await commit('rename a place', '2031-02-21T14:00:00+01:00');
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /location 'keller' is not in .*locations\.yml \(did you mean 'cellar'\?\)/);
    r = await crier('run', '--now', '2031-02-21T15:00:00+01:00');
    assert.equal(r.code, 65, r.stderr);
    writeFileSync(locs, goodLocs);
    r = await commit('place back', '2031-02-21T16:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(since(m), { hooks: [], issues: [], comments: [], mu: [] });

    // 3. the events directory emptied on disk (a bad checkout): nothing
    const away = mkdtempSync(join(tmpdir(), 'crier-sched-away-'));
    for (const f of readdirSync(posts)) renameSync(join(posts, f), join(away, f));
    r = await crier('run', '--now', '2031-02-22T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /has no event files: crier cancels nothing/);
    for (const f of readdirSync(away)) renameSync(join(away, f), join(posts, f));
    rmSync(away, { recursive: true });
    assert.deepEqual(since(m), { hooks: [], issues: [], comments: [], mu: [] });

    // 4. the 7d reminder goes out; then the event moves by two weeks and its
    //    file is renamed: one update everywhere (no cancel, no second
    //    announcement) and reminders for the new date
    r = await crier('run', '--now', '2031-03-05T19:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(since(m).hooks, ['2031-03-12-async reminder-7d 2031-03-12T19:00']);
    m = mark();
    git(repo, 'mv', '_posts/2031-03-12-async.md', '_posts/2031-03-26-async.md');
    const A2 = join(posts, '2031-03-26-async.md');
    writeFileSync(A2, good.replace('2031-03-12 19:00', '2031-03-26 18:30'));
    r = await commit('postponed', '2031-03-06T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    got = since(m);
    assert.deepEqual(got.hooks, ['2031-03-26-async update 2031-03-26T18:30']);
    assert.deepEqual(got.issues, []);
    assert.equal(got.comments.length, 2, JSON.stringify(got.comments));
    assert.ok(got.comments.every((c) => /^### Changed: Async/.test(c[1])));
    assert.deepEqual(got.mu, ['editEvent']);
    assert.equal(mu.st.calls.at(-1)[1].startDateTime, '2031-03-26T18:30:00');
    m = mark();
    for (const now of ['2031-03-19T18:30:00+01:00', '2031-03-25T18:30:00+01:00', '2031-03-26T16:30:00+01:00'])
      assert.equal((await crier('run', '--now', now)).code, 0);
    assert.deepEqual(since(m).hooks.filter((h) => h.startsWith('2031-03-26-async')), [
      '2031-03-26-async reminder-7d 2031-03-26T18:30',
      '2031-03-26-async reminder-1d 2031-03-26T18:30',
      '2031-03-26-async reminder-2h 2031-03-26T18:30']);

    // 5. B cancelled, then on again: one cancellation, one notice that it
    //    takes place (Meetup cannot take a cancellation back: skipped)
    m = mark();
    const bgood = readFileSync(B, 'utf8');
    writeFileSync(B, bgood.replace('talks: false\n', 'talks: false\ncancelled: true\n'));
    r = await commit('cancel B', '2031-03-07T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(B, bgood);
    r = await commit('B is on again', '2031-03-08T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    got = since(m);
    assert.deepEqual(got.hooks, ['2031-03-19-open-space cancel 2031-03-19T19:00', '2031-03-19-open-space reinstate 2031-03-19T19:00']);
    assert.deepEqual(got.mu, ['deleteEvent']);
    assert.match(r.stderr, /channel=mu .*result=skipped reason="Meetup.com cannot take back a cancellation/);
    assert.deepEqual(got.comments.map((c) => c[1].split(':')[0]), ['### Cancelled', '### Cancelled', '### Back on', '### Back on']);
    m = mark();
    r = await crier('run', '--now', '2031-03-08T11:00:00+01:00');
    assert.deepEqual(since(m).hooks, [], 'nothing twice');

    // 6. the labels of the GitHub channel change: later notices still go to
    //    the issue the announcement made
    writeFileSync(cfg, `journal: ${join(journal, 'j.db')}\n` + config(port, mport, 'events'));
    writeFileSync(B, bgood.replace('19:00', '19:30'));
    m = mark();
    r = await commit('B later', '2031-03-09T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    got = since(m);
    assert.deepEqual(got.issues, [], 'no second issue');
    const bIssue = st.issues.find((i) => i.title.startsWith('Open Space')).number;
    assert.ok(got.comments.some((c) => c[0] === bIssue && /^### Changed: Open Space/.test(c[1])), JSON.stringify(got.comments));

    // 7. C's file deleted: its Meetup event (linked in the file) is
    //    cancelled, and the planning issue gets the comment — from the
    //    journal's snapshot, once; later runs do not try again
    m = mark();
    git(repo, 'rm', '-q', '_posts/2031-03-26-hack-night.md');
    r = await commit('drop C', '2031-03-10T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    got = since(m);
    assert.deepEqual(got.hooks, ['2031-03-26-hack-night cancel 2031-03-26T19:00']);
    assert.deepEqual(got.mu, ['deleteEvent']);
    assert.equal(mu.st.calls.at(-1)[1].eventId, '305000111');
    assert.ok(got.comments.some((c) => c[0] === 3 && /^### Cancelled: Hack Night/.test(c[1])), JSON.stringify(got.comments));
    m = mark();
    r = await crier('run', '--now', '2031-03-10T11:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(since(m), { hooks: [], issues: [], comments: [], mu: [] });

    // 8. two announced files removed in one push: no cancellation without
    //    confirmation (exit 65, both named); confirmed, both cancelled
    git(repo, 'rm', '-q', '_posts/2031-03-26-async.md', '_posts/2031-03-19-open-space.md');
    mkdirSync(posts, { recursive: true });
    writeFileSync(join(posts, '2031-04-09-social.md'), post('Social', '2031-04-09 19:00', planning(4)));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'oops');
    const head = git(repo, 'rev-parse', 'HEAD');
    m = mark();
    r = await crier('changed', '--base', base, '--head', head, '--now', '2031-03-11T10:00:00+01:00');
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /2 announced events vanished at once \(2031-03-12-async, 2031-03-19-open-space\); crier cancels none/);
    assert.deepEqual(since(m).hooks, ['2031-04-09-social announce 2031-04-09T19:00'], 'the new event still goes out');
    m = mark();
    r = await crier('run', '--now', '2031-03-11T10:05:00+01:00');
    assert.equal(r.code, 65, 'run refuses too: ' + r.stderr);
    r = await crier('changed', '--base', base, '--head', head, '--now', '2031-03-11T10:10:00+01:00', '--confirm-cancel');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(since(m).hooks.sort(), ['2031-03-19-open-space cancel 2031-03-19T19:30', '2031-03-26-async cancel 2031-03-26T18:30']);

    assert.deepEqual(st.invalid, []);
    assert.deepEqual(mu.st.invalid, []);
    const status = JSON.parse((await crier('status', '--json')).stdout);
    assert.ok(status.every((s) => ['sent', 'skipped'].includes(s.status)), JSON.stringify(status.filter((s) => !['sent', 'skipped'].includes(s.status))));
  } finally {
    server.close();
    mu.server.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(journal, { recursive: true, force: true });
  }
});
