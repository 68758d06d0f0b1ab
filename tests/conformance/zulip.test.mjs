// Zulip: what crier sends is compared, argument by argument, with what
// zulip-js sends for the same message to the same loopback Zulip (which
// takes a method's arguments from a form, multipart or urlencoded, or from
// the query, as Zulip does: zulip-js sends multipart for POST and the query
// for PATCH and GET). The loopback Zulip checks HTTP Basic with the bot's
// e-mail and API key, the stream, topics of at most 60 characters,
// content of at most 10,000, keeps messages (narrow by stream, topic and
// sender, raw content with apply_markdown=false), edits them (PATCH), and
// answers 429 as Zulip does (Retry-After, X-RateLimit-*, retry-after in
// the body). The escaping is read back through marked, on which Zulip's
// own web client's Markdown is built: the title's *, `, ~, [, $, < and &
// stay text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { marked } from 'marked';
import { parseDocument, DomUtils } from 'htmlparser2';
import { makeSite, run, listen, readBody } from './lib.mjs';

const zulipInit = createRequire(import.meta.url)('zulip-js');
const EMAIL = 'crier-bot@treff.zulipchat.com';
const KEY = 'CANARYzulipKey0123456789abcdef';
const STREAM = 'treffen';
const MARKER = /\u2063[\u200b\u200c\u200d\u2060]{32}$/;

// A method's arguments from the query and the body (urlencoded or
// multipart), as Zulip reads them.
async function args(r) {
  const out = { ...r.query };
  const ct = r.headers['content-type'] || '';
  if (r.raw.length && /^(multipart\/form-data|application\/x-www-form-urlencoded)/.test(ct)) {
    const fd = await new Response(r.raw, { headers: { 'content-type': ct } }).formData();
    for (const [k, v] of fd) out[k] = v;
  }
  return out;
}

function seen(text) {
  const doc = parseDocument(marked.parse(text));
  const tags = DomUtils.getElements({ tag_type: 'tag' }, doc.children, true).map((e) => e.name);
  return { text: DomUtils.textContent(doc), tags };
}

function zulip(opts = {}) {
  const st = { requests: [], messages: [], limited: 0, limitOnce: !!opts.limitOnce, edits: 0 };
  const server = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = new URL(req.url, 'http://x');
    const rec = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, raw };
    st.requests.push(rec);
    const rl = { 'x-ratelimit-limit': '200', 'x-ratelimit-remaining': '150', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) };
    const send = (code, obj, headers = {}) => { res.writeHead(code, { 'content-type': 'application/json', ...rl, ...headers }); res.end(JSON.stringify(obj)); };
    const error = (code, msg, c) => send(code, { result: 'error', msg, code: c });
    const auth = `Basic ${Buffer.from(`${EMAIL}:${KEY}`).toString('base64')}`;
    if (req.headers.authorization !== auth) return error(401, 'Invalid API key', 'INVALID_API_KEY');
    if (st.limitOnce && req.method === 'POST') {
      st.limitOnce = false;
      st.limited++;
      return send(429, { result: 'error', msg: 'API usage exceeded rate limit', 'retry-after': 1.2, code: 'RATE_LIMIT_HIT' },
        { 'retry-after': '1.2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Date.now() / 1000 + 1.2) });
    }
    const a = await args(rec);
    rec.args = a;
    if (req.method === 'POST' && url.pathname === '/api/v1/messages') {
      if (a.type !== 'stream' && a.type !== 'channel') return error(400, 'Invalid message type', 'BAD_REQUEST');
      if (a.to !== STREAM) return error(400, `Channel '${a.to}' does not exist`, 'STREAM_DOES_NOT_EXIST');
      if (!a.topic || [...a.topic].length > 60) return error(400, 'Topic too long or empty', 'BAD_REQUEST');
      if (!a.content || [...a.content].length > 10000) return error(400, 'Message too long or empty', 'BAD_REQUEST');
      const m = { id: 9000 + st.messages.length, content: a.content, topic: a.topic, subject: a.topic, stream: a.to, sender_email: EMAIL };
      if (opts.slow) await opts.slow();
      st.messages.push(m);
      return send(200, { result: 'success', msg: '', id: m.id });
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/messages') {
      let narrow;
      try { narrow = JSON.parse(a.narrow ?? '[]'); } catch { return error(400, 'Invalid narrow', 'BAD_REQUEST'); }
      const ok = (m) => narrow.every((n) => (n.operator === 'stream' || n.operator === 'channel') ? m.stream === n.operand
        : n.operator === 'topic' ? m.topic.toLowerCase() === n.operand.toLowerCase()
          : n.operator === 'sender' ? m.sender_email === n.operand : false);
      if (a.anchor !== 'newest') return error(400, 'this Zulip answers anchor=newest only', 'BAD_REQUEST');
      const before = Number(a.num_before ?? 0);
      const list = st.messages.filter(ok).slice(-before - 1);
      const content = (m) => (a.apply_markdown === 'false' ? m.content : `<p>${m.content}</p>`);
      return send(200, { result: 'success', msg: '', found_newest: true, messages: list.map((m) => ({ ...m, content: content(m) })) });
    }
    const m = url.pathname.match(/^\/api\/v1\/messages\/(\d+)$/);
    if (req.method === 'PATCH' && m) {
      const msg = st.messages.find((x) => x.id === Number(m[1]));
      if (!msg || opts.noEdit) return error(400, "Your organization has turned off message editing", 'BAD_REQUEST');
      if (a.content !== undefined) msg.content = a.content;
      st.edits++;
      return send(200, { result: 'success', msg: '' });
    }
    return error(404, 'Endpoint not found', 'BAD_REQUEST');
  });
  return { server, st };
}

