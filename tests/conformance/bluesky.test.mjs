// Bluesky: every record crier writes is validated with @atproto/lexicon
// against the app.bsky.feed.post lexicon (as @atproto/api ships it), its
// facets are compared with what @atproto/api's RichText finds in the same
// text and checked byte by byte against it, and its requests with what
// @atproto/api's agent sends for the same post. The loopback PDS counts
// sessions (one per run), refreshes an expired one, and keeps records by
// their rkey, which must be a TID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { AtpAgent, RichText, lexicons } from '@atproto/api';
import { makeSite, run, listen, readBody } from './lib.mjs';

const HANDLE = 'treff.bsky.social';
const PASSWORD = 'abcd-efgh-ijkl-mnop';
const DID = 'did:plc:treff2030abcdefghijklmn';
// the syntax of a TID (atproto's record keys for posts)
const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;

// Each facet's byte range of text is the link or the tag it names.
function facetsMatch(text, facets) {
  const bytes = Buffer.from(text, 'utf8');
  for (const f of facets ?? []) {
    const got = bytes.subarray(f.index.byteStart, f.index.byteEnd).toString('utf8');
    const feat = f.features[0];
    const want = feat.$type === 'app.bsky.richtext.facet#link' ? feat.uri : `#${feat.tag}`;
    if (got !== want) return `${JSON.stringify(f.index)} is '${got}', not '${want}'`;
  }
  return null;
}

// A CIDv1 (dag-cbor, sha-256) of bytes, as base32 text: what a PDS answers.
function cidOf(bytes) {
  const raw = Buffer.concat([Buffer.from([0x01, 0x71, 0x12, 0x20]), createHash('sha256').update(bytes).digest()]);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0, out = 'b';
  for (const byte of raw) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function pds(opts = {}) {
  const st = { requests: [], sessions: 0, refreshes: 0, records: new Map(), invalid: [], expireOnce: !!opts.expireOnce };
  let n = 0;
  const server = http.createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const body = raw ? JSON.parse(raw) : null;
    st.requests.push({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body });
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' }); res.end(JSON.stringify(obj)); };
    const nsid = url.pathname.replace('/xrpc/', '');
    if (nsid === 'com.atproto.server.describeServer') return send(200, { did: 'did:web:pds.example', availableUserDomains: [] });
    if (nsid === 'com.atproto.server.createSession') {
      st.sessions++;
      if (body.identifier !== HANDLE || body.password !== PASSWORD) return send(401, { error: 'AuthenticationRequired', message: 'Invalid identifier or password' });
      n++;
      return send(200, { did: DID, handle: HANDLE, accessJwt: `access-${n}-token`, refreshJwt: `refresh-${n}-token`, active: true });
    }
    if (nsid === 'com.atproto.server.refreshSession') {
      st.refreshes++;
      if (!/^Bearer refresh-\d+-token$/.test(req.headers.authorization ?? '')) return send(400, { error: 'InvalidToken' });
      n++;
      return send(200, { did: DID, handle: HANDLE, accessJwt: `access-${n}-token`, refreshJwt: `refresh-${n}-token`, active: true });
    }
    if (!/^Bearer access-\d+-token$/.test(req.headers.authorization ?? '')) return send(401, { error: 'AuthenticationRequired' });
    if (st.expireOnce) { st.expireOnce = false; return send(400, { error: 'ExpiredToken', message: 'Token has expired' }); }
    if (nsid === 'com.atproto.repo.getRecord') {
      const r = st.records.get(url.searchParams.get('rkey'));
      return r ? send(200, { uri: r.uri, cid: r.cid, value: r.record }) : send(400, { error: 'RecordNotFound', message: 'Could not locate record' });
    }
    if (nsid === 'com.atproto.repo.createRecord') {
      try { lexicons.assertValidXrpcInput('com.atproto.repo.createRecord', body); } catch (e) { st.invalid.push(`input: ${e.message}`); return send(400, { error: 'InvalidRequest', message: e.message }); }
      try { lexicons.assertValidRecord('app.bsky.feed.post', body.record); } catch (e) { st.invalid.push(`record: ${e.message}`); return send(400, { error: 'InvalidRequest', message: e.message }); }
      if (!TID.test(body.rkey)) { st.invalid.push(`rkey ${body.rkey}`); return send(400, { error: 'InvalidRequest', message: 'rkey is no TID' }); }
      const bad = facetsMatch(body.record.text, body.record.facets);
      if (bad) st.invalid.push(`facet ${bad}`);
      if (st.records.has(body.rkey)) return send(400, { error: 'InvalidRequest', message: 'Record already exists' });
      const uri = `at://${body.repo}/${body.collection}/${body.rkey}`;
      const cid = cidOf(JSON.stringify(body.record));
      st.records.set(body.rkey, { uri, cid, record: body.record });
      return send(200, { uri, cid });
    }
    return send(501, { error: 'MethodNotImplemented' });
  });
  return { server, st };
}

const channel = (port, extra = '') =>
  `  - name: sky\n    type: bluesky\n    pds: http://127.0.0.1:${port}\n    handle: "@${HANDLE}"\n` +
  `    app_password: {env: BSKY_PW}\n    hashtags: [rust, köln]\n    lang: en\n    retries: 2\n${extra}`;
const env = { BSKY_PW: PASSWORD };
const posts = (st) => st.requests.filter((r) => r.path.endsWith('createRecord'));

