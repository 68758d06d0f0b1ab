// Servers that misbehave on purpose: every channel ends each fault in a
// defined journal state with the right exit code, and nothing is sent
// twice. Temporary faults (5xx, 429, no answer, a reset, a refused port)
// end 'failed' with exit 75, to be retried by the next run; answers that
// make no sense end 'failed' with exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { makeSite, run, listen, readBody } from './lib.mjs';

function faulty(mode) {
  const st = { hits: 0, times: [] };
  const server = http.createServer(async (req, res) => {
    await readBody(req);
    st.hits++;
    st.times.push(Date.now());
    switch (mode) {
      case '500': case '502': case '503':
        res.writeHead(Number(mode), { 'content-type': 'application/json' }).end('{"message":"boom"}'); break;
      case '429':
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"errcode":"M_LIMIT_EXCEEDED"}'); break;
      case 'silent': break; // never answers
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"partial": ');
        setTimeout(() => req.socket.destroy(), 20);
        break;
      case 'badjson':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{this is not json'); break;
    }
  });
  return { server, st };
}

const channels = {
  webhook: (port) => `  - name: c\n    type: webhook\n    url: http://127.0.0.1:${port}/in\n    secret: {env: S}\n`,
  matrix: (port) => `  - name: c\n    type: matrix\n    homeserver: http://127.0.0.1:${port}\n    room: "!r:x"\n    access_token: {env: S}\n`,
  github: (port) => `  - name: c\n    type: github\n    repo: o/r\n    token: {env: S}\n    api_url: http://127.0.0.1:${port}\n`,
  meetup: (port) => `  - name: c\n    type: meetup\n    group: g\n    api_url: http://127.0.0.1:${port}/gql\n    auth:\n      access_token: {env: S}\n`,
  bluesky: (port) => `  - name: c\n    type: bluesky\n    pds: http://127.0.0.1:${port}\n    handle: t.bsky.social\n    app_password: {env: S}\n`,
  discourse: (port) => `  - name: c\n    type: discourse\n    forum: http://127.0.0.1:${port}\n    api_key: {env: S}\n    username: crier\n`,
  mastodon: (port) => `  - name: c\n    type: mastodon\n    instance: http://127.0.0.1:${port}\n    access_token: {env: S}\n    max_characters: 500\n`,
  discord: () => '  - name: c\n    type: discord\n    webhook_url: {env: WEBHOOK_URL}\n',
  slack: (port) => `  - name: c\n    type: slack\n    bot_token: {env: S}\n    channel: C0123ABCDEF\n    api_url: http://127.0.0.1:${port}/api\n`,
  'slack-webhook': () => '  - name: c\n    type: slack\n    webhook_url: {env: WEBHOOK_URL}\n',
  zulip: (port) => `  - name: c\n    type: zulip\n    site: http://127.0.0.1:${port}\n    email: bot@z.example\n    api_key: {env: S}\n    stream: treffen\n`,
  telegram: (port) => `  - name: c\n    type: telegram\n    bot_token: {env: S}\n    chat_id: "-1001234567890"\n    api_url: http://127.0.0.1:${port}\n`,
};
const env = { S: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
// channels whose endpoint is itself a secret
const urlEnv = {
  discord: (port) => ({ WEBHOOK_URL: `http://127.0.0.1:${port}/api/webhooks/1180000000000000001/tok-faults` }),
  'slack-webhook': (port) => ({ WEBHOOK_URL: `http://127.0.0.1:${port}/services/T1/B2/faults` }),
};

async function status(site) {
  const r = await run(['-c', site.config, 'status', '--json']);
  return JSON.parse(r.stdout);
}

for (const [type, chan] of Object.entries(channels)) {
  for (const mode of ['500', '502', '503', '429', 'silent', 'reset', 'refused', 'badjson']) {
    test(`${type}: ${mode}`, async () => {
      let port, server, st = { hits: 0, times: [] };
      if (mode === 'refused') {
        const probe = net.createServer();
        port = await listen(probe);
        probe.close(); // nothing listens there now
      } else {
        ({ server, st } = faulty(mode));
        port = await listen(server);
      }
      const site = makeSite(chan(port) + '    retries: 1\n    timeout: 1\n');
      try {
        const t0 = Date.now();
        const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], { ...env, ...urlEnv[type]?.(port) });
        const [row] = await status(site);
        const out = JSON.parse(r.stdout)[0];
        if (mode === 'badjson' && (type === 'webhook' || type === 'slack-webhook')) {
          assert.equal(r.code, 0, 'a webhook receiver may answer anything with 2xx');
          assert.equal(row.status, 'sent');
          return;
        }
        if (mode === 'badjson') {
          assert.equal(r.code, 1, r.stderr);
          assert.equal(row.status, 'failed');
          assert.equal(st.hits, 1, 'not retried');
          return;
        }
        assert.equal(r.code, 75, `temporary: ${r.stderr}`);
        assert.equal(row.status, 'failed');
        assert.equal(out.result, 'failed');
        assert.match(out.error, /temporary; the next run tries again/);
        if (mode !== 'refused') assert.equal(st.hits, 2, 'one retry, as configured');
        if (mode === '429') assert.ok(st.times[1] - st.times[0] >= 950, 'Retry-After honoured');
        if (mode === 'silent') assert.ok(Date.now() - t0 < 10000, 'the timeout ends it');
        assert.ok(!r.stderr.includes(env.S) && !r.stdout.includes(env.S), 'no secret in the output');
      } finally {
        server?.closeAllConnections?.();
        server?.close();
        site.cleanup();
      }
    });
  }
}

