// Discord: what crier sends through an incoming webhook is compared, field
// by field, with what @discordjs/rest (with discord-api-types' routes)
// sends for the same message to the same loopback Discord
// (discord_server.mjs: webhooks, forum posts, edits, a bot reading the
// channel, and per-route rate limits from X-RateLimit-* headers and 429
// retry_after; a bot's scheduled events). The escaping is checked by
// rendering crier's text with
// discord-markdown and reading what a person sees: the title's '*', '_',
// '<', '&' and '@everyone' stay text, no mention, no emphasis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REST, makeURLSearchParams } from '@discordjs/rest';
import { Routes, GuildScheduledEventEntityType, GuildScheduledEventPrivacyLevel, GuildScheduledEventStatus } from 'discord-api-types/v10';
import discordMarkdown from 'discord-markdown';
import { parseDocument, DomUtils } from 'htmlparser2';
import { makeSite, run, listen } from './lib.mjs';
import { discord, webhookUrl, HOOK_ID, HOOK_TOKEN, CHANNEL, GUILD, BOT } from './discord_server.mjs';

const channel = (port, extra = '') =>
  `  - name: dc\n    type: discord\n    webhook_url: {env: DW}\n    lang: en\n    retries: 2\n${extra}`;
const envFor = (port, more = {}) => ({ DW: webhookUrl(port), ...more });

function rest(port) {
  return new REST({ version: '10', api: `http://127.0.0.1:${port}/api`, retries: 0 });
}

// What two requests must share to be the same request to Discord.
function comparable(r) {
  return {
    method: r.method,
    path: r.path,
    query: r.query,
    contentType: (r.headers['content-type'] || '').replace(/;.*/, ''),
    authorization: r.headers.authorization,
    body: r.body,
  };
}

// What a person sees of Discord Markdown, by discord-markdown: the text,
// and which formatting and mentions it made.
function seen(text) {
  const html = discordMarkdown.toHTML(text);
  const doc = parseDocument(html);
  const tags = DomUtils.getElements({ tag_type: 'tag' }, doc.children, true).map((e) => e.name + (e.attribs.class ? `.${e.attribs.class}` : ''));
  return { text: DomUtils.textContent(doc), tags };
}

const HOSTILE = 'Rust *hot* & <Traits> nick_only @everyone __x__ ~~y~~ `z` ||s|| <@123>';

function hostileSite(port, extra = '') {
  const site = makeSite(channel(port, extra));
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', JSON.stringify(HOSTILE)));
  return site;
}

