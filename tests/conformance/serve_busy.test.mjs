// crier serve while the work is slow: a `crier run` holding the journal
// (a push and an announce then, redelivered as GitHub and a Standard
// Webhooks sender would: each event announced exactly once), and a channel
// that takes its time (pings, health checks and new requests are answered
// before it finishes; a full queue answers 503 with Retry-After).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  post, request, ghHeaders, announce, receiver, makeRepo, writeConfig, startServe, waitFor, serveEnv,
} from './serve_lib.mjs';
import { run } from './lib.mjs';

const health = async (port) => (await request(port, '/healthz', { method: 'GET' })).body;

test('crier serve while another crier holds the journal', async (t) => {
  const hook = await receiver();
  const slow = await receiver();
  const repo = makeRepo({ '2030-12-04-gluehwein.md': post('Glühwein', '2030-12-04 19:30') });
  t.after(async () => {
    await hook.close();
    await slow.close();
    rmSync(repo.root, { recursive: true, force: true });
  });
  const config = writeConfig(repo, [{ name: 'hook', port: hook.port }]);
  // a second site on the same journal, for the cron run
  const runPosts = join(repo.root, 'run_posts');
  mkdirSync(runPosts);
  writeFileSync(join(runPosts, '2030-06-01-sommer.md'), post('Sommer', '2030-06-01 19:00'));
  const runConfig = join(repo.root, 'run.yaml');
  writeFileSync(runConfig, `site:\n  events: ${runPosts}\n  url: https://treff.example.net\njournal: ${join(repo.root, 'journal.db')}\n` +
    `channels:\n  - {name: slow, type: webhook, url: 'http://127.0.0.1:${slow.port}/in', secret: {env: HOOK_SECRET}}\n`);
  const srv = await startServe(config);
  const { port } = srv;
  try {
    assert.ok(await waitFor(async () => (await health(port)).journal === 'ok'), 'the worker has looked at the journal');

    // crier run announces "Sommer" to a channel that holds the delivery:
    // the run holds the journal until it is released
    slow.mode = 'hold';
    const cron = run(['-c', runConfig, 'run'], { ...serveEnv(), CRIER_NOW: '2030-05-25T12:00:00+02:00' });
    assert.ok(await waitFor(() => slow.held.length === 1), 'the run is delivering');

    const payload = repo.push({ '2030-12-18-open-space.md': post('Open Space', '2030-12-18 19:00') });
    const pushed = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-busy', payload), body: payload });
    assert.equal(pushed.status, 202, 'the push is taken while the journal is busy');
    const doc = { event: '2030-12-04-gluehwein' };
    const refused = await announce(port, 'msg_busy', doc);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After');
    assert.match(refused.body.error, /journal/);
    // GitHub's redelivery of the same push while it waits: taken, not twice
    const redelivered = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-busy', payload), body: payload });
    assert.equal(redelivered.status, 202);
    const h = await health(port);
    assert.equal(h.journal, 'busy');
    assert.ok(h.retried >= 1, JSON.stringify(h));
    assert.equal(hook.got.length, 0, 'nothing went out while the journal was busy');

    slow.release();
    assert.equal((await cron).code, 0);
    assert.ok(await waitFor(() => srv.log().includes('push push-busy: done')), srv.log());
    const again = await announce(port, 'msg_busy', doc);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body.results.map((r) => r.result), ['sent']);
    const late = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-busy', payload), body: payload });
    assert.equal(late.status, 200);
    assert.deepEqual(late.body, { duplicate: true });
    assert.equal((await announce(port, 'msg_busy', doc)).status, 409);
    assert.deepEqual(hook.announced().sort(), ['2030-12-04-gluehwein announce', '2030-12-18-open-space announce']);
    assert.equal(hook.got.length, 2, 'each once');
    assert.deepEqual(slow.announced(), ['2030-06-01-sommer announce']);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});

test('crier serve while a channel takes its time', async (t) => {
  const hook = await receiver();
  const repo = makeRepo({ '2030-12-04-gluehwein.md': post('Glühwein', '2030-12-04 19:30'),
                          '2030-11-20-kekse.md': post('Kekse', '2030-11-20 19:00') });
  t.after(async () => {
    await hook.close();
    rmSync(repo.root, { recursive: true, force: true });
  });
  const config = writeConfig(repo, [{ name: 'hook', port: hook.port }], '  queue: 2\n');
  const srv = await startServe(config);
  const { port } = srv;
  try {
    hook.mode = 'hold';
    let first = null;
    const slowOne = announce(port, 'msg_slow', { event: '2030-12-04-gluehwein' }).then((r) => { first = r; return r; });
    assert.ok(await waitFor(() => hook.held.length === 1), 'the worker is delivering');

    // answered while the delivery is held: nothing waits on the channel
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 2 });
    const p = await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'ping-slow', ping), body: ping });
    assert.equal(p.status, 200);
    const h = await health(port);
    assert.deepEqual(h.queue, { waiting: 0, max: 2, running: { kind: 'announce', id: 'msg_slow', attempt: 1 } });
    const payload = repo.push({ '2030-12-18-open-space.md': post('Open Space', '2030-12-18 19:00') });
    const pushed = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-slow', payload), body: payload });
    assert.equal(pushed.status, 202);
    let second = null;
    const waiting = announce(port, 'msg_second', { event: '2030-11-20-kekse' }).then((r) => { second = r; return r; });
    assert.ok(await waitFor(() => srv.log().includes('msg_second queued')));
    assert.equal((await health(port)).queue.waiting, 2);
    // the queue is full: 503 with Retry-After, for pushes and announces
    const full = await announce(port, 'msg_third', { event: '2030-11-20-kekse' });
    assert.equal(full.status, 503);
    assert.ok(Number(full.headers['retry-after']) > 0, 'Retry-After');
    const fullPush = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-full', payload), body: payload });
    assert.equal(fullPush.status, 503);
    assert.ok(Number(fullPush.headers['retry-after']) > 0);
    // the same id again while it is worked on: 503, not a second job
    const same = await announce(port, 'msg_slow', { event: '2030-12-04-gluehwein' });
    assert.equal(same.status, 503);
    assert.equal(first, null, 'all of that was answered before the slow delivery finished');
    assert.equal(second, null);
    assert.equal(hook.held.length, 1);

    hook.release();
    assert.equal((await slowOne).status, 200);
    assert.equal((await waiting).status, 200);
    assert.ok(await waitFor(() => srv.log().includes('push push-slow: done')), srv.log());
    // what was refused is taken now
    assert.equal((await announce(port, 'msg_third', { event: '2030-11-20-kekse' })).status, 200);
    assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-full', payload), body: payload })).status, 202);
    assert.ok(await waitFor(() => srv.log().includes('push push-full: done')), srv.log());
    assert.deepEqual(hook.announced().sort(), ['2030-11-20-kekse announce', '2030-12-04-gluehwein announce', '2030-12-18-open-space announce']);
    assert.equal(hook.got.length, 3);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});
