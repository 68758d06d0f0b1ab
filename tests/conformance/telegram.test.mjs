// Telegram: what crier sends to the Bot API is compared, field by field,
// with what grammy (its Api client) sends for the same message to the same
// loopback Bot API, which checks the token in the path, the chat, the
// length as Telegram counts it and parse_mode HTML against the Bot API's
// documented tag subset (b, strong, i, em, u, ins, s, strike, del, span
// class="tg-spoiler", tg-spoiler, a href, tg-emoji, code, pre,
// blockquote; the entities &lt; &gt; &amp; &quot; and numeric ones; every
// other '<' and '&' escaped), read with htmlparser2; it edits messages
// (editMessageText, "message is not modified" for the same text) and
// answers 429 with parameters.retry_after (no header).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Api } from 'grammy';
import { Parser } from 'htmlparser2';
import { makeSite, run, listen, readBody } from './lib.mjs';

const TOKEN = '7012345678:AAE-CANARYtelegram_TokenValue123456';
const CHAT = -1001234567890;

const TAGS = { b: [], strong: [], i: [], em: [], u: [], ins: [], s: [], strike: [], del: [], span: ['class'], 'tg-spoiler': [],
  a: ['href'], 'tg-emoji': ['emoji-id'], code: ['class'], pre: [], blockquote: ['expandable'] };

// Reads text as the Bot API reads parse_mode HTML: its visible text, or
// the reason it cannot be parsed.
export function telegramHtml(text) {
  const bad = [];
  for (const m of text.matchAll(/&[^;\s]*;?/g))
    if (!/^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);$/i.test(m[0])) bad.push(`entity ${m[0]}`);
  const stack = [];
  let visible = '';
  const p = new Parser({
    onopentag(name, attribs) {
      if (!(name in TAGS)) bad.push(`tag <${name}>`);
      for (const a of Object.keys(attribs)) if (!(TAGS[name] ?? []).includes(a)) bad.push(`attribute ${a} of <${name}>`);
      if (name === 'span' && attribs.class !== 'tg-spoiler') bad.push('a span other than tg-spoiler');
      if (name === 'a' && !/^(https?|tg):\/\//.test(attribs.href ?? '')) bad.push(`href ${attribs.href}`);
      stack.push(name);
    },
    onclosetag(name, implied) {
      if (implied || stack.pop() !== name) bad.push(`</${name}> out of order`);
    },
    ontext(t) { visible += t; },
  }, { decodeEntities: true, lowerCaseTags: false, recognizeSelfClosing: false });
  p.write(text);
  p.end();
  if (stack.length) bad.push(`<${stack.join('>, <')}> not closed`);
  // a '<' that is not a tag is an error in the Bot API's parser
  if (/<(?![a-z/])/i.test(text)) bad.push("a '<' that starts no tag");
  return { ok: bad.length === 0, bad, visible };
}

// UTF-16 code units of the visible text: Telegram's count.
const units = (s) => s.length;

function botApi(opts = {}) {
  const st = { requests: [], messages: [], limited: 0, limitOnce: !!opts.limitOnce, invalid: [] };
  const server = http.createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    let body = null;
    try { body = raw ? JSON.parse(raw) : null; } catch { body = 'not json'; }
    const rec = { method: req.method, path: url.pathname, headers: req.headers, body };
    st.requests.push(rec);
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    const fail = (code, description, extra = {}) => send(code, { ok: false, error_code: code, description, ...extra });
    const m = url.pathname.match(/^\/bot([^/]+)\/(\w+)$/);
    if (!m) return fail(404, 'Not Found');
    if (m[1] !== TOKEN) return fail(401, 'Unauthorized');
    if (st.limitOnce && m[2] === 'sendMessage') {
      st.limitOnce = false;
      st.limited++;
      return fail(429, 'Too Many Requests: retry after 1', { parameters: { retry_after: 1 } });
    }
    if (typeof body !== 'object' || !body) return fail(400, 'Bad Request: message text is empty');
    if (body.chat_id !== CHAT && body.chat_id !== '@testtreff') return fail(400, 'Bad Request: chat not found');
    const checkText = () => {
      if (body.parse_mode !== 'HTML') return 'Bad Request: this test expects parse_mode HTML';
      const h = telegramHtml(body.text ?? '');
      if (!h.ok) { st.invalid.push(h.bad.join('; ')); return `Bad Request: can't parse entities: ${h.bad[0]}`; }
      if (!h.visible.trim()) return 'Bad Request: message text is empty';
      if (units(h.visible) > 4096) return 'Bad Request: message is too long';
      return null;
    };
    const result = (msg) => ({ message_id: msg.message_id, date: 1924000000, chat: { id: CHAT, type: 'channel', title: 'Testtreff', username: 'testtreff' },
      text: telegramHtml(msg.text).visible, ...(msg.edited ? { edit_date: 1924000001 } : {}) });
    if (m[2] === 'sendMessage') {
      const why = checkText();
      if (why) return fail(400, why);
      const reply = body.reply_parameters;
      if (reply && !st.messages.some((x) => x.message_id === reply.message_id) && !reply.allow_sending_without_reply)
        return fail(400, 'Bad Request: message to be replied not found');
      const msg = { message_id: st.messages.length + 11, text: body.text, reply_to: reply?.message_id ?? null, preview: body.link_preview_options };
      if (opts.slow) await opts.slow();
      st.messages.push(msg);
      return send(200, { ok: true, result: result(msg) });
    }
    if (m[2] === 'editMessageText') {
      const why = checkText();
      if (why) return fail(400, why);
      const msg = st.messages.find((x) => x.message_id === body.message_id);
      if (!msg || opts.noEdit) return fail(400, 'Bad Request: message to edit not found');
      if (msg.text === body.text) return fail(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      msg.text = body.text;
      msg.edited = true;
      return send(200, { ok: true, result: result(msg) });
    }
    return fail(404, 'Not Found: method not found');
  });
  return { server, st };
}