test('the comparison, the server and the markup reading refuse what they should (negative controls)', async () => {
  const { server, st } = discord({ limit: 2, window: 1500 });
  const port = await listen(server);
  try {
    const r = rest(port);
    const q = makeURLSearchParams({ wait: true });
    await r.post(Routes.webhook(HOOK_ID, HOOK_TOKEN), { body: { content: 'a', allowed_mentions: { parse: [] } }, query: q, auth: false });
    await r.post(Routes.webhook(HOOK_ID, HOOK_TOKEN), { body: { content: 'a' }, query: q, auth: false });
    const [a, b] = st.requests.filter((x) => x.method === 'POST').map(comparable);
    assert.notDeepEqual(a, b, 'a request that lets mentions ping is another request');
    await assert.rejects(r.post(Routes.webhook(HOOK_ID, HOOK_TOKEN), { body: { content: 'x'.repeat(2001) }, query: q, auth: false }), /2000 or fewer/);
    await assert.rejects(r.post(Routes.webhook(HOOK_ID, 'wrong'), { body: { content: 'x' }, auth: false }), /Invalid Webhook Token/);
    // the rate limit is real: a client that ignores the headers runs into
    // it; @discordjs/rest, which reads them, does not
    const before = st.limited;
    const naive = await Promise.all([1, 2, 3].map(() => fetch(`${webhookUrl(port)}?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"content":"n"}' })));
    assert.ok(naive.some((x) => x.status === 429), 'the naive client was limited');
    assert.ok(st.limited > before);
    await new Promise((res) => setTimeout(res, 1600));
    const polite = st.limited;
    for (let i = 0; i < 3; i++) await r.post(Routes.webhook(HOOK_ID, HOOK_TOKEN), { body: { content: `p${i}` }, query: q, auth: false });
    assert.equal(st.limited, polite, '@discordjs/rest waited for the reset');
    // the markup reading sees formatting and mentions where they are
    const raw = seen(HOSTILE);
    assert.ok(raw.tags.includes('em') && raw.tags.includes('span.d-mention d-user'), JSON.stringify(raw.tags));
  } finally { server.close(); }
  const forum = discord({ forum: true });
  const fport = await listen(forum.server);
  try {
    await assert.rejects(rest(fport).post(Routes.webhook(HOOK_ID, HOOK_TOKEN), { body: { content: 'x' }, auth: false }), /forum channels must have a thread_name/);
  } finally { forum.server.close(); }
});

test('announce: the request @discordjs/rest sends, escaped, pinging no one', async () => {
  const { server, st } = discord();
  const port = await listen(server);
  const site = hostileSite(port);
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path}`),
      [`GET /api/v10/webhooks/${HOOK_ID}/${HOOK_TOKEN}`, `POST /api/v10/webhooks/${HOOK_ID}/${HOOK_TOKEN}`]);
    const mine = st.requests[1];
    assert.deepEqual(mine.query, { wait: 'true' });
    assert.deepEqual(mine.body.allowed_mentions, { parse: [] });
    const msg = st.messages[0];
    assert.equal(JSON.parse(r.stdout)[0].url, `https://discord.com/channels/${GUILD}/${CHANNEL}/${msg.id}`);
    // what people see: the title as written, no emphasis, no mention
    const s = seen(mine.body.content);
    assert.ok(s.text.includes(HOSTILE), s.text);
    assert.deepEqual(s.tags.filter((t) => t !== 'br' && t !== 'a'), ['strong'], 'only the template\'s own bold (and the page, linked)');
    assert.match(s.text, /https:\/\/treff\.example\.net\/2030\/12\/04\/gluehwein\.html/);
    assert.ok(mine.body.content.length <= 2000);
    // @discordjs/rest, the same message
    await rest(port).post(Routes.webhook(HOOK_ID, HOOK_TOKEN),
      { body: { content: mine.body.content, allowed_mentions: { parse: [] } }, query: makeURLSearchParams({ wait: true }), auth: false });
    assert.deepEqual(comparable(mine), comparable(st.requests.at(-1)));
    // without a bot, a lost journal cannot be checked: it posts again
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein'], envFor(port));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.messages.length, 3);
  } finally { server.close(); site.cleanup(); }
});

test('a reminder is a new message; an update edits the announcement as @discordjs/rest does', async () => {
  const { server, st } = discord();
  const port = await listen(server);
  const site = makeSite(channel(port, '    embed: true\n'));
  try {
    let r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    const first = st.messages.find((m) => m.content.includes('Glühwein'));
    const [embed] = first.embeds;
    assert.equal(embed.url, 'https://treff.example.net/2030/12/04/gluehwein.html');
    assert.equal(new Date(embed.timestamp).toISOString(), '2030-12-04T18:30:00.000Z', 'the start, 19:30 in Köln');
    assert.equal(embed.description, 'Kulturkeller Süd, Glühweinweg 3, Köln');
    assert.equal(seen(embed.title).text, 'Glühwein & Traits: Rust im Dezember');
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    const reminder = st.messages.at(-1);
    assert.notEqual(reminder.id, first.id);
    assert.match(reminder.content, /is tomorrow evening/);
    // the event moves: the announcement shows the new time
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    const n = st.messages.length;
    r = await run(['-c', site.config, 'run', '--now', '2030-12-04T12:00:00+01:00'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, n, 'no new message');
    const patch = st.requests.find((x) => x.method === 'PATCH');
    assert.equal(patch.path, `/api/v10/webhooks/${HOOK_ID}/${HOOK_TOKEN}/messages/${first.id}`);
    assert.match(first.content, /20:00/);
    assert.equal(first.embeds[0].timestamp.slice(0, 16), '2030-12-04T19:00');
    await rest(port).patch(Routes.webhookMessage(HOOK_ID, HOOK_TOKEN, first.id),
      { body: { content: patch.body.content, allowed_mentions: { parse: [] }, embeds: patch.body.embeds }, auth: false });
    assert.deepEqual(comparable(patch), comparable(st.requests.at(-1)));
  } finally { server.close(); site.cleanup(); }
});

test('a forum channel: a post per event, later notices in it', async () => {
  const { server, st } = discord({ forum: true });
  const port = await listen(server);
  const site = makeSite(channel(port, '    forum: true\n'));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    const post = st.requests.find((x) => x.method === 'POST');
    assert.match(post.body.thread_name, /^Glühwein & Traits: Rust im Dezember – /);
    const thread = st.messages[0].channel_id;
    assert.equal(st.threads.get(thread), post.body.thread_name);
    await rest(port).post(Routes.webhook(HOOK_ID, HOOK_TOKEN), { body: { content: post.body.content, allowed_mentions: { parse: [] }, thread_name: post.body.thread_name }, query: makeURLSearchParams({ wait: true }), auth: false });
    assert.deepEqual(comparable(post), comparable(st.requests.at(-1)));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T19:30:00+01:00'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    const reminder = st.requests.filter((x) => x.method === 'POST').find((x) => /tomorrow/.test(x.body.content));
    assert.deepEqual(reminder.query, { wait: 'true', thread_id: thread });
    assert.equal(reminder.body.thread_name, undefined);
  } finally { server.close(); site.cleanup(); }
});

test('with a bot token: the message is found again after the journal is lost', async () => {
  const { server, st } = discord();
  const port = await listen(server);
  const site = makeSite(channel(port, '    bot_token: {env: DB}\n'));
  const env = envFor(port, { DB: BOT });
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.requests.map((x) => `${x.method} ${x.path.replace(HOOK_TOKEN, 'T')}`),
      [`GET /api/v10/webhooks/${HOOK_ID}/T`, `GET /api/v10/channels/${CHANNEL}/messages`, `POST /api/v10/webhooks/${HOOK_ID}/T`]);
    assert.equal(st.requests[1].headers.authorization, `Bot ${BOT}`);
    const content = st.messages[0].content;
    // the marker is invisible: nothing but zero-width characters
    const marker = content.slice(content.lastIndexOf('\u2063'));
    assert.match(marker, /^\u2063[\u200b\u200c\u200d\u2060]{32}$/);
    assert.equal(seen(content).text.replace(/[\u2063\u200b\u200c\u200d\u2060]/g, ''), seen(content.slice(0, -marker.length)).text);
    rmSync(join(site.dir, 'journal.db'));
    r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, 1, 'found by its marker, not posted again');
    assert.equal(JSON.parse(r.stdout)[0].url, `https://discord.com/channels/${GUILD}/${CHANNEL}/${st.messages[0].id}`);
    const forced = await run(['-c', site.config, 'announce', 'gluehwein', '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(st.messages.length, 2, '--force is a new key');
  } finally { server.close(); site.cleanup(); }
});

