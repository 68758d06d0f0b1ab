// crier serve when git hangs and when it is stopped: a git pull that never
// ends is cut off (the service answers meanwhile), SIGTERM during a pull
// and during a delivery ends the service with exit 0, and the pushes it
// had accepted are done after the next start, each event announced once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  post, request, ghHeaders, announce, receiver, makeRepo, writeConfig, startServe, waitFor, git,
} from './serve_lib.mjs';
import { listen } from './lib.mjs';

// A loopback "git server" that accepts connections and never answers.
async function hangingRemote() {
  const r = { open: 0, closed: 0, sockets: [] };
  const server = net.createServer((s) => {
    r.open++;
    r.sockets.push(s);
    s.on('close', () => { r.closed++; });
    s.on('error', () => {});
    s.resume(); // read (and drop) the request: the end of the connection is seen
  });
  r.port = await listen(server);
  r.close = () => { for (const s of r.sockets) s.destroy(); return new Promise((res) => server.close(res)); };
  return r;
}

test('crier serve: a hanging git pull, and SIGTERM during a pull and a delivery', async (t) => {
  const hook = await receiver();
  const hang = await hangingRemote();
  const repo = makeRepo({ '2030-12-04-gluehwein.md': post('Glühwein', '2030-12-04 19:30') });
  t.after(async () => {
    await hook.close();
    await hang.close();
    rmSync(repo.root, { recursive: true, force: true });
  });
  const config = writeConfig(repo, [{ name: 'hook', port: hook.port }], '  git_timeout: 5\n');
  const spool = join(repo.root, 'journal.db.serve-queue');
  const toHang = () => git(repo.site, 'remote', 'set-url', 'origin', `http://127.0.0.1:${hang.port}/site.git`);
  const toOrigin = () => git(repo.site, 'remote', 'set-url', 'origin', repo.origin);
  const pushReq = async (port, id, payload) =>
    request(port, '/hooks/github', { headers: await ghHeaders('push', id, payload), body: payload });
  let srv = await startServe(config);
  try {
    await t.test('a git pull that hangs is cut off; the push is done once git works again', async () => {
      toHang();
      const payload = repo.push({ '2030-12-18-open-space.md': post('Open Space', '2030-12-18 19:00') });
      assert.equal((await pushReq(srv.port, 'push-hang', payload)).status, 202);
      assert.ok(await waitFor(() => hang.open === 1), 'git is connected to the remote that never answers');
      const h = await request(srv.port, '/healthz', { method: 'GET' });
      assert.equal(h.status, 200, 'answered while git hangs');
      assert.deepEqual(h.body.queue.running, { kind: 'github', id: 'push-hang', attempt: 1 });
      assert.equal(hang.closed, 0, 'and git was still hanging then');
      assert.ok(await waitFor(() => srv.log().includes('took more than 5 s and was stopped')), srv.log());
      assert.ok(await waitFor(() => hang.closed === 1), 'the pull was stopped, its helper process too');
      toOrigin();
      assert.ok(await waitFor(() => srv.log().includes('push push-hang: done')), srv.log());
      assert.deepEqual(hook.announced(), ['2030-12-18-open-space announce']);
    });

    await t.test('SIGTERM during a pull: exit 0, the push kept for the next start', async () => {
      toHang();
      const payload = repo.push({ '2030-12-20-feier.md': post('Feier', '2030-12-20 19:00') });
      assert.equal((await pushReq(srv.port, 'push-term', payload)).status, 202);
      assert.ok(await waitFor(() => hang.open === 2), 'git hangs');
      const { code } = await srv.stop('SIGTERM');
      assert.equal(code, 0);
      assert.ok(await waitFor(() => hang.closed === 2), 'the pull was stopped');
      assert.match(srv.log(), /push push-term: not done \(stopping\)/);
      assert.match(srv.log(), /push push-term not done: kept in .*serve-queue/);
      assert.deepEqual(JSON.parse(readFileSync(spool, 'utf8')).map((p) => p.id), ['push-term']);
      toOrigin();
      srv = await startServe(config);
      assert.match(srv.log(), /1 push\(es\) not done at the last stop queued again/);
      assert.ok(await waitFor(() => srv.log().includes('push push-term: done')), srv.log());
      assert.ok(await waitFor(() => !existsSync(spool)), 'the spool is gone once nothing is left');
      assert.deepEqual(hook.announced().sort(), ['2030-12-18-open-space announce', '2030-12-20-feier announce']);
    });

    await t.test('SIGTERM during a delivery: exit 0 within the grace period; nothing lost, nothing twice', async () => {
      hook.mode = 'hold';
      let answered = null;
      const waiting = announce(srv.port, 'msg_term', { event: '2030-12-04-gluehwein' }).then((r) => { answered = r; return r; });
      assert.ok(await waitFor(() => hook.held.length === 1), 'the worker is delivering');
      const payload = repo.push({ '2030-12-27-jahresende.md': post('Jahresende', '2030-12-27 19:00') });
      assert.equal((await pushReq(srv.port, 'push-queued', payload)).status, 202);
      srv.child.kill('SIGTERM');
      assert.ok(await waitFor(() => srv.log().includes('stopping')));
      const h = await request(srv.port, '/healthz', { method: 'GET' });
      assert.equal(h.status, 503);
      assert.equal(h.body.status, 'stopping');
      const late = await pushReq(srv.port, 'push-late', payload);
      assert.equal(late.status, 503, 'no new work');
      assert.ok(Number(late.headers['retry-after']) > 0);
      assert.equal(answered, null, 'the announce still waits for its delivery');
      const { code } = await srv.exited;
      assert.equal(code, 0);
      const r = await waiting;
      assert.equal(r.status, 503, 'the request that waited is told it was not done');
      assert.ok(Number(r.headers['retry-after']) > 0);
      assert.match(srv.log(), /announce msg_term still running after 5 s: recorded as not done/);
      assert.deepEqual(JSON.parse(readFileSync(spool, 'utf8')).map((p) => p.id), ['push-queued']);
      hook.release(); // the delivery the stopped service made arrives now

      srv = await startServe(config);
      assert.ok(await waitFor(() => srv.log().includes('push push-queued: done')), srv.log());
      const again = await announce(srv.port, 'msg_term', { event: '2030-12-04-gluehwein' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal((await pushReq(srv.port, 'push-late', payload)).status, 202, 'what was refused is taken now');
      assert.ok(await waitFor(() => srv.log().includes('push push-late: done')), srv.log());
      // the delivery interrupted by the stop is sent again under the same
      // webhook-id: a receiver keeps it once
      assert.deepEqual(hook.announced().sort(), ['2030-12-04-gluehwein announce', '2030-12-18-open-space announce',
        '2030-12-20-feier announce', '2030-12-27-jahresende announce']);
    });
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});
