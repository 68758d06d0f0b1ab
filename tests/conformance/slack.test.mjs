// Slack: what crier sends is compared, argument by argument, with what
// @slack/webhook (incoming webhooks) and @slack/web-api (a bot's Web API
// calls) send for the same message to the same loopback Slack. The Web API
// takes a method's arguments as JSON, a form or a query alike (crier
// sends JSON and queries, @slack/web-api forms, with nested values as
// JSON): the comparison reads them into one object. The loopback Slack
// checks the token, the channel, blocks (sections of at most 3000
// characters, at most 50), keeps messages with their metadata (returned
// by conversations.history and .replies with include_all_metadata),
// threads, edits (chat.update), permalinks, and answers 429 with
// Retry-After. The escaping is checked by rendering crier's mrkdwn with
// slack-markdown and reading what a person sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IncomingWebhook } from '@slack/webhook';
import { WebClient } from '@slack/web-api';
import slackMarkdown from 'slack-markdown';
import { parseDocument, DomUtils } from 'htmlparser2';
import { makeSite, run, listen, readBody } from './lib.mjs';

const BOT = 'xoxb-CANARY-slack-bot-0000-1111';
const CHANNEL = 'C0123ABCDEF';
const HOOK_PATH = '/services/T0001/B0002/CANARYslackhook33';

