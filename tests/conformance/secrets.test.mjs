// Secret canaries: every secret holds a unique value; with -v and --trace,
// on success and on failure, dry runs included, none of them appears in
// stdout, stderr or the journal file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeSite, run, listen, readBody } from './lib.mjs';

const canaries = {
  MX: 'syt_CANARY_matrix_4f1e9a',
  GH: 'ghp_CANARYgithub7c2d8b11',
  WH: 'whsec_Q0FOQVJZd2ViaG9va3NlY3JldDEyMzQ1Njc4',
  MU: 'CANARY_meetup_token_93b1',
  DB: 'CANARY.discord-bot.5e2c',
  TG: '7012345678:CANARY-telegram-bot-token',
  SB: 'xoxb-CANARY-slack-bot-4411',
  ZK: 'CANARYzulipApiKey5566',
};
// secrets that are (or hold) a URL: the endpoint is itself secret, and so
// is the token in its path, wherever it appears
const urlSecrets = (port) => ({
  // unversioned, as Discord hands it out: crier asks /api/v10/…, so the
  // URL it sends is not the configured one, and only its token matches
  DW: `http://127.0.0.1:${port}/api/webhooks/1180000000000000001/CANARY-discord-webhook-9f3a`,
  SH: `http://127.0.0.1:${port}/services/T0/B0/CANARYslackHOOK`,
});
const pathTokens = ['CANARY-discord-webhook-9f3a', 'CANARYslackHOOK',
  // a Basic credential holds the key: its base64 is a secret too
  Buffer.from('bot@z.example:CANARYzulipApiKey5566').toString('base64')];

function everything(ok) {
  const server = http.createServer(async (req, res) => {
    await readBody(req);
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (!ok) return send(401, { message: `bad credentials ${req.headers.authorization} for ${req.url}`, errcode: 'M_UNKNOWN_TOKEN' });
    if (req.url.includes('/state/')) return send(404, { errcode: 'M_NOT_FOUND' });
    if (req.url.includes('/send/')) return send(200, { event_id: '$e' });
    if (req.url === '/user') return send(200, { login: 'crier-bot' });
    if (req.url.startsWith('/repos') && req.method === 'GET') return send(200, []);
    if (req.url.startsWith('/repos')) return send(201, { number: 1, html_url: 'https://github.com/o/r/issues/1' });
    if (/^\/api\/v10\/webhooks\/\d+\/[^/?]+$/.test(req.url) && req.method === 'GET') return send(200, { id: '1180000000000000001', channel_id: '5', guild_id: '6' });
    if (req.url.startsWith('/api/v10/channels/')) return send(200, []);
    if (req.url.startsWith('/services/')) { res.writeHead(200, { 'content-type': 'text/plain' }); return res.end('ok'); }
    if (req.url.startsWith('/slack/conversations.history')) return send(200, { ok: true, messages: [] });
    if (req.url.startsWith('/slack/chat.postMessage')) return send(200, { ok: true, channel: 'C0123ABCDEF', ts: '1.2' });
    if (req.url.startsWith('/slack/')) return send(200, { ok: true, permalink: 'https://t.slack.com/archives/C0123ABCDEF/p12' });
    if (req.url.startsWith('/zulip/api/v1/messages') && req.method === 'GET') return send(200, { result: 'success', messages: [] });
    if (req.url.startsWith('/zulip/')) return send(200, { result: 'success', id: 42 });
    if (req.url.startsWith('/bot')) return send(200, { ok: true, result: { message_id: 5, chat: { id: -1001, type: 'channel' } } });
    if (req.url.startsWith('/api/v10/webhooks/')) return send(200, { id: '77', channel_id: '5', content: 'x' });
    if (req.url.startsWith('/gql')) return send(200, { data: { createEvent: { event: { id: '1', eventUrl: 'https://m/1' }, errors: null },
      publishEventDraft: { event: { id: '1', eventUrl: 'https://m/1' }, errors: null }, announceEvent: { event: { id: '1', eventUrl: 'https://m/1' }, errors: null } } });
    return send(200, {});
  });
  return server;
}

