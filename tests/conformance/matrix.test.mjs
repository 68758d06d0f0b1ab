// Matrix: every request crier sends is checked against the Matrix spec's
// OpenAPI files, and the message content against the m.notice event schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { makeSite, run, listen, readBody, shared } from './lib.mjs';
import { Validator } from './openapi.mjs';

const api = join(shared, 'specs/matrix/data/api/client-server');
const have = existsSync(api);
const skip = have ? false : `${api} is absent`;

function setup() {
  const validator = new Validator(['directory.yaml', 'rooms.yaml', 'room_state.yaml', 'room_send.yaml', 'joining.yaml']
    .map((f) => ({ file: join(api, f), basePath: '/_matrix/client/v3' })));
  const notice = YAML.parse(readFileSync(join(shared, 'specs/matrix/data/event-schemas/schema/m.room.message$m.notice.yaml'), 'utf8'));
  const ajv = new Ajv2020({ strict: false });
  const content = ajv.compile(notice.properties.content);
  return { validator, content };
}

// A homeserver: validates, records, answers as the spec says.
function homeserver(v, opts = {}) {
  const st = { requests: [], invalid: [], events: new Map(), joined: !opts.notJoined, encrypted: !!opts.encrypted };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const r = v.validator.validate({ method: req.method, path: url.pathname, query: url.searchParams, body });
    st.requests.push({ method: req.method, path: url.pathname, body, headers: req.headers });
    const send = (code, obj, headers = {}) => { res.writeHead(code, { 'content-type': 'application/json', ...headers }); res.end(JSON.stringify(obj)); };
    if (!r.ok) { st.invalid.push(`${req.method} ${url.pathname}: ${r.errors.join('; ')}`); return send(400, { errcode: 'M_BAD_JSON', error: r.errors.join('; ') }); }
    if (req.headers.authorization !== 'Bearer syt_test_token') return send(401, { errcode: 'M_UNKNOWN_TOKEN', error: 'bad token' });
    if (opts.limitOnce && !st.limited && r.op.tpl.includes('/send/')) {
      st.limited = true;
      return send(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 50 });
    }
    const tpl = r.op.tpl;
    if (tpl === '/directory/room/{roomAlias}') {
      if (r.values.roomAlias !== '#treff:example.net') return send(404, { errcode: 'M_NOT_FOUND', error: 'no alias' });
      return send(200, { room_id: '!room:example.net', servers: ['example.net'] });
    }
    if (tpl.startsWith('/rooms/{roomId}/state/')) {
      if (!st.joined) return send(403, { errcode: 'M_FORBIDDEN', error: 'not in room' });
      if (st.encrypted) return send(200, { algorithm: 'm.megolm.v1.aes-sha2' });
      return send(404, { errcode: 'M_NOT_FOUND', error: 'no state' });
    }
    if (tpl === '/join/{roomIdOrAlias}') { st.joined = true; return send(200, { room_id: '!room:example.net' }); }
    if (tpl === '/rooms/{roomId}/send/{eventType}/{txnId}') {
      if (!st.joined) return send(403, { errcode: 'M_FORBIDDEN', error: 'not in room' });
      const msg = JSON.parse(body);
      if (!v.content(msg)) st.invalid.push('content: ' + JSON.stringify(v.content.errors));
      const txn = `${req.headers.authorization} ${r.values.txnId}`;
      if (!st.events.has(txn)) st.events.set(txn, { id: `$ev${st.events.size + 1}`, content: msg, room: r.values.roomId });
      return send(200, { event_id: st.events.get(txn).id });
    }
    return send(404, { errcode: 'M_UNRECOGNIZED', error: 'unrecognized' });
  });
  return { server, st };
}

const channel = (port, room = '#treff:example.net') =>
  `  - name: chat\n    type: matrix\n    homeserver: http://127.0.0.1:${port}\n    room: "${room}"\n` +
  '    access_token: {env: MX_TOKEN}\n    lang: [de, en]\n    retries: 2\n';
