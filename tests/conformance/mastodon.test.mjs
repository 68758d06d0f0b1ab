// Mastodon: what crier sends is compared, field by field, with what the
// masto client (npm masto) sends for the same status to the same loopback
// server, which keeps Idempotency-Key semantics (a key seen before, from
// the same account, returns the status it made, creates nothing), edits
// statuses (PUT), threads replies, answers 429 with an ISO 8601
// X-RateLimit-Reset, and serves the instance's limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRestAPIClient } from 'masto';
import { makeSite, run, listen, readBody } from './lib.mjs';

const TOKEN = 'mastodon-test-token-1';

// A Mastodon: records every request and keeps statuses.
function mastodon(opts = {}) {
  const st = { requests: [], statuses: [], keys: new Map(), edits: 0, limited: false };
  const server = http.createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const rec = { method: req.method, path: url.pathname, headers: req.headers, raw, body: null };
    try { rec.body = raw ? JSON.parse(raw) : null; } catch { rec.body = 'not json'; }
    st.requests.push(rec);
    const send = (code, obj, headers = {}) => { res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', ...headers }); res.end(JSON.stringify(obj)); };
    if (req.method === 'GET' && url.pathname === '/api/v2/instance')
      return send(200, { domain: 'social.example', version: '4.3.0', configuration: { statuses: { max_characters: opts.max ?? 500, characters_reserved_per_url: 23 } } });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: 'The access token is invalid' });
    if (opts.limitOnce && !st.limited && req.method === 'POST') {
      st.limited = true;
      const reset = new Date(Date.now() + 1500).toISOString().replace('Z', '000Z');
      return send(429, { error: 'Too many requests' }, { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    }
    const b = rec.body;
    if (req.method === 'POST' && url.pathname === '/api/v1/statuses') {
      if (!b || typeof b.status !== 'string' || !b.status) return send(422, { error: "Validation failed: Text can't be blank" });
      if (b.visibility && !['public', 'unlisted', 'private', 'direct'].includes(b.visibility)) return send(422, { error: 'Validation failed: Visibility' });
      const key = req.headers['idempotency-key'];
      const k = `${req.headers.authorization} ${key}`;
      if (key && st.keys.has(k)) return send(200, st.keys.get(k));
      if (b.in_reply_to_id && !st.statuses.some((s) => s.id === b.in_reply_to_id)) return send(404, { error: 'Record not found' });
      const id = String(109000000000000000n + BigInt(st.statuses.length + 1));
      const s = { id, url: `https://social.example/@treff/${id}`, content: b.status, visibility: b.visibility ?? 'public', language: b.language ?? null, in_reply_to_id: b.in_reply_to_id ?? null };
      st.statuses.push(s);
      if (key) st.keys.set(k, s);
      return send(200, s);
    }
    const m = url.pathname.match(/^\/api\/v1\/statuses\/(\d+)$/);
    if (req.method === 'PUT' && m) {
      if (opts.noEdit) return send(404, { error: 'Record not found' });
      const s = st.statuses.find((x) => x.id === m[1]);
      if (!s) return send(404, { error: 'Record not found' });
      if (!b || typeof b.status !== 'string') return send(422, { error: 'Validation failed' });
      s.content = b.status;
      st.edits++;
      return send(200, s);
    }
    return send(404, { error: 'Not found' });
  });
  return { server, st };
}

const channel = (port, extra = '') =>
  `  - name: toot\n    type: mastodon\n    instance: http://127.0.0.1:${port}\n    access_token: {env: MT}\n` +
  `    hashtags: [rust, "#cologne"]\n    lang: en\n    retries: 2\n${extra}`;
const env = { MT: TOKEN };

// What two requests must share to be the same request to Mastodon.
function comparable(r) {
  return {
    method: r.method,
    path: r.path,
    contentType: (r.headers['content-type'] || '').replace(/;.*/, ''),
    authorization: r.headers.authorization,
    idempotencyKey: r.headers['idempotency-key'],
    body: r.body,
  };
}

function client(port) {
  return createRestAPIClient({ url: `http://127.0.0.1:${port}`, accessToken: TOKEN });
}

test('the comparison and the server refuse what Mastodon would (negative controls)', async () => {
  const { server, st } = mastodon();
  const port = await listen(server);
  try {
    const masto = client(port);
    await masto.v1.statuses.create({ status: 'a', visibility: 'public', language: 'en' }, { requestInit: { headers: { 'Idempotency-Key': 'k1' } } });
    await masto.v1.statuses.create({ status: 'a', visibility: 'unlisted', language: 'en' }, { requestInit: { headers: { 'Idempotency-Key': 'k2' } } });
    await masto.v1.statuses.create({ status: 'a', visibility: 'public', language: 'en' });
    const [a, b, c] = st.requests.map(comparable);
    assert.notDeepEqual(a, b, 'another visibility is another request');
    assert.notDeepEqual(a, c, 'a request without the key is another request');
    await assert.rejects(masto.v1.statuses.create({ status: '' }), /blank/, 'an empty status is refused');
    await assert.rejects(masto.v1.statuses.create({ status: 'x', inReplyToId: '1' }), /not found/i, 'a reply to nothing is refused');
    // the same key again: the same status, nothing new
    const again = await masto.v1.statuses.create({ status: 'other', visibility: 'public' }, { requestInit: { headers: { 'Idempotency-Key': 'k1' } } });
    assert.equal(again.id, st.statuses[0].id);
    assert.equal(st.statuses.length, 3);
  } finally { server.close(); }
});

