// crier serve: requests signed by @octokit/webhooks-methods and
// standardwebhooks are accepted; tampered bodies, wrong secrets, stale
// timestamps, replays, oversized bodies and slow clients are refused;
// every status code the service gives, with its meaning; event ids match
// exactly; IPv6. The deliveries a request triggers reach a loopback
// receiver once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import {
  GH_SECRET, ANNOUNCE_SECRET, HOOK_SECRET, post, request, ghHeaders, announceHeaders, announce,
  receiver, makeRepo, writeConfig, startServe, waitFor, sleep,
} from './serve_lib.mjs';
import { run } from './lib.mjs';

test('crier serve', async (t) => {
  const hook = await receiver();
  const flaky = await receiver();
  const repo = makeRepo({ '2030-12-04-gluehwein.md': post('Glühwein', '2030-12-04 19:30'),
                          '2030-11-20-rust-und-kekse.md': post('Rust und Kekse', '2030-11-20 19:00'),
                          '2030-10-07-edit-me.md': post('Old title', '2030-10-07 19:00') });
  t.after(async () => {
    await hook.close();
    await flaky.close();
    rmSync(repo.root, { recursive: true, force: true });
  });
  const config = writeConfig(repo, [{ name: 'hook', port: hook.port }, { name: 'flaky', port: flaky.port }]);
  const srv = await startServe(config);
  const { port } = srv;
  assert.match(srv.log(), /listening on 127\.0\.0\.1:\d+/);
  try {
    await t.test('healthz: the queue and the last job', async () => {
      const h = await request(port, '/healthz', { method: 'GET' });
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'ok');
      assert.deepEqual(h.body.queue, { waiting: 0, max: 32, running: null });
      assert.equal(h.body.last_job, null);
      assert.equal((await request(port, '/nope', { method: 'GET' })).status, 404);
      assert.equal((await request(port, '/hooks/github', { method: 'GET' })).status, 405);
      assert.equal((await request(port, '/healthz')).status, 405, 'POST /healthz');
    });

    await t.test('GitHub: ping, bad signatures, other events and branches', async () => {
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
      const p = await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'd-1', ping), body: ping });
      assert.equal(p.status, 200);
      assert.deepEqual(p.body, { ok: true });
      const bad = await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'd-2', ping), body: ping.replace('awesome', 'awesome!') });
      assert.equal(bad.status, 401, 'tampered body');
      assert.deepEqual(bad.body, { error: 'invalid signature' }, 'no detail that helps an attacker');
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('ping', 'd-3', ping, 'wrong'), body: ping })).status, 401);
      assert.equal((await request(port, '/hooks/github', { headers: { 'x-github-event': 'ping', 'x-github-delivery': 'd-4' }, body: ping })).status, 401);
      const h = await ghHeaders('ping', 'd-5', ping);
      delete h['x-github-delivery'];
      assert.equal((await request(port, '/hooks/github', { headers: h, body: ping })).status, 400, 'no delivery id');
      const other = JSON.stringify({ ref: 'refs/heads/dev', before: 'a'.repeat(40), after: 'b'.repeat(40), commits: [{ added: ['_posts/x.md'] }] });
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('push', 'd-6', other), body: other })).status, 204);
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('issues', 'd-7', '{}'), body: '{}' })).status, 204);
      const elsewhere = JSON.stringify({ ref: 'refs/heads/main', before: 'a'.repeat(40), after: 'b'.repeat(40), commits: [{ added: ['README.md'] }] });
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('push', 'd-8', elsewhere), body: elsewhere })).status, 204, 'does not touch the events');
      const notPush = JSON.stringify({ ref: 'refs/heads/main', before: 'nope' });
      assert.equal((await request(port, '/hooks/github', { headers: await ghHeaders('push', 'd-9', notPush), body: notPush })).status, 400);
    });

    await t.test('GitHub push: 202, pulled, announced once; a replay is a duplicate', async () => {
      const payload = repo.push({ '2030-12-18-open-space.md': post('Open Space', '2030-12-18 19:00') });
      const r = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-1', payload), body: payload });
      assert.equal(r.status, 202);
      assert.deepEqual(r.body, { queued: true });
      let h;
      assert.ok(await waitFor(() => srv.log().includes('push push-1: done')), srv.log());
      h = (await request(port, '/healthz', { method: 'GET' })).body;
      assert.deepEqual({ ...h.last_job, finished: undefined }, { kind: 'github', id: 'push-1', result: 'done', exit: 0, finished: undefined });
      assert.match(h.last_job.finished, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(h.done, 1);
      assert.deepEqual(hook.announced(), ['2030-12-18-open-space announce']);
      assert.deepEqual(flaky.announced(), ['2030-12-18-open-space announce']);
      const again = await request(port, '/hooks/github', { headers: await ghHeaders('push', 'push-1', payload), body: payload });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { duplicate: true });
      await sleep(300);
      assert.equal(hook.got.length, 1);
    });

    await t.test('announce: 200 with results, 409 for a replay, 401 for bad signatures, 400 for a bad body', async () => {
      const doc = { event: '2030-12-04-gluehwein', channels: ['hook'], dry_run: false };
      const r = await announce(port, 'msg_1', doc);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 0);
      assert.deepEqual(r.body.results.map((x) => [x.channel, x.result]), [['hook', 'sent']]);
      assert.equal(hook.got.filter((g) => g.doc.event.id === '2030-12-04-gluehwein').length, 1);
      const replay = await announce(port, 'msg_1', doc);
      assert.equal(replay.status, 409);
      assert.deepEqual(replay.body, { error: 'replayed' });
      const body = JSON.stringify(doc);
      const stale = await request(port, '/hooks/announce', { headers: announceHeaders('msg_2', body, Math.floor(Date.now() / 1000) - 400), body });
      assert.equal(stale.status, 401);
      const future = await request(port, '/hooks/announce', { headers: announceHeaders('msg_3', body, Math.floor(Date.now() / 1000) + 400), body });
      assert.equal(future.status, 401);
      const h = announceHeaders('msg_4', body);
      assert.equal((await request(port, '/hooks/announce', { headers: h, body: body.replace('false', 'true') })).status, 401, 'tampered');
      const wrongKey = { ...h, 'webhook-id': 'msg_5', 'webhook-signature': new Webhook(HOOK_SECRET).sign('msg_5', new Date(), body) };
      assert.equal((await request(port, '/hooks/announce', { headers: wrongKey, body })).status, 401);
      assert.equal((await announce(port, 'msg_6', { nothing: 1 })).status, 400);
      assert.equal((await announce(port, 'msg_6b', { event: 'x', channels: 'hook' })).status, 400);
      assert.equal((await announce(port, 'msg_6c', { event: 'x', dry_run: 'yes' })).status, 400);
      assert.equal(hook.got.filter((g) => g.doc.event.id === '2030-12-04-gluehwein').length, 1, 'nothing more went out');
    });

    await t.test('announce: 422 with a message for an unknown event or channel; ids match exactly', async () => {
      const cases = [
        [{ event: 'no-such-event' }, "no event 'no-such-event'"],
        [{ event: '2030' }, "no event '2030'"],                      // a unique prefix once matched
        [{ event: 'rust-und-kekse' }, "no event 'rust-und-kekse'"],  // the id without its date
        [{ event: '2030-11-20-rust-und-kekse.md' }, "no event '2030-11-20-rust-und-kekse.md'"],
        [{ event: '../site/_posts/2030-11-20-rust-und-kekse.md' }, "'event' must be an event id (its file name without .md)"],
        [{ event: '2030-11-20-rust-und-kekse', channels: ['nope'] }, "no channel 'nope'"],
        [{ event: '2030-11-20-rust-und-kekse', channels: [] }, 'none of the channels named takes announcements'],
      ];
      let n = 0;
      for (const [doc, message] of cases) {
        const r = await announce(port, `msg_422_${n++}`, doc);
        assert.equal(r.status, 422, JSON.stringify(doc));
        assert.deepEqual(r.body, { error: message });
      }
      // the same id is accepted once the request is right
      const ok = await announce(port, 'msg_422_0', { event: '2030-11-20-rust-und-kekse', channels: ['hook'] });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(hook.got.filter((g) => g.doc.event.id === '2030-11-20-rust-und-kekse').length, 1);
    });

    await t.test('announce: 502 / 503 when deliveries failed; the same id sends what is missing', async () => {
      const doc = { event: '2030-11-20-rust-und-kekse', channels: ['hook', 'flaky'] };
      flaky.mode = 'fail400';
      const hard = await announce(port, 'msg_fail', doc);
      assert.equal(hard.status, 502, JSON.stringify(hard.body));
      assert.equal(hard.body.status, 1);
      assert.deepEqual(hard.body.results.map((x) => [x.channel, x.result]), [['hook', 'skipped'], ['flaky', 'failed']]);
      assert.match(hard.body.error, /failed/);
      flaky.mode = 'fail503';
      const temp = await announce(port, 'msg_fail', doc);
      assert.equal(temp.status, 503, JSON.stringify(temp.body));
      assert.equal(temp.body.status, 75);
      assert.ok(Number(temp.headers['retry-after']) > 0, 'Retry-After');
      assert.deepEqual(temp.body.results.map((x) => [x.channel, x.result]), [['hook', 'skipped'], ['flaky', 'failed']]);
      flaky.mode = 'ok';
      const ok = await announce(port, 'msg_fail', doc);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(ok.body.results.map((x) => [x.channel, x.result]), [['hook', 'skipped'], ['flaky', 'sent']]);
      assert.equal((await announce(port, 'msg_fail', doc)).status, 409, 'now it is done');
      assert.equal(flaky.got.filter((g) => g.doc.event.id === '2030-11-20-rust-und-kekse').length, 1);
      assert.equal(hook.got.filter((g) => g.doc.event.id === '2030-11-20-rust-und-kekse').length, 1);
    });

    await t.test('announce: an edited and a new event file, without a push', async () => {
      // the service has loaded the site for the requests above; now the
      // files change in the checkout, as an organizer's editor leaves them
      writeFileSync(join(repo.posts, '2030-10-07-edit-me.md'), post('New title', '2030-10-08 20:00'));
      writeFileSync(join(repo.posts, '2030-10-21-brand-new.md'), post('Brand new', '2030-10-21 19:00'));
      const edited = await announce(port, 'msg_edited', { event: '2030-10-07-edit-me', channels: ['hook'] });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      const fresh = await announce(port, 'msg_new', { event: '2030-10-21-brand-new', channels: ['hook'] });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      writeFileSync(join(repo.posts, '2030-10-28-broken.md'), '---\ntitle: "Broken"\ndate: 2030-13-45 19:00\n---\n');
      const broken = await announce(port, 'msg_broken', { event: '2030-10-28-broken', channels: ['hook'] });
      assert.equal(broken.status, 422);
      assert.deepEqual(broken.body, { error: "the file of '2030-10-28-broken' does not load (see the log)" });
      // the log line and the answer travel on different pipes: wait for it
      assert.ok(await waitFor(() => /2030-10-28-broken\.md:3: error: /.test(srv.log())), srv.log());
      const doc = (id) => hook.got.filter((g) => g.doc.event.id === id).map((g) => g.doc.event);
      assert.deepEqual(doc('2030-10-07-edit-me').map((e) => [e.title, e.start]), [['New title', '2030-10-08T20:00:00+02:00']]);
      assert.deepEqual(doc('2030-10-21-brand-new').map((e) => [e.title, e.start]), [['Brand new', '2030-10-21T19:00:00+02:00']]);
    });

    await t.test('limits: an oversized body, a slow client', async () => {
      const big = 'x'.repeat(2 << 20);
      const r = await request(port, '/hooks/announce', { headers: { 'content-type': 'application/json' }, body: big }).catch(() => ({ status: 'reset' }));
      assert.ok(r.status === 413 || r.status === 'reset', `got ${r.status}`);
      const closed = await new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('POST /hooks/announce HTTP/1.1\r\nHost: x\r\n'));
        s.on('close', () => resolve(true));
        s.on('error', () => {});
        setTimeout(() => { s.destroy(); resolve(false); }, 8000);
      });
      assert.ok(closed, 'the slow client was cut off (CRIER_TEST_SERVE_TIMEOUT=2)');
      assert.equal((await request(port, '/healthz', { method: 'GET' })).status, 200, 'still serving');
    });
    await t.test("libmicrohttpd's messages: crier's log lines, not the library's own stderr", async () => {
      const status = await new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () =>
          s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a\x1b[31m'.repeat(20000) + '\r\n\r\n'));
        let got = '';
        s.on('data', (d) => { got += d; });
        s.on('close', () => resolve(got.slice(9, 12)));
        s.on('error', () => resolve('reset'));
      });
      assert.ok(status === '431' || status === 'reset', `got ${status}`);
      assert.ok(await waitFor(() => /crier serve: libmicrohttpd: Error processing request \(HTTP response code is 431/.test(srv.log()), 5000),
        `no libmicrohttpd line in:\n${srv.log()}`);
      assert.ok(!srv.log().includes('\x1b'), 'a raw escape in the log');
    });
    assert.ok(!srv.log().includes(GH_SECRET) && !srv.log().includes(ANNOUNCE_SECRET.slice(6)), 'no secret in the log');
  } finally {
    const { code } = await srv.stop();
    assert.equal(code, 0);
  }
  assert.match(srv.log(), /stopping/);

  await t.test('IPv6: [::1]:PORT', async () => {
    const v6 = await startServe(config, { listenOn: (p) => `[::1]:${p}` });
    try {
      assert.match(v6.log(), /listening on \[::1\]:\d+/);
      const h = await request(v6.port, '/healthz', { method: 'GET', host: '::1' });
      assert.equal(h.status, 200);
      const refused = await request(v6.port, '/healthz', { method: 'GET', host: '127.0.0.1' }).catch((e) => e.code);
      assert.equal(refused, 'ECONNREFUSED', 'IPv6 only');
    } finally {
      assert.equal((await v6.stop()).code, 0);
    }
    for (const bad of ['[::1]', '::1:80', '[::1]:0', '[nope]:80', '127.0.0.1', '127.0.0.1:x']) {
      const r = await run(['-c', config, 'serve', '--listen', bad], { GH_SECRET, ANNOUNCE_SECRET, HOOK_SECRET });
      assert.equal(r.code, 64, bad);
      assert.match(r.stderr, /listen address/);
    }
  });

  await t.test('serve.queue and serve.git_timeout: in range, named by line', async () => {
    const bad = join(repo.root, 'bad.yaml');
    writeFileSync(bad, `site:\n  events: ${repo.posts}\nserve:\n  queue: 0\n  git_timeout: 0\n  announce_secret: {env: ANNOUNCE_SECRET}\nchannels: []\n`);
    const r = await run(['-c', bad, 'serve'], { ANNOUNCE_SECRET });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /bad\.yaml:4: error: 'queue' must be between 1 and 1000/);
    assert.match(r.stderr, /bad\.yaml:5: error: 'git_timeout' must be at least 1/);
  });
});