test('the checkers refuse what Bluesky would (negative controls)', () => {
  const ok = { $type: 'app.bsky.feed.post', text: 'hi #rust', createdAt: new Date().toISOString() };
  lexicons.assertValidRecord('app.bsky.feed.post', ok);
  assert.throws(() => lexicons.assertValidRecord('app.bsky.feed.post', { ...ok, text: 'ü'.repeat(301) }), /300 graphemes/);
  assert.throws(() => lexicons.assertValidRecord('app.bsky.feed.post', { $type: 'app.bsky.feed.post', text: 'x' }), /createdAt/);
  assert.throws(() => lexicons.assertValidRecord('app.bsky.feed.post', { ...ok, facets: [{ index: { byteStart: 3 }, features: [] }] }));
  const f = [{ index: { byteStart: 3, byteEnd: 8 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'rust' }] }];
  assert.equal(facetsMatch('hi #rust', f), null);
  assert.match(facetsMatch('hü #rust', f), /not '#rust'/, 'a range counted in characters, not bytes, is caught');
  assert.ok(!TID.test('zzzzzzzzzzzzz') && !TID.test('3qoo7jcgut7q') && TID.test('3qoo7jcgut7qc'));
});

test('announce: one session, a valid record with facets as RichText finds them, the same request as @atproto/api', async () => {
  const { server, st } = pds();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    assert.equal(st.sessions, 1, 'one login for both events');
    assert.equal(st.records.size, 2);
    const mine = posts(st).find((x) => x.body.record.text.includes('Glühwein'));
    const rec = mine.body.record;
    assert.equal(mine.body.repo, DID);
    assert.match(mine.body.rkey, TID);
    assert.deepEqual(rec.langs, ['en']);
    assert.equal(rec.embed.$type, 'app.bsky.embed.external');
    assert.equal(rec.embed.external.uri, 'https://treff.example.net/2030/12/04/gluehwein.html');
    // the facets: what @atproto/api's RichText detects in the same text
    const rt = new RichText({ text: rec.text });
    rt.detectFacetsWithoutResolution();
    assert.deepEqual(rec.facets, rt.facets);
    assert.ok(rec.facets.some((f) => f.features[0].tag === 'köln'), 'a non-ASCII tag, offsets in bytes');
    assert.equal(facetsMatch(rec.text, rec.facets), null);
    const out = JSON.parse(r.stdout).find((o) => o.event === '2030-12-04-gluehwein' && o.notice === 'announce');
    assert.equal(out.url, `https://bsky.app/profile/${HANDLE}/post/${mine.body.rkey}`);
    // the same post through @atproto/api: the same requests
    const before = st.requests.length;
    const agent = new AtpAgent({ service: `http://127.0.0.1:${port}` });
    await agent.login({ identifier: HANDLE, password: PASSWORD });
    const login = st.requests[before];
    const myLogin = st.requests.find((x) => x.path.endsWith('createSession'));
    assert.equal(login.path, myLogin.path);
    assert.equal(login.body.identifier, myLogin.body.identifier);
    assert.equal(login.body.password, myLogin.body.password);
    st.records.delete(mine.body.rkey);
    await agent.com.atproto.repo.createRecord({ repo: DID, collection: 'app.bsky.feed.post', rkey: mine.body.rkey, record: rec });
    const theirs = st.requests.at(-1);
    const shape = (x) => ({ method: x.method, path: x.path, type: (x.headers['content-type'] ?? '').replace(/;.*/, ''), body: x.body });
    assert.deepEqual(shape(mine), shape(theirs));
  } finally { server.close(); site.cleanup(); }
});

test('a reminder replies to the announcement; a lost journal makes no second post', async () => {
  const { server, st } = pds();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    const [first] = [...st.records.values()];
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const reply = posts(st).find((x) => x.body.record.text.includes('is tomorrow')).body.record;
    assert.deepEqual(reply.reply, { root: { uri: first.uri, cid: first.cid }, parent: { uri: first.uri, cid: first.cid } });
    assert.match(reply.text, /is tomorrow/);
    assert.deepEqual(st.invalid, []);
    const count = st.records.size;
    rmSync(join(site.dir, 'journal.db'));
    r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.records.size, count, 'the rkey found the post: nothing new');
    assert.ok(!st.invalid.length);
  } finally { server.close(); site.cleanup(); }
});

test('an expired access token is refreshed once, without a second login', async () => {
  const { server, st } = pds({ expireOnce: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '-v'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.sessions, 1);
    assert.equal(st.refreshes, 1);
    assert.equal(st.records.size, 1);
    for (const s of ['access-1-token', 'refresh-1-token', PASSWORD]) assert.ok(!r.stderr.includes(s), `${s} is not printed`);
  } finally { server.close(); site.cleanup(); }
});

test('a wrong app password fails every delivery of the run after one login', async () => {
  const { server, st } = pds();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], { BSKY_PW: 'wrong-password-x' });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(st.sessions, 1, 'never a second login');
    assert.match(r.stderr, /logging in .*HTTP 401/);
  } finally { server.close(); site.cleanup(); }
});

test('a post over 300 graphemes is not sent; check warns', async () => {
  const { server, st } = pds();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Rust im Dezember', 'Rust im Dezember ' + 'ä'.repeat(200)));
    const c = await run(['-c', site.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.match(c.stderr, /warning: channel 'sky': the announce text has \d+ characters, more than Bluesky's 300/);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout)[0].error, /more than Bluesky's 300/);
    assert.equal(st.records.size, 0);
    assert.equal(st.sessions, 0, 'no login for nothing');
  } finally { server.close(); site.cleanup(); }
});
