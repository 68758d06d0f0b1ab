// crier serve: requests signed by @octokit/webhooks-methods and
// standardwebhooks are accepted; tampered bodies, wrong secrets, stale
// timestamps, replays, oversized bodies and slow clients are refused; the
// deliveries a request triggers reach a loopback receiver once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { sign as ghSign } from '@octokit/webhooks-methods';
import { crier, listen, readBody } from './lib.mjs';

const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ANNOUNCE_SECRET = 'whsec_' + Buffer.from('announce-secret-for-tests-123456').toString('base64');
const GH_SECRET = "It's a Secret to Everybody";

const git = (dir, ...args) => execFileSync('git', ['-C', dir, ...args], {
  env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
}).toString().trim();
const post = (title, date) => `---\ntitle: "${title}"\ndate: ${date}\ntalks: false\n---\nHallo.\n`;

async function freePort() {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

function request(port, path, { method = 'POST', headers = {}, body = '' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data ? JSON.parse(data) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('crier serve', async (t) => {
  // the receiver the announcements go to
  const wh = new Webhook(HOOK_SECRET);
  const got = [];
  const receiver = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString();
    try { wh.verify(body, req.headers); got.push({ id: req.headers['webhook-id'], doc: JSON.parse(body) }); } catch { /* counted as missing */ }
    res.writeHead(204).end();
  });
  const rport = await listen(receiver);
  // origin, the site checkout crier serves from, and a clone to push from
  const root = mkdtempSync(join(tmpdir(), 'crier-serve-'));
  const origin = join(root, 'origin.git'), site = join(root, 'site'), work = join(root, 'work');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  execFileSync('git', ['clone', '-q', origin, work], { stdio: 'ignore' });
  mkdirSync(join(work, '_posts'));
  writeFileSync(join(work, '_posts/2030-12-04-gluehwein.md'), post('Glühwein', '2030-12-04 19:30'));
  git(work, 'checkout', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'first');
  git(work, 'push', '-q', 'origin', 'main');
  execFileSync('git', ['clone', '-q', '-b', 'main', origin, site], { stdio: 'ignore' });
  writeFileSync(join(root, 'crier.yaml'),
    `site:\n  events: ${join(site, '_posts')}\n  url: https://treff.example.net\njournal: ${join(root, 'journal.db')}\n` +
    'serve:\n  branch: main\n  github_secret: {env: GH_SECRET}\n  announce_secret: {env: ANNOUNCE_SECRET}\n' +
    `channels:\n  - {name: hook, type: webhook, url: 'http://127.0.0.1:${rport}/in', secret: {env: HOOK_SECRET}}\n`);
  const port = await freePort();
  let log = '';
  const server = spawn(crier, ['-c', join(root, 'crier.yaml'), 'serve', '--listen', `127.0.0.1:${port}`], {
    env: { PATH: process.env.PATH, LC_ALL: 'C', GH_SECRET, ANNOUNCE_SECRET, HOOK_SECRET, CRIER_SERVE_TIMEOUT: '2', CRIER_RETRY_BASE_MS: '20' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr.on('data', (d) => { log += d; });
  for (let i = 0; i < 100 && !log.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(log, /listening on 127\.0\.0\.1:\d+/);
  const waitFor = async (pred) => { for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50)); };
  try {
    await t.test('healthz', async () => {
      assert.equal((await request(port, '/healthz', { method: 'GET' })).status, 200);
      assert.equal((await request(port, '/nope', { method: 'GET' })).status, 404);
      assert.equal((await request(port, '/hooks/github', { method: 'GET' })).status, 405);
    });

    const ghHeaders = async (event, id, body, secret = GH_SECRET) => ({
      'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id,
      'x-hub-signature-256': await ghSign(secret, body),
    });

    await t.test('GitHub: ping, bad signatures, other branches', async () => {
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'd-1', ping), body: ping })).status, 200);
      const bad = await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'd-2', ping), body: ping.replace('awesome', 'awesome!') });
      assert.equal(bad.status, 401, 'tampered body');
      assert.deepEqual(bad.body, { error: 'invalid signature' }, 'no detail that helps an attacker');
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'd-3', ping, 'wrong'), body: ping })).status, 401);
      assert.equal((await request(port, '/hooks/github', { headers: { 'x-github-event': 'ping', 'x-github-delivery': 'd-4' }, body: ping })).status, 401);
      const other = JSON.stringify({ ref: 'refs/heads/dev', before: 'a'.repeat(40), after: 'b'.repeat(40), commits: [{ added: ['_posts/x.md'] }] });
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('push', 'd-5', other), body: other })).status, 204);
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('issues', 'd-6', '{}'), body: '{}' })).status, 204);
    });

    await t.test('GitHub push: pulled, announced once; a replay is ignored', async () => {
      const before = git(work, 'rev-parse', 'HEAD');
      writeFileSync(join(work, '_posts/2030-12-18-open-space.md'), post('Open Space', '2030-12-18 19:00'));
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '-m', 'open space');
      git(work, 'push', '-q', 'origin', 'main');
      const after = git(work, 'rev-parse', 'HEAD');
      const payload = JSON.stringify({ ref: 'refs/heads/main', before, after,
        commits: [{ id: after, added: ['_posts/2030-12-18-open-space.md'], modified: [], removed: [] }] });
      const r = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-1', payload), body: payload });
      assert.equal(r.status, 202);
      await waitFor(() => got.length >= 1 && log.includes('done, exit'));
      assert.deepEqual(got.map((g) => `${g.doc.event.id} ${g.doc.notice}`), ['2030-12-18-open-space announce']);
      const again = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-1', payload), body: payload });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { duplicate: true });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(got.length, 1);
    });

    const announceHeaders = (id, body, ts = Math.floor(Date.now() / 1000)) => ({
      'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts),
      'webhook-signature': new Webhook(ANNOUNCE_SECRET).sign(id, new Date(ts * 1000), body),
    });

    await t.test('announce: signed requests go out with results; bad ones are refused', async () => {
      const body = JSON.stringify({ event: 'gluehwein', channels: ['hook'], dry_run: false });
      const r = await request(port, '/hooks/announce', { headers: announceHeaders('msg_1', body), body });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 0);
      assert.equal(r.body.results[0].result, 'sent');
      assert.equal(got.filter((g) => g.doc.event.id === '2030-12-04-gluehwein').length, 1);
      const replay = await request(port, '/hooks/announce', { headers: announceHeaders('msg_1', body), body });
      assert.equal(replay.status, 409);
      const stale = await request(port, '/hooks/announce', { headers: announceHeaders('msg_2', body, Math.floor(Date.now() / 1000) - 400), body });
      assert.equal(stale.status, 401);
      const future = await request(port, '/hooks/announce', { headers: announceHeaders('msg_3', body, Math.floor(Date.now() / 1000) + 400), body });
      assert.equal(future.status, 401);
      const h = announceHeaders('msg_4', body);
      const tampered = await request(port, '/hooks/announce', { headers: h, body: body.replace('false', 'true') });
      assert.equal(tampered.status, 401);
      const wrongKey = { ...h, 'webhook-id': 'msg_5', 'webhook-signature': new Webhook(HOOK_SECRET).sign('msg_5', new Date(), body) };
      assert.equal((await request(port, '/hooks/announce', { headers: wrongKey, body })).status, 401);
      const nobody = JSON.stringify({ nothing: 1 });
      assert.equal((await request(port, '/hooks/announce', { headers: announceHeaders('msg_6', nobody), body: nobody })).status, 400);
      const missing = JSON.stringify({ event: 'no-such-event' });
      assert.equal((await request(port, '/hooks/announce', { headers: announceHeaders('msg_7', missing), body: missing })).status, 404);
      assert.equal(got.filter((g) => g.doc.event.id === '2030-12-04-gluehwein').length, 1, 'nothing more went out');
    });

    await t.test('limits: an oversized body, a slow client', async () => {
      const big = 'x'.repeat(2 << 20);
      const r = await request(port, '/hooks/announce', { headers: { 'content-type': 'application/json' }, body: big }).catch(() => ({ status: 'reset' }));
      assert.ok(r.status === 413 || r.status === 'reset', `got ${r.status}`);
      const closed = await new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('POST /hooks/announce HTTP/1.1\r\nHost: x\r\n'));
        const t0 = Date.now();
        s.on('close', () => resolve(Date.now() - t0));
        s.on('error', () => {});
        setTimeout(() => resolve(-1), 8000);
      });
      assert.ok(closed > 0 && closed < 7000, `the slow client was cut off after ${closed} ms`);
      assert.equal((await request(port, '/healthz', { method: 'GET' })).status, 200, 'still serving');
    });
    assert.ok(!log.includes(GH_SECRET) && !log.includes(ANNOUNCE_SECRET.slice(6)), 'no secret in the log');
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('close', r));
    receiver.close();
    rmSync(root, { recursive: true, force: true });
  }
  assert.match(log, /stopping/);
});