const channel = (port) =>
  `  - name: zl\n    type: zulip\n    site: http://127.0.0.1:${port}\n    email: ${EMAIL}\n    api_key: {env: ZK}\n    stream: ${STREAM}\n    lang: en\n    retries: 2\n`;
const env = { ZK: KEY };
const client = (port) => zulipInit({ username: EMAIL, apiKey: KEY, realm: `http://127.0.0.1:${port}` });

async function comparable(r, drop = []) {
  const a = { ...(r.args ?? await args(r)) };
  for (const k of drop) delete a[k];
  return { method: r.method, path: r.path, authorization: r.headers.authorization, args: a };
}

const HOSTILE = 'Rust *hot* & <Traits> nick_only @**all** @_**Anna** @*orga* #**treffen** ~~x~~ `y` $$z$$ [l](https://evil.example)';

// What Zulip's server reads as a mention (a person, silently or not, the
// wildcards @**all**, @**everyone**, @**channel**, @**topic**, a group
// @*name*) or a channel link (#**name**), as its Markdown documentation
// writes them: marked knows none of them, so they are looked for here.
const mentions = (text) => text.match(/@_?\*\*[^*\n]+\*\*|@_?\*[^*\n]+\*|#\*\*[^*\n]+\*\*/g) ?? [];

test('the comparison, the server and the markup reading refuse what they should (negative controls)', async () => {
  const { server, st } = zulip();
  const port = await listen(server);
  try {
    const z = await client(port);
    await z.messages.send({ to: STREAM, type: 'stream', topic: 't', content: 'a' });
    await z.messages.send({ to: STREAM, type: 'stream', topic: 'u', content: 'a' });
    const [x, y] = await Promise.all(st.requests.map((r) => comparable(r)));
    assert.notDeepEqual(x, y, 'another topic is another request');
    assert.equal((await z.messages.send({ to: 'nope', type: 'stream', topic: 't', content: 'a' })).code, 'STREAM_DOES_NOT_EXIST');
    assert.equal((await z.messages.send({ to: STREAM, type: 'stream', topic: 'x'.repeat(61), content: 'a' })).result, 'error');
    assert.equal((await z.messages.send({ to: STREAM, type: 'stream', topic: 't', content: 'x'.repeat(10001) })).result, 'error');
    const wrong = await zulipInit({ username: EMAIL, apiKey: 'wrong', realm: `http://127.0.0.1:${port}` });
    assert.equal((await wrong.messages.send({ to: STREAM, type: 'stream', topic: 't', content: 'a' })).code, 'INVALID_API_KEY');
    const found = await z.messages.retrieve({ anchor: 'newest', num_before: 10, num_after: 0, narrow: [{ operator: 'stream', operand: STREAM }, { operator: 'topic', operand: 'u' }] });
    assert.equal(found.messages.length, 1, 'the narrow narrows');
  } finally { server.close(); }
  const raw = seen(HOSTILE);
  for (const t of ['em', 'strong', 'del', 'code', 'a']) assert.ok(raw.tags.includes(t), `${t} in ${raw.tags}`);
  assert.deepEqual(mentions(HOSTILE), ['@**all**', '@_**Anna**', '@*orga*', '#**treffen**'], 'the mention reading sees every mention');
});

test('announce: the message zulip-js sends, in the event\'s topic, escaped, with an invisible marker', async () => {
  const { server, st } = zulip();
  const port = await listen(server);
  const site = makeSite(channel(port));
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', () => JSON.stringify(HOSTILE)));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json', '--trace'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path}`), ['GET /api/v1/messages', 'POST /api/v1/messages']);
    const [look, mine] = st.requests;
    assert.deepEqual(JSON.parse(look.args.narrow), [{ operator: 'stream', operand: STREAM }, { operator: 'topic', operand: mine.args.topic }, { operator: 'sender', operand: EMAIL }]);
    assert.equal(mine.args.topic, `${HOSTILE.slice(0, 46)}… · 2030-12-04`, "the title shortened, the date whole");
    assert.equal([...mine.args.topic].length, 60);
    const content = mine.args.content;
    assert.match(content, MARKER);
    const s = seen(content.replace(MARKER, ''));
    assert.ok(s.text.includes(HOSTILE), s.text);
    assert.deepEqual(s.tags.filter((t) => !['p', 'br', 'ul', 'li', 'a'].includes(t)), ['strong'], 'only the template\'s own bold');
    assert.deepEqual(mentions(content), [], 'no one is mentioned, no channel linked');
    // links: the template's own, and a URL in the title shown as written
    // (Zulip links bare URLs, as marked does), no link text of the title's
    const doc = parseDocument(marked.parse(content.replace(MARKER, '')));
    const links = DomUtils.getElementsByTagName('a', doc).map((a) => [DomUtils.textContent(a), a.attribs.href]);
    assert.deepEqual(links.filter(([t, h]) => t !== h), [['All details', 'https://treff.example.net/2030/12/04/gluehwein.html']]);
    assert.equal(JSON.parse(r.stdout)[0].url, `http://127.0.0.1:${port}/#narrow/id/${st.messages[0].id}`);
    assert.ok(!(r.stderr + r.stdout).includes(KEY), 'no key in the trace');
    assert.ok(!(r.stderr + r.stdout).includes(Buffer.from(`${EMAIL}:${KEY}`).toString('base64')), 'nor its Basic form');
    const z = await client(port);
    await z.messages.retrieve({ anchor: 'newest', num_before: 100, num_after: 0, apply_markdown: false, narrow: JSON.parse(look.args.narrow) });
    assert.deepEqual(await comparable(look), await comparable(st.requests.at(-1)));
    await z.messages.send({ type: 'stream', to: STREAM, topic: mine.args.topic, content });
    assert.deepEqual(await comparable(mine), await comparable(st.requests.at(-1)));
    st.messages.pop();
    // the journal lost: found by its marker
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.messages.length, 1, 'not sent again');
    const forced = await run(['-c', site.config, 'announce', 'gluehwein', '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(st.messages.length, 2, '--force is a new key');
  } finally { server.close(); site.cleanup(); }
});

