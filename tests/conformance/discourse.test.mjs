// Discourse: every request crier sends is validated against Discourse's
// published OpenAPI description (../shared/specs/discourse/openapi.json,
// discourse_api_docs at a pinned commit) with ajv, headers Api-Key and
// Api-Username are checked, and the loopback forum keeps topics by
// external_id with Discourse's lookup semantics: GET
// /t/external_id/{id}.json redirects (301) to the topic, or 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { existsSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { makeSite, run, listen, readBody, shared } from './lib.mjs';
import { Validator } from './openapi.mjs';

const spec = join(shared, 'specs/discourse/openapi.json');
const skip = existsSync(spec) ? false : `${spec} is absent`;
const KEY = 'discourse-api-key-0123456789abcdef';
let validator;
const v = () => (validator ??= new Validator([{ file: spec }]));

function forum(opts = {}) {
  const st = { requests: [], invalid: [], topics: [], posts: [], edits: 0 };
  for (const t of opts.topics ?? []) st.topics.push(t);
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    st.requests.push({ method: req.method, path: url.pathname, body: body ? JSON.parse(body) : null, headers: req.headers });
    const send = (code, obj, headers = {}) => { res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', ...headers }); res.end(JSON.stringify(obj)); };
    const r = v().validate({ method: req.method, path: url.pathname, query: url.searchParams, body });
    if (!r.ok) { st.invalid.push(`${req.method} ${url.pathname}: ${r.errors.join('; ')}`); return send(400, { errors: r.errors }); }
    if (req.headers['api-key'] !== KEY || req.headers['api-username'] !== 'crier') return send(403, { errors: ['You are not permitted to view the requested resource.'], error_type: 'invalid_access' });
    if (opts.limitOnce && !st.limited) { st.limited = true; return send(429, { errors: ['Slow down'], error_type: 'rate_limit' }, { 'retry-after': '1' }); }
    const op = r.op.op.operationId;
    if (op === 'getTopicByExternalId') {
      const t = st.topics.find((x) => x.external_id === r.values.external_id);
      if (!t) return send(404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
      res.writeHead(301, { location: `/t/${t.slug}/${t.id}.json` });
      return res.end();
    }
    if (op === 'getTopic') {
      const t = st.topics.find((x) => x.id === Number(r.values.id));
      if (!t) return send(404, { errors: ['not found'] });
      return send(200, { id: t.id, slug: t.slug, title: t.title, post_stream: { posts: st.posts.filter((p) => p.topic_id === t.id) } });
    }
    if (op === 'createTopicPostPM') {
      const d = JSON.parse(body);
      if (d.topic_id) {
        const t = st.topics.find((x) => x.id === d.topic_id);
        if (!t) return send(404, { errors: ['not found'] });
        const p = { id: 500 + st.posts.length, topic_id: t.id, topic_slug: t.slug, raw: d.raw, post_number: st.posts.filter((x) => x.topic_id === t.id).length + 1 };
        st.posts.push(p);
        return send(200, p);
      }
      if (!d.title || d.title.length < 15) return send(422, { errors: ['Title is too short'] });
      if (d.external_id && st.topics.some((x) => x.external_id === d.external_id)) return send(422, { errors: ['External ID has already been taken'] });
      const t = { id: 40 + st.topics.length, slug: d.title.toLowerCase().replace(/[^a-z0-9]+/g, '-'), title: d.title, external_id: d.external_id, category: d.category };
      st.topics.push(t);
      const p = { id: 500 + st.posts.length, topic_id: t.id, topic_slug: t.slug, raw: d.raw, post_number: 1 };
      st.posts.push(p);
      return send(200, p);
    }
    if (op === 'updatePost') {
      const p = st.posts.find((x) => x.id === Number(r.values.id));
      if (!p) return send(404, { errors: ['not found'] });
      p.raw = JSON.parse(body).post.raw;
      st.edits++;
      return send(200, { post: { id: p.id, raw: p.raw, topic_id: p.topic_id } });
    }
    return send(404, { errors: ['no route'] });
  });
  return { server, st };
}

const channel = (port) =>
  `  - name: forum\n    type: discourse\n    forum: http://127.0.0.1:${port}\n    api_key: {env: DK}\n    username: crier\n` +
  '    category: 7\n    lang: en\n    retries: 2\n';