// A method's arguments, from a query, a form or JSON.
function args(r) {
  const out = {};
  const take = (k, v) => {
    if (typeof v === 'string' && /^[[{]/.test(v)) { try { v = JSON.parse(v); } catch { /* text */ } }
    if (v === 'true') v = true;
    if (v === 'false') v = false;
    out[k] = v;
  };
  for (const [k, v] of Object.entries(r.query)) take(k, v);
  const ct = (r.headers['content-type'] || '').replace(/;.*/, '');
  if (ct === 'application/json' && r.raw) for (const [k, v] of Object.entries(JSON.parse(r.raw))) take(k, v);
  if (ct === 'application/x-www-form-urlencoded') for (const [k, v] of new URLSearchParams(r.raw)) take(k, v);
  return out;
}

function comparable(r) {
  return { path: r.path, authorization: r.headers.authorization, args: args(r) };
}

// What a person sees of mrkdwn, by slack-markdown, with the entities Slack
// decodes (&amp; &lt; &gt;) decoded.
function seen(text) {
  const doc = parseDocument(slackMarkdown.toHTML(text));
  const tags = DomUtils.getElements({ tag_type: 'tag' }, doc.children, true).map((e) => e.name + (e.attribs.class ? `.${e.attribs.class}` : ''));
  const visible = DomUtils.textContent(doc).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { text: visible, tags };
}

function slack(opts = {}) {
  const st = { requests: [], messages: [], hooks: [], limited: 0, limitOnce: !!opts.limitOnce };
  let clock = 1924000000;
  const server = http.createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const rec = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, raw };
    st.requests.push(rec);
    const send = (code, obj, headers = {}) => { res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', ...headers }); res.end(JSON.stringify(obj)); };
    const text = (code, body) => { res.writeHead(code, { 'content-type': 'text/html' }); res.end(body); };
    if (st.limitOnce && req.method === 'POST') {
      st.limitOnce = false;
      st.limited++;
      return url.pathname.startsWith('/services/') ? text(429, 'rate_limited') : send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    }
    let a;
    try { a = args(rec); } catch { return url.pathname.startsWith('/services/') ? text(400, 'invalid_payload') : send(200, { ok: false, error: 'invalid_json' }); }
    const blocksBad = (blocks) => {
      if (blocks === undefined) return null;
      if (!Array.isArray(blocks) || blocks.length > 50) return 'invalid_blocks';
      for (const b of blocks) {
        if (b.type !== 'section' || b.text?.type !== 'mrkdwn' || typeof b.text.text !== 'string' || !b.text.text) return 'invalid_blocks';
        if ([...b.text.text].length > 3000) return 'invalid_blocks';
      }
      return null;
    };
    if (url.pathname.startsWith('/services/')) {
      if (url.pathname !== HOOK_PATH) return text(404, 'no_service');
      if (!a.text && !a.blocks) return text(400, 'no_text');
      if (blocksBad(a.blocks)) return text(400, 'invalid_blocks');
      st.hooks.push(a);
      if (opts.slow) await opts.slow();
      return text(200, 'ok');
    }
    if (req.headers.authorization !== `Bearer ${BOT}`) return send(200, { ok: false, error: 'invalid_auth' });
    const method = url.pathname.replace(/^\/api\//, '');
    const inChannel = () => a.channel === CHANNEL;
    if (method === 'chat.postMessage') {
      if (!inChannel()) return send(200, { ok: false, error: 'channel_not_found' });
      if (!a.text && !a.blocks) return send(200, { ok: false, error: 'no_text' });
      const bad = blocksBad(a.blocks);
      if (bad) return send(200, { ok: false, error: bad });
      if (a.thread_ts && !st.messages.some((m) => m.ts === a.thread_ts && !m.thread_ts)) return send(200, { ok: false, error: 'thread_not_found' });
      if (a.metadata && (typeof a.metadata.event_type !== 'string' || typeof a.metadata.event_payload !== 'object')) return send(200, { ok: false, error: 'invalid_metadata_format' });
      const m = { type: 'message', ts: `${clock++}.000100`, text: a.text, blocks: a.blocks, bot_id: 'B1', thread_ts: a.thread_ts, reply_broadcast: !!a.reply_broadcast, metadata: a.metadata };
      if (opts.slow) await opts.slow();
      st.messages.push(m);
      return send(200, { ok: true, channel: CHANNEL, ts: m.ts, message: m });
    }
    if (method === 'chat.update') {
      const m = st.messages.find((x) => x.ts === a.ts);
      if (!inChannel() || !m || opts.noEdit) return send(200, { ok: false, error: opts.noEdit ? 'cant_update_message' : 'message_not_found' });
      const bad = blocksBad(a.blocks);
      if (bad) return send(200, { ok: false, error: bad });
      m.text = a.text;
      m.blocks = a.blocks;
      m.edited = true;
      return send(200, { ok: true, channel: CHANNEL, ts: m.ts, text: m.text });
    }
    const strip = (m) => (a.include_all_metadata ? m : { ...m, metadata: undefined });
    if (method === 'conversations.history') {
      if (!inChannel()) return send(200, { ok: false, error: 'channel_not_found' });
      const top = st.messages.filter((m) => !m.thread_ts || m.reply_broadcast).reverse().slice(0, Number(a.limit ?? 100));
      return send(200, { ok: true, messages: top.map(strip), has_more: false });
    }
    if (method === 'conversations.replies') {
      const thread = st.messages.filter((m) => m.ts === a.ts || m.thread_ts === a.ts);
      if (!inChannel() || !thread.length) return send(200, { ok: false, error: 'thread_not_found' });
      return send(200, { ok: true, messages: thread.map(strip), has_more: false });
    }
    if (method === 'chat.getPermalink')
      return send(200, { ok: true, channel: a.channel, permalink: `https://treff.slack.com/archives/${a.channel}/p${a.message_ts.replace('.', '')}` });
    return send(200, { ok: false, error: 'unknown_method' });
  });
  return { server, st };
}

const bot = (port, extra = '') =>
  `  - name: sl\n    type: slack\n    bot_token: {env: SB}\n    channel: ${CHANNEL}\n    api_url: http://127.0.0.1:${port}/api\n    lang: en\n    retries: 2\n${extra}`;
const hook = () => '  - name: sl\n    type: slack\n    webhook_url: {env: SH}\n    lang: en\n    retries: 2\n';
const env = (port) => ({ SB: BOT, SH: `http://127.0.0.1:${port}${HOOK_PATH}` });
const client = (port) => new WebClient(BOT, { slackApiUrl: `http://127.0.0.1:${port}/api/`, retryConfig: { retries: 0 } });

const HOSTILE = 'Rust *hot* & <Traits> nick_only @everyone <!channel> ~x~ `y` _z_';
function hostile(site) {
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', JSON.stringify(HOSTILE)));
}

test('the comparison, the server and the markup reading refuse what they should (negative controls)', async () => {
  const { server, st } = slack();
  const port = await listen(server);
  try {
    const c = client(port);
    await c.chat.postMessage({ channel: CHANNEL, text: 'a', unfurl_links: true });
    await c.chat.postMessage({ channel: CHANNEL, text: 'a', unfurl_links: false });
    const [x, y] = st.requests.map(comparable);
    assert.notDeepEqual(x, y, 'another unfurl is another request');
    await assert.rejects(c.chat.postMessage({ channel: 'C999NOPE', text: 'a' }), /channel_not_found/);
    await assert.rejects(c.chat.postMessage({ channel: CHANNEL, text: 'a', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }), /invalid_blocks/);
    await assert.rejects(new WebClient('xoxb-wrong', { slackApiUrl: `http://127.0.0.1:${port}/api/`, retryConfig: { retries: 0 } }).chat.postMessage({ channel: CHANNEL, text: 'a' }), /invalid_auth/);
    await assert.rejects(new IncomingWebhook(`http://127.0.0.1:${port}/services/T/B/wrong`).send({ text: 'a' }), /404|no_service/);
    // metadata comes back only when asked for
    await c.chat.postMessage({ channel: CHANNEL, text: 'm', metadata: { event_type: 'crier_notice', event_payload: { key: 'k' } } });
    assert.equal((await c.conversations.history({ channel: CHANNEL })).messages[0].metadata, undefined);
    assert.equal((await c.conversations.history({ channel: CHANNEL, include_all_metadata: true })).messages[0].metadata.event_payload.key, 'k');
  } finally { server.close(); }
  // the markup reading sees what formats
  const raw = seen(HOSTILE);
  for (const t of ['strong', 'em', 'del', 'code', 'span.s-mention s-at-channel']) assert.ok(raw.tags.includes(t), `${t} in ${JSON.stringify(raw.tags)}`);
});

test('an incoming webhook: the payload @slack/webhook sends, escaped', async () => {
  const { server, st } = slack();
  const port = await listen(server);
  const site = makeSite(hook());
  hostile(site);
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json', '-v'], env(port));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.hooks.length, 1);
    const mine = st.requests[0];
    assert.equal(mine.path, HOOK_PATH);
    const s = seen(args(mine).text);
    assert.ok(s.text.includes(HOSTILE), s.text);
    // no formatting, no mention: line breaks, links and the dates whose
    // fallback shows a formatting character as it is
    const plain = (tags) => tags.filter((t) => !['br', 'a', 'span.s-mention s-date'].includes(t));
    assert.deepEqual(plain(s.tags), []);
    assert.ok(s.tags.includes('span.s-mention s-date'));
    for (const b of args(mine).blocks) assert.deepEqual(plain(seen(b.text.text).tags), []);
    assert.ok(!(r.stderr + r.stdout).includes('CANARYslackhook33'), 'the webhook URL is a secret');
    await new IncomingWebhook(`http://127.0.0.1:${port}${HOOK_PATH}`).send(args(mine));
    assert.deepEqual(comparable(mine), comparable(st.requests.at(-1)));
    // a webhook gives nothing back: a lost journal posts again
    rmSync(join(site.dir, 'journal.db'));
    await run(['-c', site.config, 'announce', 'gluehwein'], env(port));
    assert.equal(st.hooks.length, 3);
  } finally { server.close(); site.cleanup(); }
});

