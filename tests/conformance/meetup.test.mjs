// Meetup.com: every GraphQL document crier sends is parsed and validated
// against the real schema (npm graphql) and executed against it; tokens
// come from a JWT (RS256, checked with node:crypto) or a rotating refresh
// token; announceEvent is never sent twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { join } from 'node:path';
import { readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { buildSchema, parse, validate, graphql } from 'graphql';
import { makeSite, run, listen, readBody, shared } from './lib.mjs';

const schemaFile = join(shared, 'specs/meetup/schema.graphql');
const skip = existsSync(schemaFile) ? false : `${schemaFile} is absent`;
let schema;
const getSchema = () => (schema ??= buildSchema(readFileSync(schemaFile, 'utf8')));

function meetup(opts = {}) {
  const st = { calls: [], invalid: [], tokens: 0, refresh: 'rt-0', access: 'at-0', events: new Map() };
  const { publicKey } = opts;
  const root = {
    createEvent: ({ input }) => {
      st.calls.push(['createEvent', input]);
      const id = String(400000 + st.events.size);
      st.events.set(id, { ...input, status: 'DRAFT' });
      return { event: { id, eventUrl: `https://www.meetup.com/${input.groupUrlname}/events/${id}/` }, errors: null };
    },
    publishEventDraft: ({ input }) => { st.calls.push(['publishEventDraft', input]); return { event: { id: input.eventId, eventUrl: `https://www.meetup.com/g/events/${input.eventId}/` }, errors: null }; },
    announceEvent: ({ input }) => {
      st.calls.push(['announceEvent', input]);
      if (opts.announceError) return { event: null, errors: [{ code: 'ANNOUNCE_LIMIT', field: null, message: 'too many announcements' }] };
      return { event: { id: input.eventId, eventUrl: `https://www.meetup.com/g/events/${input.eventId}/` }, errors: null };
    },
    editEvent: ({ input }) => { st.calls.push(['editEvent', input]); return { event: { id: input.eventId, eventUrl: `https://www.meetup.com/g/events/${input.eventId}/` }, errors: null }; },
    deleteEvent: ({ input }) => { st.calls.push(['deleteEvent', input]); return { success: true, errors: null }; },
  };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (req.url === '/oauth2/access') {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        const [h, c, s] = form.get('assertion').split('.');
        const header = JSON.parse(Buffer.from(h, 'base64url'));
        const claims = JSON.parse(Buffer.from(c, 'base64url'));
        const ok = crypto.verify('sha256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'));
        if (!ok || header.alg !== 'RS256' || header.typ !== 'JWT' || header.kid !== 'kid-1' ||
            claims.sub !== '424242' || claims.iss !== 'client-key' || claims.aud !== 'api.meetup.com' ||
            claims.exp - claims.iat !== 120 || Math.abs(claims.iat - Date.now() / 1000) > 60) {
          st.invalid.push('jwt: ' + JSON.stringify({ ok, header, claims }));
          return send(400, { error: 'invalid_grant' });
        }
      } else if (form.get('grant_type') === 'refresh_token') {
        if (form.get('refresh_token') !== st.refresh) return send(400, { error: 'invalid_grant', error_description: 'refresh token reused' });
        st.refresh = `rt-${++st.tokens}`;
      } else return send(400, { error: 'unsupported_grant_type' });
      st.access = `at-${++st.tokens}`;
      return send(200, { access_token: st.access, token_type: 'bearer', expires_in: 3600, refresh_token: st.refresh });
    }
    if (req.url !== '/gql-ext') return send(404, {});
    if (req.headers.authorization !== `Bearer ${st.access}`) return send(200, { errors: [{ message: 'Unauthorized' }] });
    const { query, variables, operationName } = JSON.parse(body);
    let doc;
    try { doc = parse(query); } catch (e) { st.invalid.push('parse: ' + e.message); return send(400, { errors: [{ message: e.message }] }); }
    const errs = validate(getSchema(), doc);
    if (errs.length) { st.invalid.push('validate: ' + errs.map((e) => e.message).join('; ')); return send(200, { errors: errs.map((e) => ({ message: e.message })) }); }
    if (opts.hangOnAnnounce && operationName === 'crierAnnounceEvent') { st.calls.push(['announceEvent (hung)']); return; }
    const result = await graphql({ schema: getSchema(), source: query, variableValues: variables, operationName, rootValue: root });
    if (result.errors) st.invalid.push('execute: ' + result.errors.map((e) => e.message).join('; '));
    return send(200, result);
  });
  return { server, st };
}

const channel = (port, auth, extra = '') =>
  `  - name: mu\n    type: meetup\n    group: testtreff\n    api_url: http://127.0.0.1:${port}/gql-ext\n` +
  `    token_url: http://127.0.0.1:${port}/oauth2/access\n    auth:\n${auth}    lang: en\n    retries: 1\n${extra}`;