for (const ok of [true, false]) {
  test(`no canary leaks (${ok ? 'success' : 'failure'} paths)`, async () => {
    const server = everything(ok);
    const port = await listen(server);
    const site = makeSite(
      `  - {name: m, type: matrix, homeserver: 'http://127.0.0.1:${port}', room: '!r:x', access_token: {env: MX}, retries: 0}\n` +
      `  - {name: g, type: github, repo: o/r, token: {env: GH}, api_url: 'http://127.0.0.1:${port}', retries: 0}\n` +
      `  - {name: w, type: webhook, url: 'http://127.0.0.1:${port}/h', secret: {env: WH}, retries: 0}\n` +
      `  - {name: mu, type: meetup, group: g, api_url: 'http://127.0.0.1:${port}/gql', auth: {access_token: {env: MU}}, retries: 0}\n` +
      `  - {name: dc, type: discord, webhook_url: {env: DW}, bot_token: {env: DB}, retries: 0}\n` +
      `  - {name: tg, type: telegram, bot_token: {env: TG}, chat_id: '-1001', api_url: 'http://127.0.0.1:${port}', retries: 0}\n` +
      `  - {name: sl, type: slack, bot_token: {env: SB}, channel: C0123ABCDEF, api_url: 'http://127.0.0.1:${port}/slack', retries: 0}\n` +
      `  - {name: slh, type: slack, webhook_url: {env: SH}, retries: 0}\n` +
      `  - {name: zl, type: zulip, site: 'http://127.0.0.1:${port}/zulip', email: bot@z.example, api_key: {env: ZK}, stream: s, retries: 0}\n`);
    const env = { ...canaries, ...urlSecrets(port) };
    try {
      const outs = [];
      for (const args of [['announce', 'gluehwein', '-v'], ['announce', 'gluehwein', '--trace', '--force'],
        ['announce', 'gluehwein', '--dry-run', '--trace'], ['announce', 'linked', '--trace', '--json'],
        ['status', '--json'], ['preview', 'gluehwein', '--channel', 'w', '--json'],
        ['run', '-v', '--now', '2030-11-20T10:00:00+01:00'], ['run', '--dry-run', '--json', '--now', '2030-11-28T10:00:00+01:00'],
        ['changed', 'linked', '-v', '--now', '2030-11-20T10:00:00+01:00'], ['list', '--json'], ['check', '--json'],
        ['webhook', 'sign', '--secret-env', 'WH', '--id', 'x', '--timestamp', '1', '/dev/null']]) {
        const r = await run(['-c', site.config, ...args], env);
        outs.push(r.stdout, r.stderr);
      }
      const text = outs.join('\n');
      assert.match(text, ok ? /result=sent/ : /result=failed/, 'the runs did their work');
      for (const ch of ['dc', 'tg', 'sl', 'slh', 'zl']) assert.match(text, new RegExp(`channel=${ch} .*result=${ok ? 'sent' : 'failed'}`), `${ch} did its work`);
      assert.match(text, /> POST|> PUT/, '--trace printed requests');
      const files = readdirSync(site.dir).filter((f) => f.startsWith('journal.db'));
      assert.ok(files.length, 'a journal was written');
      const journal = files.map((f) => readFileSync(join(site.dir, f)).toString('latin1')).join('');
      for (const [name, value] of [...Object.entries(env), ...pathTokens.map((t) => ['a token in a URL', t])]) {
        assert.ok(!text.includes(value), `${name} appears in the output`);
        assert.ok(!journal.includes(value), `${name} appears in the journal`);
        const body = value.replace(/^whsec_/, '');
        assert.ok(!text.includes(body), `${name}'s key material appears in the output`);
      }
    } finally { server.close(); site.cleanup(); }
  });
}

// Tokens a server hands out are secrets too: a Meetup token endpoint that
// pretty-prints its answer ("access_token": "…", with spaces) once leaked
// both tokens through --trace, before crier knew them.
test('no server-issued token leaks (Meetup access and refresh tokens)', async () => {
  let n = 0;
  const issued = [];
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString();
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj, null, 2)); };
    if (req.url.startsWith('/oauth2')) {
      const form = new URLSearchParams(body);
      const ok = form.get('refresh_token') === 'CANARY_config_refresh_77' || issued.includes(form.get('refresh_token'));
      if (!ok) return send(400, { error: 'invalid_grant' });
      n++;
      const t = { access_token: `ISSUED_access_${n}_d41d8c`, refresh_token: `ISSUED_refresh_${n}_98f00b` };
      issued.push(t.refresh_token, t.access_token);
      return send(200, { ...t, token_type: 'bearer', expires_in: 3600 });
    }
    // a failing API that echoes the credential it was given
    if (n >= 2) return send(401, { errors: [{ message: `bad token ${req.headers.authorization}` }] });
    return send(200, { data: { createEvent: { event: { id: '1', eventUrl: 'https://m/1' }, errors: null },
      publishEventDraft: { event: { id: '1', eventUrl: 'https://m/1' }, errors: null },
      announceEvent: { event: { id: '1', eventUrl: 'https://m/1' }, errors: null } } });
  });
  const port = await listen(server);
  const site = makeSite(
    `  - {name: mu, type: meetup, group: g, api_url: 'http://127.0.0.1:${port}/gql', token_url: 'http://127.0.0.1:${port}/oauth2', retries: 0,\n` +
    `     auth: {refresh: {client_id: cid, client_secret: {env: MU_SECRET}, refresh_token: {env: MU_REFRESH}}}}\n`);
  const env = { MU_SECRET: 'CANARY_client_secret_41', MU_REFRESH: 'CANARY_config_refresh_77' };
  try {
    const outs = [];
    for (const args of [['announce', 'gluehwein', '--trace'], ['announce', 'gluehwein', '--trace', '--force'],
      ['status', '--json'], ['status']]) {
      const r = await run(['-c', site.config, ...args], env);
      outs.push(r.stdout, r.stderr);
    }
    const text = outs.join('\n');
    assert.ok(issued.length >= 4, 'the token endpoint issued tokens');
    assert.match(text, /< HTTP|HTTP\/1\.1 200/, '--trace printed responses');
    assert.match(text, /bad token/, 'the failure path was taken');
    const files = readdirSync(site.dir).filter((f) => f.startsWith('journal.db'));
    const journal = files.filter((f) => !f.endsWith('.tokens'))
      .map((f) => readFileSync(join(site.dir, f)).toString('latin1')).join('');
    for (const value of [...issued, ...Object.values(env)]) {
      assert.ok(!text.includes(value), `${value} appears in the output`);
      assert.ok(!journal.includes(value), `${value} appears in the journal`);
    }
    // the rotated refresh token is kept apart, readable by the owner only
    const tokens = join(site.dir, 'journal.db.tokens');
    assert.equal(statSync(tokens).mode & 0o777, 0o600);
    assert.match(readFileSync(tokens, 'utf8'), /ISSUED_refresh_2_98f00b/);
  } finally { server.close(); site.cleanup(); }
});