// SMTP: a refused port and a server that never greets are temporary (the
// message never started to go out); a drop after DATA is in mail.test.mjs.
for (const mode of ['refused', 'silent', '421']) {
  test(`mail: ${mode}`, async () => {
    const server = net.createServer((sock) => {
      if (mode === '421') sock.end('421 4.3.2 try again later\r\n');
      // silent: accept and say nothing
    });
    const port = await listen(server);
    if (mode === 'refused') server.close();
    const site = makeSite(`  - name: c\n    type: mail\n    url: smtp://127.0.0.1:${port}\n    from: a@example.org\n` +
      '    to: [b@example.org]\n    retries: 1\n    timeout: 1\n');
    try {
      const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
      const [row] = await status(site);
      assert.equal(r.code, 75, r.stderr);
      assert.equal(row.status, 'failed');
      assert.match(JSON.parse(r.stdout)[0].error, /temporary/);
    } finally {
      if (mode !== 'refused') server.close();
      site.cleanup();
    }
  });
}

// attempts count tries (not runs); a 2xx whose body is over the 4 MiB limit
// is a success (the receiver took it); https:// to a port that speaks plain
// HTTP is a configuration error (78), not something to retry.
test('attempts count every try', async () => {
  const { server, st } = faulty('503');
  const port = await listen(server);
  const site = makeSite(channels.webhook(port) + '    retries: 2\n');
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 75, r.stderr);
    assert.equal(st.hits, 3);
    assert.equal((await status(site))[0].attempts, 3);
    await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal((await status(site))[0].attempts, 6, 'a second run adds its tries');
  } finally { server.close(); site.cleanup(); }
});

test('a 2xx with a body over the limit is sent, with a warning', async () => {
  const server = http.createServer(async (req, res) => {
    await readBody(req);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(Buffer.alloc(5 << 20, 120));
  });
  const port = await listen(server);
  const site = makeSite(channels.webhook(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /result=sent/);
    assert.match(r.stderr, /warning: .* answered 200 with more than 4194304 bytes/);
    assert.equal((await status(site))[0].status, 'sent');
    const again = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.match(again.stderr, /already sent/, 'not sent again');
  } finally { server.close(); site.cleanup(); }
});

test('https:// to a plain-HTTP port is a configuration error', async () => {
  const { server, st } = faulty('500');
  const port = await listen(server);
  const site = makeSite(channels.webhook(port).replace('http://127.0.0.1', 'https://127.0.0.1') + '    retries: 2\n');
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 78, r.stderr);
    assert.equal(st.hits, 0);
    assert.match(JSON.parse(r.stdout)[0].error, /SSL|TLS|wrong version/i);
    assert.doesNotMatch(JSON.parse(r.stdout)[0].error, /temporary/);
    assert.equal((await status(site))[0].attempts, 1, 'not retried');
  } finally { server.close(); site.cleanup(); }
});