test('the schema rejects bad documents (negative controls)', { skip }, async () => {
  const s = getSchema();
  assert.equal(validate(s, parse('mutation { createEvent(input: {groupUrlname: "g", title: "t", description: "d", startDateTime: "2030-01-01T19:00:00"}) { event { id } } }')).length, 0);
  assert.ok(validate(s, parse('mutation { createEvent(input: {groupUrlname: "g", description: "d", startDateTime: "x"}) { event { id } } }')).length > 0, 'title is required');
  assert.ok(validate(s, parse('mutation { createEvent(input: {groupUrlname: "g", title: "t", description: "d", startDateTime: "x"}) { event { nosuchfield } } }')).length > 0, 'unknown field');
  assert.ok(validate(s, parse('mutation { postComment(text: "x") }')).length > 0, 'there is no comment mutation');
  const r = await graphql({ schema: s, source: 'mutation m($input: CreateEventInput!) { createEvent(input: $input) { event { id } } }', variableValues: { input: { title: 't' } } });
  assert.ok(r.errors?.length, 'variables missing required fields are refused');
});

test('JWT flow: draft, publish, announce — each once; linked events are edited', { skip }, async () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { server, st } = meetup({ publicKey });
  const port = await listen(server);
  const site = makeSite(channel(port, '      jwt:\n        client_key: client-key\n        member_id: "424242"\n        key_id: kid-1\n        private_key: {file: key.pem}\n'));
  const keyFile = join(site.dir, 'key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  try {
    chmodSync(keyFile, 0o644);
    let r = await run(['-c', site.config, 'announce', 'gluehwein']);
    assert.equal(r.code, 78, 'a key file others can read is refused');
    assert.match(r.stderr, /can be read by others/);
    chmodSync(keyFile, 0o600);
    r = await run(['-c', site.config, 'announce', 'gluehwein', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    assert.deepEqual(st.calls.map((c) => c[0]), ['createEvent', 'publishEventDraft', 'announceEvent']);
    const input = st.calls[0][1];
    assert.equal(input.publishStatus, 'DRAFT');
    assert.equal(input.groupUrlname, 'testtreff');
    assert.equal(input.startDateTime, '2030-12-04T19:30:00');
    assert.equal(input.duration, 'PT2H', 'the default duration, ISO 8601 for createEvent');
    assert.ok(input.title.length <= 80);
    assert.match(input.description, /<p>/);
    assert.equal(st.calls[2][1].eventId, st.calls[0][1] && '400000');
    assert.equal(JSON.parse(r.stdout)[0].url, 'https://www.meetup.com/testtreff/events/400000/');
    r = await run(['-c', site.config, 'announce', 'gluehwein']);
    assert.equal(r.code, 0);
    assert.equal(st.calls.filter((c) => c[0] === 'announceEvent').length, 1, 'never twice');
    // an end in the file: the duration Meetup gets, in milliseconds for editEvent
    const linked = join(site.dir, '_posts/2030-12-18-linked.md');
    writeFileSync(linked, readFileSync(linked, 'utf8').replace('talks: false\n', 'talks: false\nend: "21:30"\n'));
    r = await run(['-c', site.config, 'announce', 'linked']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.calls.at(-1)[0], 'editEvent');
    assert.equal(st.calls.at(-1)[1].duration, String(150 * 60 * 1000));
    assert.equal(st.calls.at(-1)[1].eventId, '305000111');
    assert.ok(!r.stderr.includes('BEGIN PRIVATE KEY'));
  } finally { server.close(); site.cleanup(); }
});

test('refresh flow: the rotated token is stored and used next time', { skip }, async () => {
  const { server, st } = meetup();
  const port = await listen(server);
  const site = makeSite(channel(port, '      refresh:\n        client_id: cid\n        client_secret: {env: MU_SECRET}\n        refresh_token: {env: MU_REFRESH}\n'));
  const env = { MU_SECRET: 'cs', MU_REFRESH: 'rt-0' };
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.refresh, 'rt-1');
    // the config's token is used up; the journal has the new one
    r = await run(['-c', site.config, 'announce', 'linked'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.refresh, 'rt-3');
    assert.deepEqual(st.invalid, []);
  } finally { server.close(); site.cleanup(); }
});

test('GraphQL errors are reported; an announceEvent cut off is uncertain and not repeated', { skip }, async () => {
  let mu = meetup({ announceError: true });
  let port = await listen(mu.server);
  let site = makeSite(channel(port, '      access_token: {env: MU_TOKEN}\n'));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], { MU_TOKEN: 'at-0' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /announceEvent: ANNOUNCE_LIMIT: too many announcements/);
    r = await run(['-c', site.config, 'announce', 'gluehwein'], { MU_TOKEN: 'wrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unauthorized/);
  } finally { mu.server.close(); site.cleanup(); }
  mu = meetup({ hangOnAnnounce: true });
  port = await listen(mu.server);
  site = makeSite(channel(port, '      access_token: {env: MU_TOKEN}\n', '    timeout: 1\n'));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], { MU_TOKEN: 'at-0' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /result=uncertain/);
    r = await run(['-c', site.config, 'announce', 'gluehwein'], { MU_TOKEN: 'at-0' });
    assert.match(r.stderr, /result=uncertain/);
    assert.equal(mu.st.calls.filter((c) => c[0].startsWith('announceEvent')).length, 1, 'not sent again');
    const st = JSON.parse((await run(['-c', site.config, 'status', '--json'])).stdout);
    assert.equal(st[0].status, 'uncertain');
  } finally { mu.server.close(); site.cleanup(); }
});