test('every notice in the topic; an update edits the announcement as zulip-js does', async () => {
  const { server, st } = zulip();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    let r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const first = st.messages.find((m) => m.content.includes('Glühwein'));
    assert.equal(first.topic, 'Glühwein & Traits: Rust im Dezember · 2030-12-04');
    // the title changes: later notices stay in the announcement's topic
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Rust im Dezember', 'Rust im Advent'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-01T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.edits, 1);
    assert.match(first.content, /Rust im Advent/);
    const patch = st.requests.find((x) => x.method === 'PATCH');
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const reminder = st.messages.at(-1);
    assert.equal(reminder.topic, first.topic, 'the announcement\'s topic');
    assert.match(reminder.content, /is tomorrow evening/);
    const z = await client(port);
    await z.messages.update({ message_id: first.id, content: patch.args.content });
    assert.deepEqual(await comparable(patch, ['message_id']), await comparable(st.requests.at(-1), ['message_id']));
  } finally { server.close(); site.cleanup(); }
});

test('an announcement that cannot be edited gets the update in its topic', async () => {
  const { server, st } = zulip({ noEdit: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-01T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const own = st.messages.find((m) => /Changed/.test(m.content));
    assert.equal(own.topic, st.messages[0].topic);
    assert.match(seen(own.content).text, /Time: 19:30 → 20:00/);
  } finally { server.close(); site.cleanup(); }
});

test('429 as Zulip sends it is waited out', async () => {
  const { server, st } = zulip({ limitOnce: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const t0 = Date.now();
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], { ...env, CRIER_TEST_RETRY_BASE_MS: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.limited, 1);
    assert.equal(st.messages.length, 1);
    assert.ok(Date.now() - t0 >= 1200, 'after Retry-After: 1.2, rounded up');
  } finally { server.close(); site.cleanup(); }
});

test('a refused key is a configuration error, never printed', async () => {
  const { server } = zulip();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--trace', '--json'], { ZK: 'CANARY-wrong-zulip-key' });
    assert.equal(r.code, 78, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /refused the login/);
    assert.ok(!(r.stderr + r.stdout).includes('CANARY-wrong-zulip-key'));
  } finally { server.close(); site.cleanup(); }
});

test('a text over 10,000 characters is not sent; check warns beforehand', async () => {
  const { server, st } = zulip();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', `"${'Glühwein '.repeat(1120)}"`));
    const c = await run(['-c', site.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.match(c.stderr, /warning: channel 'zl': the announce text has 1\d{4} characters, more than Zulip's 10000/);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /more than Zulip's 10000/);
    assert.equal(st.messages.length, 0);
    assert.equal(st.requests.length, 0, 'nothing asked');
  } finally { server.close(); site.cleanup(); }
});
