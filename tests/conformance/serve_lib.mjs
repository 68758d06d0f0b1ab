// Helpers for the crier serve tests: a site in a git repository (a bare
// origin, a clone to push from, the checkout crier serves), webhook
// receivers that can hold or fail deliveries, requests signed by
// @octokit/webhooks-methods and standardwebhooks, and the service itself.
import http from 'node:http';
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { sign as ghSign } from '@octokit/webhooks-methods';
import { crier, listen, readBody } from './lib.mjs';

export const HOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const ANNOUNCE_SECRET = 'whsec_' + Buffer.from('announce-secret-for-tests-123456').toString('base64');
export const GH_SECRET = "It's a Secret to Everybody";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls pred (may be async) every 50 ms for at most ms; resolves whether
// it became true.
export async function waitFor(pred, ms = 20000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await pred()) return true;
  return !!(await pred());
}

export async function freePort() {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
export const git = (dir, ...args) => execFileSync('git', ['-C', dir, ...args], { env: gitEnv }).toString().trim();
export const post = (title, date) => `---\ntitle: "${title}"\ndate: ${date}\ntalks: false\n---\nHallo.\n`;

// {status, headers, body} of one request (a fresh connection each time).
// A request that gets no answer in 30 s fails (the tests check order, not
// time: this only keeps a broken service from hanging them).
export function request(port, path, { method = 'POST', headers = {}, body = '', host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method, headers, agent: false, timeout: 30000 }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data ? JSON.parse(data) : null }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} in 30 s`)));
    req.end(body);
  });
}

export const ghHeaders = async (event, id, body, secret = GH_SECRET) => ({
  'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id,
  'x-hub-signature-256': await ghSign(secret, body),
});

export const announceHeaders = (id, body, ts = Math.floor(Date.now() / 1000)) => ({
  'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts),
  'webhook-signature': new Webhook(ANNOUNCE_SECRET).sign(id, new Date(ts * 1000), body),
});

// A signed announce request; resolves {status, headers, body}.
export function announce(port, id, doc) {
  const body = JSON.stringify(doc);
  return request(port, '/hooks/announce', { headers: announceHeaders(id, body), body });
}

// A webhook receiver. got: the verified deliveries ({id, doc}). mode:
// 'ok' (204), 'hold' (a delivery waits until release()), 'fail400',
// 'fail503'. arrived: the deliveries that reached it, verified or not.
export async function receiver() {
  const wh = new Webhook(HOOK_SECRET);
  const r = { got: [], arrived: 0, mode: 'ok', held: [] };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString();
    r.arrived++;
    if (r.mode === 'fail400') return res.writeHead(400).end('{"error":"no"}');
    if (r.mode === 'fail503') return res.writeHead(503).end('{"error":"later"}');
    let doc = null;
    try { wh.verify(body, req.headers); doc = JSON.parse(body); } catch { /* counted as missing */ }
    const finish = () => {
      if (doc) r.got.push({ id: req.headers['webhook-id'], doc });
      res.writeHead(204).end();
    };
    if (r.mode === 'hold') r.held.push(finish); else finish();
  });
  r.port = await listen(server);
  r.release = () => { r.mode = 'ok'; for (const f of r.held.splice(0)) f(); };
  r.close = () => { r.release(); server.closeAllConnections?.(); return new Promise((res) => server.close(res)); };
  // the event ids announced, one entry per distinct webhook-id
  r.announced = () => [...new Map(r.got.map((g) => [g.id, `${g.doc.event.id} ${g.doc.notice}`])).values()];
  return r;
}

// A site repository with its first event files. files: {name: text}.
export function makeRepo(files) {
  const root = mkdtempSync(join(tmpdir(), 'crier-serve-'));
  const origin = join(root, 'origin.git'), site = join(root, 'site'), work = join(root, 'work');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  execFileSync('git', ['clone', '-q', origin, work], { stdio: 'ignore' });
  mkdirSync(join(work, '_posts'));
  git(work, 'checkout', '-q', '-b', 'main');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(work, '_posts', name), text);
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'first');
  git(work, 'push', '-q', 'origin', 'main');
  execFileSync('git', ['clone', '-q', '-b', 'main', origin, site], { stdio: 'ignore' });
  // Commits files (name: text) in the clone, pushes them to origin and
  // returns the body of GitHub's push webhook for it.
  const push = (more, message = 'more') => {
    const before = git(work, 'rev-parse', 'HEAD');
    for (const [name, text] of Object.entries(more)) writeFileSync(join(work, '_posts', name), text);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', 'main');
    const after = git(work, 'rev-parse', 'HEAD');
    return JSON.stringify({ ref: 'refs/heads/main', before, after,
      commits: [{ id: after, added: Object.keys(more).map((n) => `_posts/${n}`), modified: [], removed: [] }] });
  };
  return { root, origin, site, work, posts: join(site, '_posts'), push };
}

// Writes a config for the repo's checkout; channels: [{name, port}] of
// webhook receivers. extra: more lines under serve:.
export function writeConfig(repo, channels, extra = '', name = 'crier.yaml') {
  const path = join(repo.root, name);
  writeFileSync(path,
    `site:\n  events: ${repo.posts}\n  url: https://treff.example.net\njournal: ${join(repo.root, 'journal.db')}\n` +
    `serve:\n  branch: main\n  github_secret: {env: GH_SECRET}\n  announce_secret: {env: ANNOUNCE_SECRET}\n${extra}` +
    'channels:\n' + channels.map((c) => `  - {name: ${c.name}, type: webhook, url: 'http://127.0.0.1:${c.port}/in', secret: {env: HOOK_SECRET}}\n`).join(''));
  return path;
}

export const serveEnv = (more = {}) => ({
  PATH: process.env.PATH, LC_ALL: 'C', GH_SECRET, ANNOUNCE_SECRET, HOOK_SECRET,
  CRIER_TEST_SERVE_TIMEOUT: '2', CRIER_TEST_RETRY_BASE_MS: '20', CRIER_TEST_SERVE_RETRY_MS: '300', ...more,
});

// Starts crier serve; resolves {port, log(), child, exited, stop(signal)}
// once it listens (rejects when it does not).
export async function startServe(config, { env = {}, listenOn } = {}) {
  const port = await freePort();
  const addr = listenOn ? listenOn(port) : `127.0.0.1:${port}`;
  let log = '';
  const child = spawn(crier, ['-c', config, 'serve', '--listen', addr], {
    env: serveEnv(env), stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  let done = false;
  exited.then(() => { done = true; });
  await waitFor(() => log.includes('listening') || done, 10000);
  if (!log.includes('listening')) {
    child.kill('SIGKILL');
    throw new Error(`crier serve did not start:\n${log}`);
  }
  return {
    port, child, exited, log: () => log,
    stop: async (signal = 'SIGTERM') => { if (!done) child.kill(signal); return exited; },
  };
}