test('rate limits: a bucket with none left is waited for, a 429 is retried after retry_after', async () => {
  const { server, st } = discord({ limit: 1, window: 800 });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'run', '--now', '2030-12-01T10:00:00+01:00'], envFor(port));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, 2, 'both events');
    assert.equal(st.limited, 0, 'crier never ran into the limit');
    const posts = st.requests.filter((x) => x.method === 'POST');
    assert.equal(posts.length, 2);
  } finally { server.close(); site.cleanup(); }
  const once = discord({ first429: true });
  const port2 = await listen(once.server);
  const site2 = makeSite(channel(port2));
  try {
    const t0 = Date.now();
    const r = await run(['-c', site2.config, 'announce', 'gluehwein'], envFor(port2));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(once.st.limited, 1);
    assert.equal(once.st.messages.length, 1);
    assert.ok(Date.now() - t0 >= 1000, 'after retry_after, not at once');
  } finally { once.server.close(); site2.cleanup(); }
});

test('a text over 2000 characters is not sent; check warns beforehand', async () => {
  const { server, st } = discord();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"Glühwein & Traits: Rust im Dezember"', `"${'Glühwein '.repeat(230)}"`));
    const c = await run(['-c', site.config, 'check', '--now', '2030-12-01T10:00:00+01:00'], envFor(port));
    assert.match(c.stderr, /warning: channel 'dc': the announce text has \d+ characters, more than Discord's 2000/);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], envFor(port));
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /more than Discord's 2000/);
    assert.equal(st.messages.length, 0);
  } finally { server.close(); site.cleanup(); }
});