test('a bot: chat.postMessage with the key in its metadata, found again after the journal is lost', async () => {
  const { server, st } = slack();
  const port = await listen(server);
  const site = makeSite(bot(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env(port));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.requests.map((x) => x.path), ['/api/conversations.history', '/api/chat.postMessage', '/api/chat.getPermalink']);
    const look = comparable(st.requests[0]);
    const mine = st.requests[1];
    const m = st.messages[0];
    assert.equal(m.metadata.event_type, 'crier_notice');
    assert.match(m.metadata.event_payload.key, /^[0-9a-f]{64}$/);
    assert.equal(JSON.parse(r.stdout)[0].url, `https://treff.slack.com/archives/${CHANNEL}/p${m.ts.replace('.', '')}`);
    const c = client(port);
    await c.conversations.history({ channel: CHANNEL, limit: 100, include_all_metadata: true });
    assert.deepEqual(look, comparable(st.requests.at(-1)));
    await c.chat.postMessage(args(mine));
    assert.deepEqual(comparable(mine), comparable(st.requests.at(-1)));
    st.messages.pop();
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env(port));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.messages.length, 1, 'found by its metadata, not posted again');
    assert.equal(JSON.parse(again.stdout)[0].url, JSON.parse(r.stdout)[0].url);
  } finally { server.close(); site.cleanup(); }
});

test('reminders reply in the thread; an update edits the announcement', async () => {
  const { server, st } = slack();
  const port = await listen(server);
  const site = makeSite(bot(port));
  try {
    let r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], env(port));
    assert.equal(r.code, 0, r.stderr);
    const first = st.messages.find((m) => m.text.includes('Glühwein'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], env(port));
    assert.equal(r.code, 0, r.stderr);
    const look = st.requests.findLast((x) => x.path === '/api/conversations.replies');
    assert.equal(args(look).ts, first.ts, 'the thread is read first');
    const reply = st.messages.at(-1);
    assert.equal(reply.thread_ts, first.ts);
    assert.equal(reply.reply_broadcast, true);
    assert.match(reply.text, /is tomorrow evening/);
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    const n = st.messages.length;
    r = await run(['-c', site.config, 'run', '--now', '2030-12-04T12:00:00+01:00'], env(port));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, n, 'edited, no new message');
    assert.match(first.text, /20:00/);
    const upd = st.requests.find((x) => x.path === '/api/chat.update');
    await client(port).chat.update(args(upd));
    assert.deepEqual(comparable(upd), comparable(st.requests.at(-1)));
  } finally { server.close(); site.cleanup(); }
});

