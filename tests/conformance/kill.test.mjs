// announce killed with SIGKILL at random moments, then run again: every
// notice arrives, and the Matrix, GitHub and webhook receivers see no
// duplicate (Matrix by txnId, GitHub by marker, webhooks by webhook-id).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { makeSite, run, listen, readBody } from './lib.mjs';

function receivers() {
  const st = { matrix: new Map(), issues: [], hooks: new Map(), delay: 0 };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const send = (code, obj) => {
      const go = () => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
      // a random delay before or after recording, so kills land anywhere
      setTimeout(go, crypto.randomInt(0, 30));
    };
    await new Promise((r) => setTimeout(r, crypto.randomInt(0, 30)));
    if (url.pathname.startsWith('/_matrix/client/v3/rooms/') && url.pathname.includes('/state/')) return send(404, { errcode: 'M_NOT_FOUND' });
    if (url.pathname.includes('/send/m.room.message/')) {
      const txn = url.pathname.split('/').pop();
      if (!st.matrix.has(txn)) st.matrix.set(txn, `$e${st.matrix.size}`);
      return send(200, { event_id: st.matrix.get(txn) });
    }
    if (url.pathname === '/user') return send(200, { login: 'crier-bot' });
    if (url.pathname === '/repos/o/r/issues' && req.method === 'GET') return send(200, st.issues);
    if (url.pathname === '/repos/o/r/issues' && req.method === 'POST') {
      const d = JSON.parse(body);
      const issue = { number: st.issues.length + 1, title: d.title, body: d.body, user: { login: 'crier-bot' }, html_url: `https://github.com/o/r/issues/${st.issues.length + 1}` };
      st.issues.push(issue);
      return send(201, issue);
    }
    if (url.pathname === '/hook') {
      const id = req.headers['webhook-id'];
      st.hooks.set(id, (st.hooks.get(id) || 0) + 1);
      return send(204, {});
    }
    return send(404, {});
  });
  return { server, st };
}

test('SIGKILL at random moments, then run again: all arrive, none twice', async () => {
  const { server, st } = receivers();
  const port = await listen(server);
  const site = makeSite(
    `  - name: m\n    type: matrix\n    homeserver: http://127.0.0.1:${port}\n    room: "!r:x"\n    access_token: {env: T}\n` +
    `  - name: g\n    type: github\n    repo: o/r\n    token: {env: T}\n    api_url: http://127.0.0.1:${port}\n` +
    `  - name: w\n    type: webhook\n    url: http://127.0.0.1:${port}/hook\n    secret: {env: W}\n`);
  const env = { T: 'tok', W: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
  try {
    for (let round = 0; round < 15; round++) {
      const events = ['gluehwein', 'linked'];
      for (const ev of events) {
        const killAt = crypto.randomInt(0, 60);
        await run(['-c', site.config, 'announce', ev], env, {
          onSpawn: (child) => setTimeout(() => child.kill('SIGKILL'), killAt),
        });
      }
      // finish the work
      for (const ev of events) {
        const r = await run(['-c', site.config, 'announce', ev], env);
        assert.ok(r.code === 0, `round ${round} ${ev}: ${r.stderr}`);
      }
      assert.equal(st.matrix.size, 2 * (round + 1), 'one Matrix event per announcement');
      assert.equal(st.issues.length, 2 * (round + 1), 'one issue per announcement');
      assert.equal(st.hooks.size, 2 * (round + 1));
      // receivers dedup by webhook-id; the same id may arrive again after a
      // kill, which is what the id is for — but never a new id
      // next round: forget the journal's 'sent' by using --force keys? no:
      // rename the events by announcing again with --force for a fresh key
      await run(['-c', site.config, 'status'], env);
      // make the next round's keys new
      const fs = await import('node:fs');
      fs.rmSync(`${site.dir}/journal.db`, { force: true });
      fs.rmSync(`${site.dir}/journal.db-wal`, { force: true });
      fs.rmSync(`${site.dir}/journal.db-shm`, { force: true });
      st.issues.forEach((i) => { i.body = i.body.replace(/crier:key=/g, 'old:key='); });
      st.matrix = new Map([...st.matrix].map(([k, v]) => [`old-${round}-${k}`, v]));
      st.hooks = new Map([...st.hooks].map(([k, v]) => [`old-${round}-${k}`, v]));
    }
  } finally {
    server.closeAllConnections?.();
    server.close();
    site.cleanup();
  }
});