const env = { DK: KEY };

test('the validator refuses what the description does not allow (negative controls)', { skip }, () => {
  const ok = v().validate({ method: 'POST', path: '/posts.json', body: '{"title":"A title long enough","raw":"x","category":7,"external_id":"e"}' });
  assert.equal(ok.ok, true, ok.errors.join('; '));
  assert.equal(v().validate({ method: 'POST', path: '/posts.json', body: '{"title":"A title long enough"}' }).ok, false, 'raw is required');
  assert.equal(v().validate({ method: 'POST', path: '/posts.json', body: '{"raw":"x","category":"seven"}' }).ok, false, 'category is an integer');
  assert.equal(v().validate({ method: 'POST', path: '/posts.json', body: '{"raw":"x","colour":"red"}' }).ok, false, 'no other keys');
  assert.equal(v().validate({ method: 'PUT', path: '/posts/5.json', body: '{"raw":"x"}' }).ok, false, 'an edit is {post: {raw}}');
  assert.equal(v().validate({ method: 'PUT', path: '/posts/5.json', body: '{"post":{"raw":"x","edit_reason":"y"}}' }).ok, true);
  assert.equal(v().validate({ method: 'POST', path: '/t/external_id/x.json', body: '' }).ok, false, 'the lookup is a GET');
});

test('announce: a topic with external_id, looked up first; a lost journal finds it', { skip }, async () => {
  const { server, st } = forum();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path.replace(/crier-[0-9a-f]+/, 'ID')}`), ['GET /t/external_id/ID.json', 'POST /posts.json']);
    const post = st.requests[1].body;
    assert.match(post.external_id, /^crier-[0-9a-f]{40}$/);
    assert.ok(post.external_id.length <= 50);
    assert.equal(post.category, 7);
    assert.match(post.title, /^Glühwein & Traits: Rust im Dezember/);
    assert.match(post.raw, /our next meetup: \*\*Glühwein \\?& Traits: Rust im Dezember\*\*/, 'Markdown');
    assert.equal(JSON.parse(r.stdout)[0].url, `http://127.0.0.1:${port}/t/${st.topics[0].slug}/${st.topics[0].id}`);
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.topics.length, 1, 'found by its external_id, not made again');
    assert.equal(st.requests.at(-1).method, 'GET');
    assert.match(JSON.parse(again.stdout)[0].url, new RegExp(`/t/[a-z0-9-]+/${st.topics[0].id}$`));
  } finally { server.close(); site.cleanup(); }
});

test('later notices reply in the topic; an update edits the first post', { skip }, async () => {
  const { server, st } = forum({ limitOnce: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    let r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(st.limited, '429 with Retry-After was waited out');
    const topic = st.topics.find((t) => t.title.startsWith('Glühwein'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const reply = st.posts.find((p) => p.topic_id === topic.id && p.post_number === 2);
    assert.match(reply.raw, /^### Reminder: /);
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-04T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.edits, 1);
    const first = st.posts.find((p) => p.topic_id === topic.id && p.post_number === 1);
    assert.match(first.raw, /20:00/, 'the announcement shows the new time');
    assert.deepEqual(st.invalid, []);
  } finally { server.close(); site.cleanup(); }
});

test('an event that links a thread on the forum is announced in that thread', { skip }, async () => {
  const { server, st } = forum({ topics: [{ id: 161, slug: 'koeln-treffen', title: 'Kölner Treffen im Dezember', external_id: null }] });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('links:\n', `links:\n  "Forum": "http://127.0.0.1:${port}/t/koeln-treffen/161/4#post_4"\n`));
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.topics.length, 1, 'no new topic');
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path}`), ['POST /posts.json']);
    assert.equal(st.requests[0].body.topic_id, 161);
    assert.match(st.posts[0].raw, /^## Glühwein/);
    assert.deepEqual(st.invalid, []);
  } finally { server.close(); site.cleanup(); }
});

test('a refused key is a clear failure, never printed', { skip }, async () => {
  const { server } = forum();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '-v'], { DK: 'wrong-key-value-123' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 403/);
    assert.ok(!r.stderr.includes('wrong-key-value-123'));
  } finally { server.close(); site.cleanup(); }
});
