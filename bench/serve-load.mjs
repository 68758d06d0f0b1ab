// Load on crier serve (not part of the test suite): 200 signed requests —
// 100 Standard Webhooks announce requests, each for another event, and 100
// GitHub pushes, each adding an event — from 20 keep-alive connections on
// 127.0.0.1. A 503 is sent again after its Retry-After (at most 1 s here),
// as a sender would. Checks that every request was answered, that every
// delivery id ended done and that the receiver got each of the 200
// announcements once; prints the latencies (from sending a request to its
// answer; an announce is answered when its delivery is done).
//
//   (cd tests/conformance && npm ci); cmake --build build
//   CRIER=build/crier node bench/serve-load.mjs
import http from 'node:http';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  post, ghHeaders, announceHeaders, receiver, makeRepo, writeConfig, startServe, waitFor, git, sleep,
} from '../tests/conformance/serve_lib.mjs';

const CONNECTIONS = 20, ANNOUNCES = 100, PUSHES = 100;
const date = (i) => new Date(Date.UTC(2031, 0, 7 + 7 * i, 18)).toISOString().slice(0, 10);

const hook = await receiver();
const files = {};
for (let i = 0; i < ANNOUNCES; i++) files[`${date(i)}-announced-${i}.md`] = post(`Announced ${i}`, `${date(i)} 19:00`);
const repo = makeRepo(files);
// the pushes: one commit per event, pushed to origin before the load
const pushes = [];
for (let i = 0; i < PUSHES; i++) {
  const name = `${date(ANNOUNCES + i)}-pushed-${i}.md`;
  const before = git(repo.work, 'rev-parse', 'HEAD');
  writeFileSync(join(repo.work, '_posts', name), post(`Pushed ${i}`, `${date(ANNOUNCES + i)} 19:00`));
  git(repo.work, 'add', '-A');
  git(repo.work, 'commit', '-q', '-m', name);
  const after = git(repo.work, 'rev-parse', 'HEAD');
  pushes.push(JSON.stringify({ ref: 'refs/heads/main', before, after,
    commits: [{ id: after, added: [`_posts/${name}`], modified: [], removed: [] }] }));
}
git(repo.work, 'push', '-q', 'origin', 'main');
const config = writeConfig(repo, [{ name: 'hook', port: hook.port }]);
const srv = await startServe(config, { env: { CRIER_TEST_SERVE_RETRY_MS: '1000' } });

// the 200 requests, interleaved; 20 workers share them
const jobs = [];
for (let i = 0; i < Math.max(ANNOUNCES, PUSHES); i++) {
  if (i < ANNOUNCES) jobs.push({ kind: 'announce', i });
  if (i < PUSHES) jobs.push({ kind: 'push', i });
}
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
async function send(job) {
  let headers, body;
  if (job.kind === 'announce') {
    body = JSON.stringify({ event: `${date(job.i)}-announced-${job.i}`, channels: ['hook'] });
    headers = announceHeaders(`msg_load_${job.i}`, body);
  } else {
    body = pushes[job.i];
    headers = await ghHeaders('push', `push-load-${job.i}`, body);
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port: srv.port, path: job.kind === 'push' ? '/hooks/github' : '/hooks/announce',
      method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, retryAfter: Number(res.headers['retry-after'] || 0) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const lat = { announce: [], push: [] };
const statuses = {};
let busy = 0, errors = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
  for (let job; (job = jobs.shift());) {
    for (;;) {
      let r;
      try { r = await send(job); } catch { errors++; await sleep(100); continue; }
      lat[job.kind].push(r.ms);
      statuses[r.status] = (statuses[r.status] || 0) + 1;
      if (r.status !== 503) { job.status = r.status; break; }
      busy++;
      await sleep(Math.min(r.retryAfter, 1) * 1000);
    }
  }
}));
const answered = performance.now() - t0;
const idle = async () => {
  const h = await new Promise((res) => http.get({ host: '127.0.0.1', port: srv.port, path: '/healthz', agent: false }, (r) => {
    let d = ''; r.on('data', (c) => { d += c; }); r.on('end', () => res(JSON.parse(d)));
  }));
  return h.queue.waiting === 0 && h.queue.running === null ? h : null;
};
let health = null;
await waitFor(async () => (health = await idle()), 120000);
const drained = performance.now() - t0;
await srv.stop();

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const row = (name, a) => `| ${name} | ${a.length} | ${pct(a, 50).toFixed(1)} ms | ${pct(a, 99).toFixed(1)} ms | ${Math.max(...a).toFixed(1)} ms |`;
const distinct = new Set(hook.got.map((g) => g.id)).size;
console.log('| requests | answers | p50 | p99 | max |\n| --- | --- | --- | --- | --- |');
console.log(row('all', [...lat.announce, ...lat.push]));
console.log(row('announce (answered when delivered)', lat.announce));
console.log(row('push (answered 202 at once)', lat.push));
console.log(`\nanswers by status: ${JSON.stringify(statuses)}; 503 then sent again: ${busy}; connection errors: ${errors}`);
console.log(`all answered after ${(answered / 1000).toFixed(2)} s, all work done after ${(drained / 1000).toFixed(2)} s`);
console.log(`healthz: done ${health?.done}, failed ${health?.failed}, retried ${health?.retried}`);
console.log(`receiver: ${distinct} distinct deliveries (${hook.got.length} requests), expected ${ANNOUNCES + PUSHES}`);
const ok = errors === 0 && health && health.done === ANNOUNCES + PUSHES && health.failed === 0 &&
  distinct === ANNOUNCES + PUSHES && hook.got.length === distinct &&
  jobs.length === 0;
console.log(ok ? 'OK: every request answered, none lost, none twice' : 'FAILED');
await hook.close();
rmSync(repo.root, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