const env = { MX_TOKEN: 'syt_test_token' };

test('the validators reject bad requests (negative controls)', { skip }, () => {
  const v = setup();
  const base = '/_matrix/client/v3';
  assert.equal(v.validator.validate({ method: 'PUT', path: `${base}/rooms/!r:x/send/m.room.message/t1`, body: '{"msgtype":"m.notice","body":"x"}' }).ok, true);
  assert.equal(v.validator.validate({ method: 'PUT', path: `${base}/rooms/!r:x/send/m.room.message/t1`, body: 'not json' }).ok, false);
  assert.equal(v.validator.validate({ method: 'POST', path: `${base}/rooms/!r:x/send/m.room.message/t1`, body: '{}' }).ok, false, 'wrong method');
  assert.equal(v.validator.validate({ method: 'GET', path: `${base}/rooms/!r:x/sendx`, body: '' }).ok, false, 'unknown path');
  assert.equal(v.content({ msgtype: 'm.notice', body: 'x' }), true);
  assert.equal(v.content({ msgtype: 'm.text', body: 'x' }), false, 'msgtype m.text is no notice');
  assert.equal(v.content({ msgtype: 'm.notice' }), false, 'body is required');
  assert.equal(v.content({ msgtype: 'm.notice', body: 5 }), false);
});

test('announce: alias resolved, encryption checked, m.notice sent once per txnId', { skip }, async () => {
  const v = setup();
  const { server, st } = homeserver(v);
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path}`), [
      'GET /_matrix/client/v3/directory/room/%23treff%3Aexample.net',
      'GET /_matrix/client/v3/rooms/%21room%3Aexample.net/state/m.room.encryption/',
      `PUT /_matrix/client/v3/rooms/%21room%3Aexample.net/send/m.room.message/${st.requests[2].path.split('/').pop()}`,
    ]);
    const [ev] = [...st.events.values()];
    assert.equal(ev.content.msgtype, 'm.notice');
    assert.equal(ev.content.format, 'org.matrix.custom.html');
    assert.match(ev.content.body, /Glühwein/);
    assert.match(ev.content.formatted_body, /<strong>/);
    assert.ok(!ev.content.formatted_body.includes('<script'));
    const out = JSON.parse(r.stdout)[0];
    assert.equal(out.url, 'https://matrix.to/#/!room:example.net/$ev1');
    // the same txnId again (a run without the journal): the server has it
    const again = await run(['-c', site.config, 'announce', 'gluehwein', '--force'], env);
    assert.equal(again.code, 0);
    assert.equal(st.events.size, 2, '--force uses a new txnId');
  } finally { server.close(); site.cleanup(); }
});

test('an encrypted room is refused; a room the bot is not in is joined', { skip }, async () => {
  const v = setup();
  const enc = homeserver(v, { encrypted: true });
  let port = await listen(enc.server);
  let site = makeSite(channel(port, '!room:example.net'));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is encrypted; crier does not encrypt/);
    assert.equal(enc.st.events.size, 0);
  } finally { enc.server.close(); site.cleanup(); }
  const out = homeserver(v, { notJoined: true, limitOnce: true });
  port = await listen(out.server);
  site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(out.st.invalid, []);
    assert.ok(out.st.requests.some((x) => x.path.includes('/join/')), 'joined');
    assert.ok(out.st.limited, 'was rate limited once (429 with retry_after_ms)');
    assert.equal(out.st.events.size, 1);
  } finally { out.server.close(); site.cleanup(); }
});

test('an unknown alias and a bad token are clear failures', { skip }, async () => {
  const v = setup();
  const { server } = homeserver(v);
  const port = await listen(server);
  const site = makeSite(channel(port, '#nope:example.net'));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the room alias is unknown: HTTP 404/);
    r = await run(['-c', site.config, 'announce', 'gluehwein'], { MX_TOKEN: 'syt_wrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401/);
    assert.ok(!r.stderr.includes('syt_wrong'), 'the token is not printed');
  } finally { server.close(); site.cleanup(); }
});