const channel = (port, extra = '') =>
  `  - name: tg\n    type: telegram\n    bot_token: {env: TT}\n    chat_id: "${CHAT}"\n    api_url: http://127.0.0.1:${port}\n    lang: en\n    retries: 2\n${extra}`;
const env = { TT: TOKEN };
const api = (port) => new Api(TOKEN, { apiRoot: `http://127.0.0.1:${port}` });

function comparable(r) {
  return { method: r.method, path: r.path, contentType: (r.headers['content-type'] || '').replace(/;.*/, ''), body: r.body };
}

const HOSTILE = 'Rust *hot* & <Traits> nick_only @everyone <b>x</b> &amp; "q"';

test('the comparison, the server and the HTML reading refuse what they should (negative controls)', async () => {
  for (const [text, why] of [['<b>x</i>', /out of order/], ['<script>x</script>', /tag <script>/], ['a & b', /entity &/], ['a &nbsp; b', /entity &nbsp;/],
    ['<a href="https://x" onclick="y">l</a>', /attribute onclick/], ['Glühwein <Traits>', /tag <traits>/i], ['1 < 2', /starts no tag/], ['<b>open', /not closed/]])
    assert.match(telegramHtml(text).bad.join('; '), why, text);
  assert.deepEqual(telegramHtml('<b>a</b> &lt;b&gt; &amp; <a href="https://x/?a=1&amp;b=2">l</a>'), { ok: true, bad: [], visible: 'a <b> & l' });
  const { server, st } = botApi();
  const port = await listen(server);
  try {
    const a = api(port);
    await a.sendMessage(CHAT, 'a', { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
    await a.sendMessage(CHAT, 'a', { parse_mode: 'HTML' });
    const [x, y] = st.requests.map(comparable);
    assert.notDeepEqual(x, y, 'another preview is another request');
    await assert.rejects(a.sendMessage(CHAT, 'Glühwein <Traits>', { parse_mode: 'HTML' }), /can't parse entities/);
    await assert.rejects(a.sendMessage(CHAT, 'x'.repeat(4097), { parse_mode: 'HTML' }), /too long/);
    await assert.rejects(a.sendMessage(-42, 'x', { parse_mode: 'HTML' }), /chat not found/);
    await assert.rejects(new Api('1:wrong', { apiRoot: `http://127.0.0.1:${port}` }).sendMessage(CHAT, 'x'), /Unauthorized/);
    await assert.rejects(a.editMessageText(CHAT, 11, 'a', { parse_mode: 'HTML' }), /not modified/);
  } finally { server.close(); }
});

test('announce: the request grammy sends, valid HTML, every field as written', async () => {
  const { server, st } = botApi();
  const port = await listen(server);
  const site = makeSite(channel(port));
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', JSON.stringify(HOSTILE)));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json', '-v'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path.replace(TOKEN, 'T')}`), ['POST /botT/sendMessage']);
    const mine = st.requests[0];
    assert.equal(mine.body.chat_id, CHAT, 'a number, as the chat is one');
    assert.deepEqual(mine.body.link_preview_options, { url: 'https://treff.example.net/2030/12/04/gluehwein.html' });
    const h = telegramHtml(mine.body.text);
    assert.ok(h.ok, h.bad.join('; '));
    assert.ok(h.visible.startsWith(`📣 ${HOSTILE}\n`), h.visible);
    assert.equal(JSON.parse(r.stdout)[0].url, `https://t.me/testtreff/${st.messages[0].message_id}`);
    assert.match(r.stderr, /POST http:\/\/127\.0\.0\.1:\d+\/bot\*\*\*\/sendMessage → 200/, 'the token is not in the request line');
    assert.ok(!(r.stderr + r.stdout).includes(TOKEN));
    await api(port).sendMessage(CHAT, mine.body.text, { parse_mode: 'HTML', link_preview_options: mine.body.link_preview_options });
    assert.deepEqual(comparable(mine), comparable(st.requests.at(-1)));
    // Telegram keeps no key and a bot cannot read the chat: a lost journal
    // posts again
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.messages.length, 3);
  } finally { server.close(); site.cleanup(); }
});