test('a wrong webhook URL is a configuration error, and its token is never printed', async () => {
  const { server } = discord();
  const port = await listen(server);
  const site = makeSite(channel(port));
  const wrong = `http://127.0.0.1:${port}/api/v10/webhooks/${HOOK_ID}/CANARY-wrong-token-value`;
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '-v', '--json'], { DW: wrong });
    assert.equal(r.code, 78, r.stderr);
    assert.match(JSON.parse(r.stdout)[0].error, /HTTP 401.*check webhook_url/);
    assert.ok(!(r.stderr + r.stdout).includes('CANARY-wrong-token-value'));
    const notHook = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], { DW: `http://127.0.0.1:${port}/somewhere` });
    assert.equal(notHook.code, 78);
    assert.match(JSON.parse(notHook.stdout)[0].error, /not a Discord webhook URL/);
  } finally { server.close(); site.cleanup(); }
});

// A bot's scheduled events: the server refuses what Discord refuses, and
// the comparison tells two bodies apart.
test('scheduled events: the server and the comparison refuse what they should (negative controls)', async () => {
  const { server, st } = discord();
  const port = await listen(server);
  try {
    const r = new REST({ version: '10', api: `http://127.0.0.1:${port}/api`, retries: 0 }).setToken(BOT);
    const good = { name: 'x', privacy_level: GuildScheduledEventPrivacyLevel.GuildOnly, entity_type: GuildScheduledEventEntityType.External,
      scheduled_start_time: '2030-12-04T18:30:00Z', scheduled_end_time: '2030-12-04T20:30:00Z', entity_metadata: { location: 'Köln' } };
    await assert.rejects(r.post(Routes.guildScheduledEvents(GUILD), { body: { ...good, entity_metadata: undefined } }), /location/);
    await assert.rejects(r.post(Routes.guildScheduledEvents(GUILD), { body: { ...good, scheduled_end_time: undefined } }), /scheduled_end_time/);
    await assert.rejects(r.post(Routes.guildScheduledEvents(GUILD), { body: { ...good, name: 'n'.repeat(101) } }), /name/);
    await assert.rejects(r.post(Routes.guildScheduledEvents(GUILD), { body: { ...good, entity_metadata: { location: 'l'.repeat(101) } } }), /location/);
    await assert.rejects(new REST({ version: '10', api: `http://127.0.0.1:${port}/api`, retries: 0 }).setToken('wrong').get(Routes.guildScheduledEvents(GUILD)), /401|Unauthorized/);
    const ev = await r.post(Routes.guildScheduledEvents(GUILD), { body: good });
    await r.post(Routes.guildScheduledEvents(GUILD), { body: { ...good, name: 'y' } });
    const [a, b] = st.requests.filter((x) => x.method === 'POST').slice(-2).map(comparable);
    assert.notDeepEqual(a, b, 'another name is another request');
    await r.patch(Routes.guildScheduledEvent(GUILD, ev.id), { body: { status: GuildScheduledEventStatus.Canceled } });
    await assert.rejects(r.patch(Routes.guildScheduledEvent(GUILD, ev.id), { body: { status: GuildScheduledEventStatus.Scheduled } }), /status/);
    assert.equal((await r.get(Routes.guildScheduledEvents(GUILD))).length, 1, 'a cancelled event is not listed');
  } finally { server.close(); }
});

