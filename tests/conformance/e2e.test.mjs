// End to end: a git repository with a site; commits that add, edit and
// remove event files; `crier changed` and `crier run` at a series of
// pinned times against loopback receivers (a Standard Webhooks receiver,
// and a GitHub checked against its OpenAPI description). The receivers get
// exactly the expected messages, in order, once each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, listen } from './lib.mjs';
import { receivers, SECRET } from './receivers.mjs';

const git = (dir, ...args) => execFileSync('git', ['-C', dir, ...args], {
  env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
}).toString().trim();

const post = (title, date) => `---\ntitle: "${title}"\ndate: ${date}\nlocation: keller\ntalks: false\n---\nHallo.\n`;

test('changed and run over a series of commits and times', async () => {
  const { server, st } = receivers((d) => `${d.event.id} ${d.notice}`);
  const port = await listen(server);
  const repo = mkdtempSync(join(tmpdir(), 'crier-e2e-'));
  try {
    mkdirSync(join(repo, '_posts'));
    mkdirSync(join(repo, '_data'));
    writeFileSync(join(repo, '_data/locations.yml'), 'keller:\n  name: "Keller"\n  street: "Weg 1"\n  city: "Köln"\n');
    writeFileSync(join(repo, 'crier.yaml'),
      `site:\n  url: https://treff.example.net\njournal: ${join(repo, 'state.db')}\n` +
      'channels:\n' +
      `  - {name: hook, type: webhook, url: 'http://127.0.0.1:${port}/hook', secret: {env: W}, lang: [de, en]}\n` +
      `  - {name: gh, type: github, repo: o/r, token: {env: G}, api_url: 'http://127.0.0.1:${port}', lang: en, notices: [announce, update, cancel]}\n`);
    writeFileSync(join(repo, '.gitignore'), 'state.db*\n');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'site');
    const c0 = git(repo, 'rev-parse', 'HEAD');
    const env = { W: SECRET, G: 'ghp_x' };
    const crier = (...args) => run(['-c', join(repo, 'crier.yaml'), ...args], env);

    // 1. a new event is merged: announced at once, long before its lead
    writeFileSync(join(repo, '_posts/2030-12-04-gluehwein.md'), post('Glühwein', '2030-12-04 19:30'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'add gluehwein');
    const c1 = git(repo, 'rev-parse', 'HEAD');
    let r = await crier('changed', '--base', c0, '--head', c1, '--now', '2030-11-01T12:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    r = await crier('changed', '--base', c0, '--head', c1, '--now', '2030-11-01T12:05:00+01:00');
    assert.equal(r.code, 0, 'safe to run twice');
    r = await crier('list', '--now', '2030-11-01T12:06:00+01:00');
    assert.match(r.stdout, /hook +de\+en sent: announce/);
    assert.match(r.stdout, /hook +de\+en reminder-7d +2030-11-27 19:30 CET/);
    // 2. cron, before anything is due, and when the 7d reminder is
    for (const now of ['2030-11-20T12:00:00+01:00', '2030-11-27T19:30:00+01:00', '2030-11-27T20:00:00+01:00']) {
      r = await crier('run', '--now', now);
      assert.equal(r.code, 0, r.stderr);
    }
    // 3. the time changes: one update on each channel
    writeFileSync(join(repo, '_posts/2030-12-04-gluehwein.md'), post('Glühwein', '2030-12-04 20:00'));
    git(repo, 'commit', '-q', '-am', 'later');
    const c2 = git(repo, 'rev-parse', 'HEAD');
    r = await crier('changed', '--base', c1, '--head', c2, '--now', '2030-11-28T09:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    r = await crier('run', '--now', '2030-11-28T10:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    // 4. one event added, the other removed: announce and cancel
    writeFileSync(join(repo, '_posts/2030-12-18-open-space.md'), post('Open Space', '2030-12-18 19:00'));
    git(repo, 'rm', '-q', '_posts/2030-12-04-gluehwein.md');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'swap');
    const c3 = git(repo, 'rev-parse', 'HEAD');
    r = await crier('changed', '--base', c2, '--head', c3, '--now', '2030-11-29T09:00:00+01:00');
    assert.equal(r.code, 0, r.stderr);
    // 5. cron keeps going: the open space's 7d and 1d reminders and 2h
    for (const now of ['2030-11-29T10:00:00+01:00', '2030-12-04T21:00:00+01:00',
      '2030-12-11T19:00:00+01:00', '2030-12-17T19:00:00+01:00', '2030-12-18T17:00:00+01:00',
      '2030-12-18T18:59:00+01:00', '2030-12-18T19:00:00+01:00', '2030-12-19T08:00:00+01:00']) {
      r = await crier('run', '--now', now);
      assert.equal(r.code, 0, `${now}: ${r.stderr}`);
    }
    assert.deepEqual(st.invalid, []);
    assert.deepEqual(st.hooks, [
      '2030-12-04-gluehwein announce',
      '2030-12-04-gluehwein reminder-7d',
      '2030-12-04-gluehwein update',
      '2030-12-18-open-space announce',
      '2030-12-04-gluehwein cancel',
      '2030-12-18-open-space reminder-7d',
      '2030-12-18-open-space reminder-1d',
      '2030-12-18-open-space reminder-2h',
    ]);
    assert.equal(st.issues.length, 2, 'one issue per event');
    assert.deepEqual(st.comments.map((c) => [c.issue, c.body.split('\n')[0]]), [
      [100, '### Changed: Glühwein – Wed, 4 Dec 2030, 20:00'],
      [100, '### Cancelled: Glühwein on Wed, 4 Dec 2030'],
    ]);
    const status = JSON.parse((await crier('status', '--json')).stdout);
    assert.ok(status.every((s) => s.status === 'sent' || s.status === 'skipped'), JSON.stringify(status));
  } finally {
    server.close();
    rmSync(repo, { recursive: true, force: true });
  }
});