test('a reminder replies to the announcement; an update edits it as grammy does', async () => {
  const { server, st } = botApi();
  const port = await listen(server);
  const site = makeSite(channel(port, '    thread_id: "7"\n'));
  try {
    let r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const first = st.messages.find((m) => m.text.includes('Glühwein'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const reminder = st.requests.at(-1);
    assert.deepEqual(reminder.body.reply_parameters, { message_id: first.message_id, allow_sending_without_reply: true });
    assert.equal(reminder.body.message_thread_id, 7);
    await api(port).sendMessage(CHAT, reminder.body.text, { parse_mode: 'HTML', link_preview_options: reminder.body.link_preview_options,
      message_thread_id: 7, reply_parameters: { message_id: first.message_id, allow_sending_without_reply: true } });
    assert.deepEqual(comparable(reminder), comparable(st.requests.at(-1)));
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    const n = st.messages.length;
    r = await run(['-c', site.config, 'run', '--now', '2030-12-04T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, n, 'edited, no new message');
    const ed = st.requests.find((x) => x.path.endsWith('/editMessageText'));
    assert.equal(ed.body.message_id, first.message_id);
    assert.match(telegramHtml(first.text).visible, /20:00/);
    assert.deepEqual(st.invalid, []);
    await assert.rejects(api(port).editMessageText(CHAT, first.message_id, ed.body.text, { parse_mode: 'HTML', link_preview_options: ed.body.link_preview_options }), /not modified/);
    assert.deepEqual(comparable(ed), comparable(st.requests.at(-1)));
  } finally { server.close(); site.cleanup(); }
});

test('an announcement that cannot be edited gets the update as a message of its own', async () => {
  const { server, st } = botApi({ noEdit: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-01T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const own = st.messages.find((m) => /Changed/.test(m.text));
    assert.ok(own, 'the update was sent');
    assert.match(telegramHtml(own.text).visible, /Time: 19:30 → 20:00/);
    assert.equal(own.reply_to, st.messages[0].message_id);
  } finally { server.close(); site.cleanup(); }
});

test('429 with parameters.retry_after (and no header) is waited out', async () => {
  const { server, st } = botApi({ limitOnce: true });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const t0 = Date.now();
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], { ...env, CRIER_TEST_RETRY_BASE_MS: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.limited, 1);
    assert.equal(st.messages.length, 1);
    assert.ok(Date.now() - t0 >= 1000, 'after retry_after, not after the (1 ms) back-off');
  } finally { server.close(); site.cleanup(); }
});

test('a text over 4096 characters is not sent; check warns beforehand', async () => {
  const { server, st } = botApi();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    // '&' is one character for Telegram, five in the HTML
    writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', `"${'&'.repeat(3900)}"`));
    let c = await run(['-c', site.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.doesNotMatch(c.stderr, /more than Telegram's/, 'entities count as one character');
    writeFileSync(file, readFileSync(file, 'utf8').replace('&'.repeat(3900), '&'.repeat(4100)));
    c = await run(['-c', site.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], env);
    assert.match(c.stderr, /warning: channel 'tg': the announce text has 4\d\d\d characters, more than Telegram's 4096/);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /more than Telegram's 4096/);
    assert.equal(st.messages.length, 0);
  } finally { server.close(); site.cleanup(); }
});

test('a refused token is a configuration error, never printed', async () => {
  const { server } = botApi();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--trace', '--json'], { TT: '999:CANARY-wrong-bot-token' });
    assert.equal(r.code, 78, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /refused the token/);
    assert.ok(!(r.stderr + r.stdout).includes('CANARY-wrong-bot-token'));
    const bad = makeSite(channel(port).replace(`"${CHAT}"`, '"testtreff"'));
    const c = await run(['-c', bad.config, 'check'], env);
    bad.cleanup();
    assert.equal(c.code, 78);
    assert.match(c.stderr, /'chat_id' must be a chat's number/);
  } finally { server.close(); site.cleanup(); }
});