test('scheduled_event: created with the announcement, edited on an update, cancelled with the event, as @discordjs/rest sends it', async () => {
  const { server, st } = discord();
  const port = await listen(server);
  const site = makeSite(channel(port, '    bot_token: {env: DB}\n    scheduled_event: true\n'));
  const env = envFor(port, { DB: BOT });
  const file = join(site.dir, '_posts/2030-12-04-gluehwein.md');
  const bot = new REST({ version: '10', api: `http://127.0.0.1:${port}/api`, retries: 0 }).setToken(BOT);
  const posts = () => st.requests.filter((x) => x.path.endsWith('/scheduled-events') && x.method === 'POST');
  const patches = () => st.requests.filter((x) => x.path.includes('/scheduled-events/') && x.method === 'PATCH');
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.events.length, 1);
    const [ev] = st.events;
    assert.equal(ev.name, 'Glühwein & Traits: Rust im Dezember');
    assert.equal(ev.entity_type, GuildScheduledEventEntityType.External);
    assert.equal(ev.privacy_level, GuildScheduledEventPrivacyLevel.GuildOnly);
    assert.equal(new Date(ev.scheduled_start_time).toISOString(), '2030-12-04T18:30:00.000Z', '19:30 in Köln');
    assert.equal(new Date(ev.scheduled_end_time).toISOString(), '2030-12-04T20:30:00.000Z', 'two hours by default');
    assert.equal(ev.entity_metadata.location, 'Kulturkeller Süd, Glühweinweg 3, Köln');
    assert.match(ev.description, /^https:\/\/treff\.example\.net\/2030\/12\/04\/gluehwein\.html\u2063/);
    assert.equal(st.messages.length, 1, 'and the message');
    const mine = posts()[0];
    await bot.post(Routes.guildScheduledEvents(GUILD), { body: mine.body });
    assert.deepEqual(comparable(mine), comparable(posts()[1]));
    st.events.pop();
    // the journal lost: the message and the event found again
    rmSync(join(site.dir, 'journal.db'));
    r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, 1);
    assert.equal(st.events.length, 1, 'not created twice');
    // the event moves: the scheduled event too
    writeFileSync(file, readFileSync(file, 'utf8').replace('2030-12-04 19:30', '2030-12-04 20:00'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-02T12:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(new Date(ev.scheduled_start_time).toISOString(), '2030-12-04T19:00:00.000Z');
    const patch = patches().at(-1);
    assert.equal(patch.path, `/api/v10/guilds/${GUILD}/scheduled-events/${ev.id}`);
    await bot.patch(Routes.guildScheduledEvent(GUILD, ev.id), { body: patch.body });
    assert.deepEqual(comparable(patch), comparable(patches().at(-1)));
    // a reminder leaves it be
    const before = st.requests.length;
    r = await run(['-c', site.config, 'run', '--now', '2030-12-03T20:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!st.requests.slice(before).some((x) => x.path.includes('scheduled-events')), 'a reminder does not touch it');
    // cancelled
    writeFileSync(file, readFileSync(file, 'utf8').replace('location: keller\n', 'location: keller\ncancelled: true\n'));
    r = await run(['-c', site.config, 'run', '--now', '2030-12-04T09:00:00+01:00'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ev.status, GuildScheduledEventStatus.Canceled);
    assert.deepEqual(patches().at(-1).body, { status: GuildScheduledEventStatus.Canceled });
    assert.ok(!(r.stderr + r.stdout).includes(BOT));
  } finally { server.close(); site.cleanup(); }
});

test('scheduled_event without a bot token is a configuration error', async () => {
  const site = makeSite(channel(1, '    scheduled_event: true\n'));
  try {
    const r = await run(['-c', site.config, 'check'], envFor(1));
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /crier\.yaml:\d+: .*'scheduled_event' needs 'bot_token'/);
  } finally { site.cleanup(); }
});

test('scheduled_event: a failed event after the message is retried without the message', async () => {
  const { server, st } = discord({ eventFail: 1 });
  const port = await listen(server);
  const site = makeSite(channel(port, '    bot_token: {env: DB}\n    scheduled_event: true\n'));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], envFor(port, { DB: BOT }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.events.length, 1);
    assert.equal(st.messages.length, 1);
    const hookPosts = st.requests.filter((x) => x.method === 'POST' && x.path.includes('/webhooks/'));
    assert.equal(hookPosts.length, 1, 'the message once');
    const reads = st.requests.filter((x) => x.method === 'GET' && x.path.includes('/channels/'));
    assert.equal(reads.length, 1, 'the retry goes on from the message, not reading the channel again');
    assert.match(JSON.parse(r.stdout)[0].url, /^https:\/\/discord\.com\/channels\//, 'the message\'s link kept');
  } finally { server.close(); site.cleanup(); }
});
