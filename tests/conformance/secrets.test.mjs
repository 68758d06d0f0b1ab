// Secret canaries: every secret holds a unique value; with -v and --trace,
// on success and on failure, dry runs included, none of them appears in
// stdout, stderr or the journal file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeSite, run, listen, readBody } from './lib.mjs';

const canaries = {
  MX: 'syt_CANARY_matrix_4f1e9a',
  GH: 'ghp_CANARYgithub7c2d8b11',
  WH: 'whsec_Q0FOQVJZd2ViaG9va3NlY3JldDEyMzQ1Njc4',
  MU: 'CANARY_meetup_token_93b1',
};

function everything(ok) {
  const server = http.createServer(async (req, res) => {
    await readBody(req);
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (!ok) return send(401, { message: `bad credentials ${req.headers.authorization}`, errcode: 'M_UNKNOWN_TOKEN' });
    if (req.url.includes('/state/')) return send(404, { errcode: 'M_NOT_FOUND' });
    if (req.url.includes('/send/')) return send(200, { event_id: '$e' });
    if (req.url.startsWith('/repos') && req.method === 'GET') return send(200, []);
    if (req.url.startsWith('/repos')) return send(201, { number: 1, html_url: 'https://github.com/o/r/issues/1' });
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
      `  - {name: mu, type: meetup, group: g, api_url: 'http://127.0.0.1:${port}/gql', auth: {access_token: {env: MU}}, retries: 0}\n`);
    try {
      const outs = [];
      for (const args of [['announce', 'gluehwein', '-v'], ['announce', 'gluehwein', '--trace', '--force'],
        ['announce', 'gluehwein', '--dry-run', '--trace'], ['announce', 'linked', '--trace', '--json'],
        ['status', '--json'], ['preview', 'gluehwein', '--channel', 'w', '--json'],
        ['run', '-v', '--now', '2030-11-20T10:00:00+01:00'], ['run', '--dry-run', '--json', '--now', '2030-11-28T10:00:00+01:00'],
        ['changed', 'linked', '-v', '--now', '2030-11-20T10:00:00+01:00'], ['list', '--json'], ['check', '--json'],
        ['webhook', 'sign', '--secret-env', 'WH', '--id', 'x', '--timestamp', '1', '/dev/null']]) {
        const r = await run(['-c', site.config, ...args], canaries);
        outs.push(r.stdout, r.stderr);
      }
      const text = outs.join('\n');
      assert.match(text, ok ? /result=sent/ : /result=failed/, 'the runs did their work');
      assert.match(text, /> POST|> PUT/, '--trace printed requests');
      const files = readdirSync(site.dir).filter((f) => f.startsWith('journal.db'));
      assert.ok(files.length, 'a journal was written');
      const journal = files.map((f) => readFileSync(join(site.dir, f)).toString('latin1')).join('');
      for (const [name, value] of Object.entries(canaries)) {
        assert.ok(!text.includes(value), `${name} appears in the output`);
        assert.ok(!journal.includes(value), `${name} appears in the journal`);
        const body = value.replace(/^whsec_/, '');
        assert.ok(!text.includes(body), `${name}'s key material appears in the output`);
      }
    } finally { server.close(); site.cleanup(); }
  });
}
