// Signed webhooks against the reference implementations: npm
// standardwebhooks (v1), node:crypto ed25519 (v1a), and
// @octokit/webhooks-methods (GitHub's X-Hub-Signature-256).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { sign as ghSign, verify as ghVerify } from '@octokit/webhooks-methods';
import { makeSite, run, listen, readBody } from './lib.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function edKeys() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const b64 = (s) => Buffer.from(s, 'base64url').toString('base64');
  return { publicKey, whsk: 'whsk_' + b64(jwk.d), whpk: 'whpk_' + b64(jwk.x) };
}

function verifyV1a(publicKey, headers, body) {
  const content = Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`);
  return headers['webhook-signature'].split(' ').some((s) => {
    const [v, sig] = s.split(',');
    return v === 'v1a' && crypto.verify(null, content, publicKey, Buffer.from(sig, 'base64'));
  });
}

test('the checkers reject what they should (negative controls)', async () => {
  const wh = new Webhook(SECRET);
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = new Date(1614265330 * 1000);
  const sig = wh.sign(id, ts, '{"test": 2432232314}');
  assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', 'the library reproduces the vector');
  const now = Math.floor(Date.now() / 1000);
  const good = wh.sign(id, new Date(now * 1000), '{"a":1}');
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': good };
  assert.doesNotThrow(() => wh.verify('{"a":1}', headers));
  assert.throws(() => wh.verify('{"a":2}', headers), 'tampered body rejected');
  assert.throws(() => new Webhook('whsec_' + Buffer.from('other').toString('base64')).verify('{"a":1}', headers));
  const { publicKey } = edKeys();
  assert.equal(verifyV1a(publicKey, { ...headers, 'webhook-signature': 'v1a,' + Buffer.alloc(64).toString('base64') }, 'payload'), false);
  assert.equal(await ghVerify('secret', 'body', await ghSign('other', 'body')), false);
});

test('crier webhook sign/verify agree with standardwebhooks both ways', async () => {
  const site = makeSite('');
  try {
    const file = join(site.dir, 'body.json');
    writeFileSync(file, '{"test": 2432232314}');
    const env = { WH: SECRET };
    const r = await run(['webhook', 'sign', '--secret-env', 'WH', '--id', 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      '--timestamp', '1614265330', file], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    // what the library signs, crier verifies
    const now = Math.floor(Date.now() / 1000);
    const sig = new Webhook(SECRET).sign('msg_x', new Date(now * 1000), '{"test": 2432232314}');
    const ok = await run(['webhook', 'verify', '--secret-env', 'WH', '--id', 'msg_x', '--timestamp', String(now),
      '--signature', sig, file], env);
    assert.equal(ok.code, 0, ok.stderr);
    writeFileSync(file, '{"test": 2432232315}');
    const bad = await run(['webhook', 'verify', '--secret-env', 'WH', '--id', 'msg_x', '--timestamp', String(now),
      '--signature', sig, file], env);
    assert.equal(bad.code, 1, 'tampered bytes fail');
    const stale = await run(['webhook', 'verify', '--secret-env', 'WH', '--id', 'msg_x', '--timestamp', String(now - 400),
      '--signature', sig, file], env);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /seconds behind now/);
    // ed25519: node signs, crier verifies with whpk_
    const k = edKeys();
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const whpk = 'whpk_' + Buffer.from(jwk.x, 'base64url').toString('base64');
    writeFileSync(file, 'hello');
    const edsig = 'v1a,' + crypto.sign(null, Buffer.from(`msg_e.${now}.hello`), privateKey).toString('base64');
    const edok = await run(['webhook', 'verify', '--secret-env', 'PK', '--id', 'msg_e', '--timestamp', String(now),
      '--signature', edsig, file], { PK: whpk });
    assert.equal(edok.code, 0, edok.stderr);
    const edbad = await run(['webhook', 'verify', '--secret-env', 'PK', '--id', 'msg_e', '--timestamp', String(now),
      '--signature', edsig, file], { PK: k.whpk });
    assert.equal(edbad.code, 1, 'another key fails');
    // GitHub signatures by @octokit/webhooks-methods
    const ghs = await ghSign("It's a Secret to Everybody", 'Hello, World!');
    writeFileSync(file, 'Hello, World!');
    const gh = await run(['webhook', 'verify', '--github', '--secret-env', 'GS', '--signature', ghs, file],
      { GS: "It's a Secret to Everybody" });
    assert.equal(gh.code, 0, gh.stderr);
    writeFileSync(file, 'Hello, World?');
    const ghbad = await run(['webhook', 'verify', '--github', '--secret-env', 'GS', '--signature', ghs, file],
      { GS: "It's a Secret to Everybody" });
    assert.equal(ghbad.code, 1);
    // keygen output works with the library
    const kg = await run(['webhook', 'keygen']);
    assert.match(kg.stdout, /^whsec_[A-Za-z0-9+/=]{44}\n$/);
    assert.doesNotThrow(() => new Webhook(kg.stdout.trim()));
  } finally {
    site.cleanup();
  }
});

test('announce: the receiver verifies v1 and v1a over the bytes sent, once', async () => {
  const k = edKeys();
  const wh = new Webhook(SECRET);
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    let v1 = true;
    try { wh.verify(body, req.headers); } catch { v1 = false; }
    seen.push({ headers: req.headers, body, v1, v1a: verifyV1a(k.publicKey, req.headers, body) });
    res.writeHead(204).end();
  });
  const port = await listen(server);
  const site = makeSite(`  - name: hook\n    type: webhook\n    url: http://127.0.0.1:${port}/in\n` +
    '    secret: {env: WH_SECRET}\n    signing_key: {env: WH_KEY}\n    lang: [de, en]\n');
  const env = { WH_SECRET: SECRET, WH_KEY: k.whsk };
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(seen.length, 1);
    const s = seen[0];
    assert.ok(s.v1, 'standardwebhooks verifies v1');
    assert.ok(s.v1a, 'node:crypto verifies v1a');
    assert.match(s.headers['webhook-id'], /^[0-9a-f]{64}$/);
    assert.ok(Math.abs(Number(s.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
    const doc = JSON.parse(s.body);
    assert.equal(doc.type, 'crier.notice');
    assert.equal(doc.notice, 'announce');
    assert.equal(doc.lang, 'de+en');
    assert.equal(doc.event.id, '2030-12-04-gluehwein');
    assert.equal(doc.event.title, 'Glühwein & Traits: Rust im Dezember');
    assert.equal(doc.event.start, '2030-12-04T19:30:00+01:00');
    assert.equal(doc.event.location.city, 'Köln');
    assert.equal(doc.event.talks[0].speaker, 'Anna Ärger');
    assert.match(doc.message.subject, /Glühwein/);
    assert.ok(!doc.message.html.includes('<script'), 'no raw HTML from the event file');
    const results = JSON.parse(r.stdout);
    assert.equal(results[0].result, 'sent');
    // again: the journal says sent, nothing goes out
    const again = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /result=skipped/);
    assert.equal(seen.length, 1);
    // --force sends again under a new key
    const forced = await run(['-c', site.config, 'announce', 'gluehwein', '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(seen.length, 2);
    assert.notEqual(seen[1].headers['webhook-id'], seen[0].headers['webhook-id']);
    // status lists what went where
    const st = await run(['-c', site.config, 'status', '--json']);
    const rows = JSON.parse(st.stdout);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((x) => x.status === 'sent'));
  } finally {
    server.close();
    site.cleanup();
  }
});

test('webhook failures: 410 disables, 3xx is not followed, 5xx is retried', async () => {
  let mode = 410, hits = 0;
  const server = http.createServer(async (req, res) => {
    await readBody(req);
    hits++;
    if (mode === 302) res.writeHead(302, { location: 'http://127.0.0.1:1/x' }).end();
    else if (mode === 'flaky') res.writeHead(hits < 3 ? 503 : 200).end();
    else res.writeHead(mode).end();
  });
  const port = await listen(server);
  const site = makeSite(`  - name: hook\n    type: webhook\n    url: http://127.0.0.1:${port}/in\n` +
    '    secret: {env: WH_SECRET}\n    retries: 3\n');
  const env = { WH_SECRET: SECRET };
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /410 Gone/);
    assert.equal(hits, 1, '410 is not retried');
    mode = 302; hits = 0;
    r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /redirect, not followed/);
    assert.equal(hits, 1);
    mode = 'flaky'; hits = 0;
    r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(hits, 3);
  } finally {
    server.close();
    site.cleanup();
  }
});
