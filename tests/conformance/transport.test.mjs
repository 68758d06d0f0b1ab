// announce sends through its transport: a second process (crier-transport)
// that opens libcurl while crier reads the site and the journal. Checked
// against an endpoint that answers slowly, with signals landing while the
// POST is under way: Ctrl-C (SIGINT to the whole process group) lets the
// POST finish and be recorded, and takes the transport along; the
// transport killed alone is a connection lost under way (the webhook goes
// again under the same webhook-id, which the receiver dedups on), and crier
// goes on without it; crier killed takes its transport with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { makeSite, run, listen, readBody, crier } from './lib.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const env = { W: SECRET };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A webhook receiver that verifies each POST (Standard Webhooks), records
// its webhook-id, and answers after `delay` ms.
function receiver(delay) {
  const wh = new Webhook(SECRET);
  const st = { ids: [], invalid: 0 };
  let arrived;
  st.arrived = new Promise((r) => { arrived = r; });
  st.server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    try { wh.verify(body, req.headers); } catch { st.invalid++; res.writeHead(401).end(); return; }
    st.ids.push(req.headers['webhook-id']);
    arrived();
    await sleep(delay);
    if (!res.destroyed) res.writeHead(204).end();
  });
  return st;
}

// The process IDs of pid's children (Linux).
function children(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}

// Whether pid is a live process (a zombie is not).
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch { return false; }
}

function name(pid) {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; }
}

async function statusOf(site) {
  const s = await run(['-c', site.config, 'status', '--json'], env);
  return JSON.parse(s.stdout).filter((r) => r.channel === 'w' && r.notice === 'announce');
}

async function setup(delay) {
  const st = receiver(delay);
  const port = await listen(st.server);
  const site = makeSite(`  - {name: w, type: webhook, url: 'http://127.0.0.1:${port}/hook', secret: {env: W}}\n`);
  return { st, site, done: () => { st.server.closeAllConnections?.(); st.server.close(); site.cleanup(); } };
}

// `crier announce` of the site's first event, spawned with extra options.
function announce(site, opts) {
  return spawn(crier, ['-c', site.config, 'announce', 'gluehwein'], {
    env: { PATH: process.env.PATH, LC_ALL: 'C', TZ: 'UTC', ...env },
    ...opts,
  });
}

test('Ctrl-C while the POST is under way: it finishes and is recorded, and the transport ends with crier', async () => {
  const { st, site, done } = await setup(800);
  try {
    // a process group of its own, as a terminal's job
    const child = announce(site, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    // 'exit', not 'close': the transport holds crier's stderr, so by
    // 'close' it has ended anyway; crier must have reaped it by its exit
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const closed = new Promise((r) => child.on('close', r));
    await st.arrived;
    const kids = children(child.pid);
    assert.deepEqual(kids.map(name), ['crier-transport'], 'one transport process');
    process.kill(-child.pid, 'SIGINT');
    const r = await exited;
    assert.equal(alive(kids[0]), false, 'the transport has ended when crier has');
    await closed;
    assert.equal(r.signal, null, stderr);
    assert.match(stderr, /stopped by a signal/);
    assert.deepEqual((await statusOf(site)).map((x) => x.status), ['sent'], stderr);
    assert.equal(st.ids.length, 1);
    assert.equal(st.invalid, 0);
  } finally { done(); }
});

test('the transport killed with the POST under way: a lost connection, sent again under the same webhook-id', async () => {
  const { st, site, done } = await setup(500);
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env, {
      onSpawn: (child) => st.arrived.then(() => {
        const kids = children(child.pid);
        assert.deepEqual(kids.map(name), ['crier-transport']);
        process.kill(kids[0], 'SIGKILL');
      }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /transport process .*ended/);
    assert.deepEqual((await statusOf(site)).map((x) => x.status), ['sent'], r.stderr);
    assert.ok(st.ids.length >= 2, `sent again: ${st.ids.length}`);
    assert.equal(new Set(st.ids).size, 1, 'one webhook-id: the receiver takes it once');
  } finally { done(); }
});

test('crier killed with the POST under way: its transport does not outlive it', async () => {
  const { st, site, done } = await setup(3000);
  try {
    const child = announce(site, { stdio: ['ignore', 'ignore', 'pipe'] });
    // 'exit', not 'close': the transport holds crier's stderr until it
    // ends, and must end within moments of crier, not when its request does
    const exited = new Promise((r) => child.on('exit', (code, signal) => r(signal)));
    const closed = new Promise((r) => child.on('close', r));
    await st.arrived;
    const [kid] = children(child.pid);
    assert.ok(kid > 0 && name(kid) === 'crier-transport', 'a transport runs');
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    for (let i = 0; i < 50 && alive(kid); i++) await sleep(20);
    assert.equal(alive(kid), false, 'the transport is gone within a second');
    await closed;
    // the POST may have reached the endpoint: the next announce does not
    // guess, and never posts it under a new id
    await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(new Set(st.ids).size, 1);
  } finally { done(); }
});
