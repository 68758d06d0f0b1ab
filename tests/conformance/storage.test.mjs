// Storage faults: the journal on a small tmpfs that fills up while a
// delivery is on the wire (the receiver fills it before it answers), and on
// a file system that is read-only. A journal write that fails makes the
// command fail and say what was sent but not recorded; never a "sent" line
// for an outcome the journal does not have, never a silent success. Needs
// root (mount); without it the suite says so and skips (a failure in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { makeSite, run, listen, readBody } from './lib.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function canMount() {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  const d = mkdtempSync(join(tmpdir(), 'crier-mnt-probe-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]);
  if (r.status !== 0) { rmSync(d, { recursive: true }); return `mount refused: ${r.stderr}`; }
  spawnSync('umount', [d]);
  rmSync(d, { recursive: true });
  return false;
}
const why = canMount();
const skip = why && process.env.CI !== 'true' ? why : false;
if (why && process.env.CI === 'true')
  test('storage faults need root and mount in CI', () => assert.fail(why));

function tmpfs(size) {
  const dir = mkdtempSync(join(tmpdir(), 'crier-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return { dir, done: () => { spawnSync('umount', [dir]); rmSync(dir, { recursive: true, force: true }); } };
}

// Writes filler until the file system is full.
function fill(path) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try { for (;;) writeSync(fd, chunk); } catch { /* ENOSPC */ }
  closeSync(fd);
}

// Points the site's journal into dir.
function journalIn(cfg, dir) {
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^journal: .*$/m, `journal: ${join(dir, 'journal.db')}`));
}

// A webhook site whose journal lives on a fresh tmpfs of size, with one
// delivery already recorded there (the journal exists).
async function setup(size, onRequest) {
  const fs = tmpfs(size);
  const { server, st } = receiver(onRequest);
  const port = await listen(server);
  const site = makeSite(`  - {name: w, type: webhook, url: 'http://127.0.0.1:${port}/hook', secret: {env: W}, lang: en}\n`);
  const cfg = join(site.dir, 'crier.yaml');
  journalIn(cfg, fs.dir);
  const r = await run(['-c', cfg, 'announce', 'linked'], { W: SECRET });
  assert.equal(r.code, 0, r.stderr);
  return { fs, st, cfg, done: () => { server.close(); site.cleanup(); fs.done(); } };
}

function receiver(onRequest) {
  const wh = new Webhook(SECRET);
  const st = { ids: [] };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    wh.verify(body, req.headers);
    st.ids.push(req.headers['webhook-id']);
    onRequest?.();
    res.writeHead(204);
    res.end();
  });
  return { server, st };
}

test('the disk fills while a webhook is on the wire: exit 74, no "sent" line, the next run finishes with the same id', { skip }, async () => {
  let filler = null;
  const { fs, st, cfg, done } = await setup('512k', () => { if (filler) fill(filler); });
  const env = { W: SECRET };
  try {
    filler = join(fs.dir, 'filler');
    let r = await run(['-c', cfg, 'announce', 'gluehwein'], env);
    assert.equal(st.ids.length, 2, 'the request went out');
    assert.equal(r.code, 74, r.stderr);
    assert.match(r.stderr, /result=unrecorded .*the journal could not record it/);
    assert.doesNotMatch(r.stderr, /gluehwein.*result=sent/);
    assert.match(r.stderr, /crier: error: .*(full|disk)/i);
    // room again: the next run sends it once more under the same id (the
    // receiver's dedup key), and records it
    rmSync(filler);
    filler = null;
    r = await run(['-c', cfg, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.ids.length, 3);
    assert.equal(st.ids[2], st.ids[1], 'the same webhook-id, not a new delivery');
    r = await run(['-c', cfg, 'announce', 'gluehwein'], env);
    assert.match(r.stderr, /result=skipped reason="already sent/);
    assert.equal(st.ids.length, 3);
  } finally { done(); }
});

test('a full disk before anything is claimed: nothing goes out', { skip }, async () => {
  const { fs, st, cfg, done } = await setup('512k');
  try {
    fill(join(fs.dir, 'filler'));
    const r = await run(['-c', cfg, 'run', '--now', '2030-11-20T10:00:00+01:00'], { W: SECRET });
    assert.ok(r.code === 74 || r.code === 73, `${r.code}: ${r.stderr}`);
    assert.equal(st.ids.length, 1, 'nothing was sent that the journal could not claim');
    assert.doesNotMatch(r.stderr, /result=sent/);
  } finally { done(); }
});

test('a read-only journal: a clear error, nothing sent', { skip }, async () => {
  const { fs, st, cfg, done } = await setup('1m');
  try {
    execFileSync('mount', ['-o', 'remount,ro', fs.dir]);
    let r = await run(['-c', cfg, 'announce', 'gluehwein'], { W: SECRET });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /crier: error: .*journal/);
    assert.equal(st.ids.length, 1, 'nothing sent');
    r = await run(['-c', cfg, 'run', '--now', '2030-11-20T10:00:00+01:00'], { W: SECRET });
    assert.notEqual(r.code, 0);
    assert.equal(st.ids.length, 1, 'nothing sent');
    assert.ok(existsSync(join(fs.dir, 'journal.db')));
  } finally { done(); }
});