test('announce: the same request as masto sends, once per Idempotency-Key', async () => {
  const { server, st } = mastodon();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path}`), ['GET /api/v2/instance', 'POST /api/v1/statuses']);
    const mine = st.requests[1];
    assert.match(mine.body.status, /Glühwein & Traits: Rust im Dezember/);
    assert.match(mine.body.status, /https:\/\/treff\.example\.net\/2030\/12\/04\/gluehwein\.html/);
    assert.match(mine.body.status, /#rust #cologne$/);
    assert.ok(!mine.body.status.includes('**') && !mine.body.status.includes('\\&'), 'plain text, no Markdown');
    assert.equal(mine.headers['idempotency-key'].length, 64);
    const out = JSON.parse(r.stdout)[0];
    assert.equal(out.url, st.statuses[0].url);
    // masto, the same status
    await client(port).v1.statuses.create(
      { status: mine.body.status, visibility: 'public', language: 'en' },
      { requestInit: { headers: { 'Idempotency-Key': mine.headers['idempotency-key'] } } });
    const theirs = st.requests.at(-1);
    assert.deepEqual(comparable(mine), comparable(theirs));
    assert.equal(st.statuses.length, 1, 'the key made one status');
    // the journal lost: the same key, the same status
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.statuses.length, 1, 'no second status');
    assert.equal(JSON.parse(again.stdout)[0].url, st.statuses[0].url);
    const forced = await run(['-c', site.config, 'announce', 'gluehwein', '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(st.statuses.length, 2, '--force is a new key');
  } finally { server.close(); site.cleanup(); }
});

test('a reminder replies to the announcement; an update edits it as masto does', async () => {
  const { server, st } = mastodon();
  const port = await listen(server);
  const site = makeSite(channel(port, '    max_characters: 500\n'));
  try {
    let r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const first = st.statuses[0];
    assert.ok(!st.requests.some((x) => x.path === '/api/v2/instance'), 'a configured limit needs no instance read');
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const reply = st.requests.at(-1);
    assert.equal(reply.body.in_reply_to_id, first.id, 'the reminder is in the thread');
    assert.match(reply.body.status, /is tomorrow/);
    await client(port).v1.statuses.create(
      { status: reply.body.status, visibility: 'public', language: 'en', inReplyToId: first.id },
      { requestInit: { headers: { 'Idempotency-Key': reply.headers['idempotency-key'] } } });
    assert.deepEqual(comparable(reply), comparable(st.requests.at(-1)));
    // the event moves: the announcement is edited to show the new facts
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-04T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const put = st.requests.find((x) => x.method === 'PUT');
    assert.equal(put.path, `/api/v1/statuses/${first.id}`);
    assert.match(put.body.status, /20:00/);
    assert.equal(st.edits, 1);
    await client(port).v1.statuses.$select(first.id).update({ status: put.body.status, language: 'en' });
    assert.deepEqual(comparable(put), comparable(st.requests.at(-1)));
  } finally { server.close(); site.cleanup(); }
});

test('a server that cannot edit gets the update as a reply', async () => {
  const { server, st } = mastodon({ noEdit: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-01T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(st.requests.some((x) => x.method === 'PUT'), 'an edit was tried');
    const reply = st.requests.find((x) => x.method === 'POST' && x.body.in_reply_to_id);
    assert.equal(reply.body.in_reply_to_id, st.statuses[0].id);
    assert.match(reply.body.status, /^Changed: .*\nTime: 19:30 → 20:00/);
    assert.equal(st.statuses[0].content.includes('19:30'), true, 'the announcement stays as it was');
  } finally { server.close(); site.cleanup(); }
});

test('429 with an ISO 8601 X-RateLimit-Reset is waited out', async () => {
  const { server, st } = mastodon({ limitOnce: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const t0 = Date.now();
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(st.limited);
    assert.equal(st.statuses.length, 1);
    const posts = st.requests.filter((x) => x.method === 'POST');
    assert.equal(posts.length, 2, 'tried again once');
    assert.ok(Date.now() - t0 >= 900, 'after the reset, not at once');
  } finally { server.close(); site.cleanup(); }
});

test("a text over the instance's limit is not sent; check warns beforehand", async () => {
  const { server, st } = mastodon({ max: 60 });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /more than the instance's 60/);
    assert.equal(st.statuses.length, 0);
    const siteB = makeSite(channel(port, '    max_characters: 60\n'));
    const c = await run(['-c', siteB.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], env);
    siteB.cleanup();
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /warning: channel 'toot': the announce text has \d+ characters, more than Mastodon's 60/);
  } finally { server.close(); site.cleanup(); }
});

test('a bad token is a clear failure, and never printed', async () => {
  const { server } = mastodon();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '-v'], { MT: 'wrong-token-value' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401/);
    assert.ok(!r.stderr.includes('wrong-token-value'));
  } finally { server.close(); site.cleanup(); }
});