test('an announcement that cannot be edited gets the update in its thread', async () => {
  const { server, st } = slack({ noEdit: true });
  const port = await listen(server);
  const site = makeSite(bot(port, '    broadcast: false\n'));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env(port));
    assert.equal(r.code, 0, r.stderr);
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-01T12:00:00+01:00'], env(port));
    assert.equal(r.code, 0, r.stderr);
    const own = st.messages.find((m) => /Changed/.test(m.text));
    assert.equal(own.thread_ts, st.messages[0].ts);
    assert.equal(own.reply_broadcast, false);
    assert.match(seen(own.text).text, /Time: 19:30 → 20:00/);
  } finally { server.close(); site.cleanup(); }
});

test('429 with Retry-After is waited out, webhook and bot alike', async () => {
  for (const chan of [hook, bot]) {
    const { server, st } = slack({ limitOnce: true });
    const port = await listen(server);
    const site = makeSite(chan(port));
    try {
      const t0 = Date.now();
      const r = await run(['-c', site.config, 'announce', 'gluehwein'], env(port));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(st.limited, 1);
      assert.equal(st.hooks.length + st.messages.length, 1);
      if (chan === bot) assert.ok(Date.now() - t0 >= 1000, 'after Retry-After');
    } finally { server.close(); site.cleanup(); }
  }
});

test('configuration: one way in, a channel ID; a refused token is a configuration error, never printed', async () => {
  const { server } = slack();
  const port = await listen(server);
  try {
    for (const [yaml, why] of [
      [`  - {name: s, type: slack, webhook_url: {env: SH}, bot_token: {env: SB}, channel: ${CHANNEL}}\n`, /'webhook_url' .* or 'bot_token' and 'channel' .*, not both/],
      ['  - {name: s, type: slack}\n', /not neither/],
      ['  - {name: s, type: slack, bot_token: {env: SB}, channel: "#treff"}\n', /'channel' must be the channel's ID/],
      ['  - {name: s, type: slack, webhook_url: {env: SH}, channel: C0123ABCDEF}\n', /'channel' goes with 'bot_token'/]]) {
      const site = makeSite(yaml);
      const c = await run(['-c', site.config, 'check'], env(port));
      site.cleanup();
      assert.equal(c.code, 78, c.stderr);
      assert.match(c.stderr, why);
    }
    const site = makeSite(bot(port));
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--trace', '--json'], { SB: 'xoxb-CANARY-wrong-token-77' });
    site.cleanup();
    assert.equal(r.code, 78, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /invalid_auth/);
    assert.ok(!(r.stderr + r.stdout).includes('CANARY-wrong-token-77'));
  } finally { server.close(); }
});

test('a long text is cut into sections of at most 3000 characters, nothing lost', async () => {
  const { server, st } = slack();
  const port = await listen(server);
  const site = makeSite(hook());
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  const long = 'Glühwein '.repeat(400).trim();
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', `"${long}"`));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env(port));
    assert.equal(r.code, 0, r.stderr);
    const [a] = st.hooks;
    assert.ok(a.blocks.length >= 2, `${a.blocks.length} sections`);
    for (const b of a.blocks) assert.ok([...b.text.text].length <= 3000);
    const joined = a.blocks.map((b) => b.text.text).join('');
    assert.ok(joined.includes(long), 'the title across the sections, whole');
    assert.equal(a.text.replace(/\n/g, ''), a.blocks.map((b) => b.text.text).join('').replace(/\n/g, ''));
  } finally { server.close(); site.cleanup(); }
});

test('a text over 40,000 characters is not sent; check warns beforehand', async () => {
  const { server, st } = slack();
  const port = await listen(server);
  const site = makeSite(hook());
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', `"${'Glühwein '.repeat(4450).trim()}"`));
  try {
    const c = await run(['-c', site.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], env(port));
    assert.match(c.stderr, /warning: channel '\w+': the announce text has 4\d{4} characters, more than Slack's 40000/);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env(port));
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /more than Slack's 40000/);
    assert.equal(st.hooks.length, 0);
  } finally { server.close(); site.cleanup(); }
});
