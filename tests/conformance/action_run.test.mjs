// The composite action run as a runner runs it (gha_runner.mjs: its steps,
// conditions, expressions, outputs and the Actions cache), in jobs on
// fresh workspaces cloned from a local bare repository, with push and
// pull_request payloads made from GitHub's own examples
// (@octokit/webhooks-examples) and checked against its webhook schemas
// (@octokit/webhooks-schemas), against a GitHub on loopback that checks
// every request against GitHub's OpenAPI description (@octokit/openapi)
// and a Standard Webhooks receiver (standardwebhooks). Through pushes of
// which one run is "cancelled", a force-push, a lost cache, a pull request
// (a comment created, then edited; from a fork: the summary only),
// scheduled runs (exit 75, a late reminder), two runs that overlap, and a
// sealed Meetup refresh token: every event is announced once, and the
// state on the branch is never overwritten.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, cpSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { root, here, crier, readBody, listen } from './lib.mjs';
import { Validator, deref } from './openapi.mjs';
import { Job, evaluate, condition } from './gha_runner.mjs';
import { SECRET } from './receivers.mjs';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json');
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(require('@octokit/webhooks-schemas/schema.json'), 'webhooks');
const gh = new Validator([{ file: join(here, 'node_modules/@octokit/openapi/generated/api.github.com.json') }]);
const ZERO = '0'.repeat(40);

// ---- payloads: GitHub's examples, changed where a test needs it ----

function valid(schema, doc) {
  const v = ajv.getSchema(`webhooks#/definitions/${schema}`);
  assert.ok(v(doc), `${schema}: ${ajv.errorsText(v.errors)}`);
  return doc;
}
const pushExample = examples.find((e) => e.name === 'push').examples.find((e) => e.ref === 'refs/heads/master');
function pushPayload(before, after, { forced = false } = {}) {
  const p = structuredClone(pushExample);
  Object.assign(p, { ref: 'refs/heads/main', before, after, created: before === ZERO, deleted: false, forced, base_ref: null });
  p.repository.full_name = 'o/r';
  p.head_commit = p.head_commit ? { ...p.head_commit, id: after, tree_id: after } : null;
  return valid('push$event', p);
}
function prPayload(action, { number, base, head, merge, fork = false }) {
  const schema = ajv.getSchema(`webhooks#/definitions/pull_request$${action}`);
  const p = structuredClone(examples.find((e) => e.name === 'pull_request').examples.find((e) => e.action === action && schema(e)));
  p.number = number;
  Object.assign(p.pull_request, { number, merge_commit_sha: merge });
  Object.assign(p.pull_request.base, { sha: base, ref: 'main' });
  Object.assign(p.pull_request.head, { sha: head, ref: 'feature' });
  p.pull_request.base.repo.full_name = 'o/r';
  if (fork) p.pull_request.head.repo = { ...p.pull_request.head.repo, full_name: 'mallory/r', fork: true };
  p.repository.full_name = 'o/r';
  if (action === 'synchronize') Object.assign(p, { before: base, after: head });
  return valid(`pull_request$${action}`, p);
}

// ---- a GitHub and a webhook receiver on loopback ----

function example(op, code) {
  const o = gh.ops.find((x) => x.op.operationId === op);
  return structuredClone(deref(o.op.responses[code].content['application/json'].examples.default, o.file, o.doc).value);
}
const bot = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

function servers() {
  const wh = new Webhook(SECRET);
  const st = { invalid: [], issues: [], comments: [], hooks: [], ids: new Set(), hookStatus: 204, writes: [] };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (url.pathname === '/hook') {
      try { wh.verify(body, req.headers); } catch (e) { st.invalid.push(`webhook: ${e.message}`); return send(401, {}); }
      if (st.hookStatus !== 204) return send(st.hookStatus, {});
      // every delivery counts, a repeat too (a receiver would recognise
      // it by its webhook-id: ids counts those)
      const d = JSON.parse(body);
      st.hooks.push(`${d.event.id} ${d.notice}`);
      st.ids.add(req.headers['webhook-id']);
      return send(204, {});
    }
    const r = gh.validate({ method: req.method, path: url.pathname, query: url.searchParams, body });
    if (!r.ok) { st.invalid.push(`${req.method} ${url.pathname}: ${r.errors.join('; ')}`); return send(422, { message: 'Validation Failed' }); }
    const h = req.headers;
    if (h.accept !== 'application/vnd.github+json' || h['x-github-api-version'] !== '2022-11-28' || !h['user-agent']) {
      st.invalid.push(`${req.method} ${url.pathname}: headers ${JSON.stringify(h)}`);
      return send(400, { message: 'bad headers' });
    }
    const token = (h.authorization || '').replace(/^Bearer /, '');
    if (token !== 'ghs_write' && token !== 'ghs_read') return send(401, { message: 'Bad credentials' });
    const op = r.op.op.operationId;
    const write = req.method !== 'GET';
    if (write && token === 'ghs_read') return send(403, { message: 'Resource not accessible by integration' });
    if (write) st.writes.push(`${op} ${url.pathname}`);
    // an installation token (GITHUB_TOKEN) cannot read /user
    if (op === 'users/get-authenticated') return send(403, { message: 'Resource not accessible by integration' });
    if (op === 'issues/list-for-repo') {
      const labels = (url.searchParams.get('labels') || '').split(',').filter(Boolean);
      return send(200, st.issues.filter((i) => labels.every((l) => i.labels.includes(l))).map((i) => ({ ...example(op, '200')[0], ...i, pull_request: undefined })));
    }
    if (op === 'issues/create') {
      const d = JSON.parse(body);
      const issue = { number: 100 + st.issues.length, title: d.title, body: d.body, labels: d.labels ?? [], user: bot, html_url: `https://github.com/o/r/issues/${100 + st.issues.length}` };
      st.issues.push(issue);
      return send(201, { ...example(op, '201'), ...issue, labels: issue.labels.map((name) => ({ name })) });
    }
    const num = Number(r.values.issue_number);
    if (op === 'issues/list-comments') {
      const per = Number(url.searchParams.get('per_page') || 30), page = Number(url.searchParams.get('page') || 1);
      const all = st.comments.filter((c) => c.issue === num);
      return send(200, all.slice((page - 1) * per, page * per).map((c) => ({ ...example(op, '200')[0], ...c })));
    }
    if (op === 'issues/create-comment') {
      const c = { id: 5000 + st.comments.length, issue: num, body: JSON.parse(body).body, user: bot, html_url: `https://github.com/o/r/pull/${num}#issuecomment-${5000 + st.comments.length}`, edits: 0 };
      st.comments.push(c);
      return send(201, { ...example(op, '201'), ...c });
    }
    if (op === 'issues/update-comment') {
      const c = st.comments.find((x) => x.id === Number(r.values.comment_id));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = JSON.parse(body).body;
      c.edits++;
      return send(200, { ...example(op, '200'), ...c });
    }
    return send(404, { message: 'Not Found' });
  });
  return { server, st };
}

// ---- the site's repository ----

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Orga', GIT_AUTHOR_EMAIL: 'o@x', GIT_COMMITTER_NAME: 'Orga', GIT_COMMITTER_EMAIL: 'o@x', GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir() };
const git = (dir, ...args) => execFileSync('git', ['-C', dir, ...args], { env: gitEnv, encoding: 'utf8' }).trim();
const post = (title, date, extra = '') => `---\ntitle: "${title}"\ndate: ${date}\nlocation: keller\ntalks: false\n${extra}---\nHallo.\n`;

function site(port) {
  const dir = mkdtempSync(join(tmpdir(), 'crier-gha-'));
  const remote = join(dir, 'remote.git');
  const dev = join(dir, 'dev');
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(dir, 'clone', '-q', remote, dev);
  git(dev, 'checkout', '-q', '-b', 'main');
  mkdirSync(join(dev, '_posts'));
  mkdirSync(join(dev, '_data'));
  writeFileSync(join(dev, '_data/locations.yml'), 'keller:\n  name: "Keller"\n  street: "Weg 1"\n  city: "Köln"\n');
  writeFileSync(join(dev, '.gitignore'), '.crier/\n');
  writeFileSync(join(dev, 'crier.yaml'),
    'site:\n  url: https://treff.example.net\n  timezone: Europe/Berlin\njournal: .crier/journal.db\nchannels:\n' +
    `  - {name: hook, type: webhook, url: 'http://127.0.0.1:${port}/hook', secret: {env: W}, lang: en}\n` +
    `  - {name: gh, type: github, repo: o/r, token: {env: GITHUB_TOKEN}, api_url: 'http://127.0.0.1:${port}', lang: en, labels: [meetup], notices: [announce, update, cancel]}\n`);
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  const commit = (msg) => { git(dev, 'add', '-A'); git(dev, 'commit', '-q', '-m', msg); return git(dev, 'rev-parse', 'HEAD'); };
  return { dir, remote, dev, cache, commit, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// The crier under test, where the action's build step finds it in the
// cache (the step then builds nothing): its key from the action's own
// script, the layout of a `cmake --install`.
function seedBuild(cache) {
  const t = mkdtempSync(join(tmpdir(), 'crier-gha-key-'));
  try {
    execFileSync('bash', [join(root, 'scripts/action/build.sh'), 'key'], {
      env: { PATH: process.env.PATH, GITHUB_ACTION_PATH: root, RUNNER_TEMP: t, GITHUB_OUTPUT: join(t, 'out') },
    });
    const key = /^key=(.*)$/m.exec(readFileSync(join(t, 'out'), 'utf8'))[1];
    const entry = join(cache, encodeURIComponent(key));
    mkdirSync(join(entry, 'bin'), { recursive: true });
    copyFileSync(crier, join(entry, 'bin/crier'));
    cpSync(join(root, 'templates'), join(entry, 'share/crier/templates'), { recursive: true });
    return key;
  } finally { rmSync(t, { recursive: true, force: true }); }
}

const env = (now) => ({ W: SECRET, GITHUB_TOKEN: 'ghs_write', CRIER_NOW: now, CRIER_TEST_RETRY_BASE_MS: '20', CRIER_TEST_GITHUB_GAP: '0.001' });
let runId = 1000;
const jobs = [];
after(() => { for (const j of jobs) j.cleanup(); });

function job(s, port, { event, payload, checkout, now, token = 'ghs_write' }) {
  const j = new Job({ actionDir: root, remote: s.remote, eventName: event, payload, checkout, env: env(now), token,
    apiUrl: `http://127.0.0.1:${port}`, repository: 'o/r', cacheStore: s.cache, runId: ++runId });
  jobs.push(j);
  j.checkout();
  return j;
}
const stateTip = (s) => { try { return git(s.remote, 'rev-parse', 'refs/heads/crier-state'); } catch { return null; } };
const failed = (r) => r.steps.filter((x) => x.outcome === 'failure').map((x) => `${x.name}: ${x.stdout}${x.stderr}`).join('\n');

test('the runner\'s expressions follow GitHub\'s rules (negative controls)', () => {
  const ctx = { contexts: { steps: { a: { outputs: { key: '' } }, b: { outputs: {} } }, inputs: { 'state-branch': 'crier-state' }, github: {} }, failed: false };
  assert.equal(evaluate("steps.a.outputs.key != ''", ctx), false);
  assert.equal(evaluate("steps.b.outputs.key != ''", ctx), false, 'a missing output is null, and null == \'\'');
  assert.equal(evaluate("inputs.state-branch == 'CRIER-STATE'", ctx), true, 'strings compare without case');
  assert.equal(evaluate("steps.b.outputs.x || 'dflt'", ctx), 'dflt');
  assert.equal(condition("steps.b.outputs.x == ''", { ...ctx, failed: true }), false, 'success() is implied');
  assert.equal(condition("always() && steps.b.outputs.x == ''", { ...ctx, failed: true }), true);
  assert.throws(() => evaluate('nosuch.context', ctx), /unknown context/);
  assert.throws(() => evaluate("a == 'x", ctx), /cannot read/);
});

test('pushes, a cancelled run, a force-push, a lost cache, pull requests, schedules, overlapping runs', async (t) => {
  const { server, st } = servers();
  const port = await listen(server);
  const s = site(port);
  t.after(() => { server.close(); s.cleanup(); });
  seedBuild(s.cache);
  const P = (f) => join(s.dev, '_posts', f);
  const announced = () => [...st.hooks].sort();
  const push = (before, after, opts) => ({ event: 'push', payload: pushPayload(before, after, opts), checkout: after });

  // 1. the branch is created with one event: it is announced, and the
  // state branch is made
  writeFileSync(P('2031-04-10-async.md'), post('Async', '2031-04-10 19:00'));
  const c1 = s.commit('site');
  git(s.dev, 'push', '-q', 'origin', 'main');
  let j = job(s, port, { ...push(ZERO, c1), now: '2031-03-01T10:00:00+01:00' });
  let r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.equal(r.step('Build crier').outputs.built, 'false', 'crier came from the cache');
  assert.deepEqual(announced(), ['2031-04-10-async announce']);
  if (process.env.CRIER_ACTION_TIMES) for (const x of r.steps) console.log(`# ${x.name}: ${x.outcome} ${x.ms?.toFixed(0)} ms`);
  const state1 = stateTip(s);
  assert.ok(state1, 'the state branch was made');
  assert.equal(r.outputs['state-commit'], state1);
  assert.equal(git(s.remote, 'rev-list', '--count', 'crier-state'), '1');
  assert.deepEqual(git(s.remote, 'ls-tree', '--name-only', 'crier-state').split('\n').sort(), ['README.md', 'journal.db']);

  // 2. a push whose run GitHub cancelled (it never ran), then 3. a push
  // whose run catches up with both
  writeFileSync(P('2031-04-17-open-space.md'), post('Open Space', '2031-04-17 19:00'));
  const c2 = s.commit('E2');
  git(s.dev, 'push', '-q', 'origin', 'main');
  writeFileSync(P('2031-04-24-hack-night.md'), post('Hack Night', '2031-04-24 19:00'));
  const c3 = s.commit('E3');
  git(s.dev, 'push', '-q', 'origin', 'main');
  j = job(s, port, { ...push(c2, c3), now: '2031-03-02T10:00:00+01:00' });
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  if (process.env.CRIER_ACTION_TIMES) for (const x of r.steps) console.log(`# ${x.name}: ${x.outcome} ${x.ms?.toFixed(0)} ms`);
  assert.match(r.step('Run crier').stderr, /changes since [0-9a-f]{12}, the last commit crier finished/);
  assert.deepEqual(announced(), ['2031-04-10-async announce', '2031-04-17-open-space announce', '2031-04-24-hack-night announce']);
  assert.ok(j.log.includes(`cache hit: crier-state-${state1}`), 'the state came from the cache');

  // 4. a force-push: the old head (and the commit the state names) are
  // gone from the repository; nothing is announced twice, the new event
  // once
  writeFileSync(P('2031-05-08-rust-and-c.md'), post('Rust and C', '2031-05-08 19:00'));
  git(s.dev, 'add', '-A');
  git(s.dev, 'commit', '-q', '--amend', '-m', 'E3 and E4');
  const c4 = git(s.dev, 'rev-parse', 'HEAD');
  git(s.dev, 'push', '-q', '--force', 'origin', 'main');
  j = job(s, port, { ...push(c3, c4, { forced: true }), now: '2031-03-03T10:00:00+01:00' });
  assert.throws(() => j.git('cat-file', '-e', `${c3}^{commit}`), 'the fresh checkout does not have the old head');
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.match(r.step('Run crier').stderr, /is not in this checkout \(a force-push\?\), nor is --base: every event counts as changed/);
  assert.deepEqual(announced(), ['2031-04-10-async announce', '2031-04-17-open-space announce', '2031-04-24-hack-night announce', '2031-05-08-rust-and-c announce']);

  // 5. the cache is lost: the state comes from the branch; a changed time
  // is one update, not a second announcement
  rmSync(s.cache, { recursive: true });
  mkdirSync(s.cache);
  seedBuild(s.cache);
  writeFileSync(P('2031-04-10-async.md'), post('Async', '2031-04-10 19:30'));
  const c5 = s.commit('E1 later');
  git(s.dev, 'push', '-q', 'origin', 'main');
  j = job(s, port, { ...push(c4, c5), now: '2031-03-04T10:00:00+01:00' });
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.ok(j.log.some((l) => l.startsWith('cache miss: crier-state-')), 'the cache was empty');
  assert.match(r.step('Restore the state').stdout, /from the branch crier-state/);
  assert.deepEqual(announced().filter((x) => x.startsWith('2031-04-10')), ['2031-04-10-async announce', '2031-04-10-async update']);
  assert.equal(st.issues.length, 4, 'one issue per event');
  assert.equal(st.comments.filter((c) => c.issue === 100).length, 1, 'the update as a comment on the first issue');

  // 6. a pull request: the check, one comment with the preview; nothing
  // sent, no state written
  git(s.dev, 'checkout', '-q', '-b', 'feature');
  writeFileSync(P('2031-05-15-embedded.md'), post('Embedded', '2031-05-15 19:00'));
  writeFileSync(P('2031-04-17-open-space.md'), post('Open Space', '2031-04-17 18:30'));
  let prHead = s.commit('E5, E2 earlier');
  const pullRefs = () => {
    git(s.dev, 'push', '-q', 'origin', 'feature', `feature:refs/pull/7/head`);
    git(s.dev, 'checkout', '-q', '--detach', 'main');
    git(s.dev, 'merge', '-q', '--no-ff', '-m', 'Merge feature', 'feature');
    const merge = git(s.dev, 'rev-parse', 'HEAD');
    git(s.dev, 'push', '-q', '--force', 'origin', 'HEAD:refs/pull/7/merge');
    git(s.dev, 'checkout', '-q', 'feature');
    return merge;
  };
  let merge = pullRefs();
  const before = { hooks: st.hooks.length, issues: st.issues.length, state: stateTip(s) };
  const pr = (action, opts = {}) => ({ event: 'pull_request', payload: prPayload(action, { number: 7, base: c5, head: prHead, merge, ...opts }), checkout: 'refs/pull/7/merge' });
  j = job(s, port, { ...pr('opened'), now: '2031-03-05T10:00:00+01:00' });
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.deepEqual(st.invalid, []);
  let mine = st.comments.filter((c) => c.issue === 7);
  assert.equal(mine.length, 1, 'one comment');
  assert.match(mine[0].body, /^<!-- crier:preview -->\n### crier: what merging this pull request sends/);
  assert.match(mine[0].body, /\*\*crier check\*\* of 2 changed event files: no errors\./);
  assert.match(mine[0].body, /#### `2031-05-15-embedded`: announce/);
  assert.match(mine[0].body, /#### `2031-04-17-open-space`: update/);
  assert.match(mine[0].body, /<b>hook<\/b> \(webhook, en\): <code>Changed: Open Space/);
  assert.match(mine[0].body, /- \*\*Time:\*\* 19:00 → \*\*18:30\*\*/);
  assert.ok(!/2031-04-10-async/.test(mine[0].body), 'what the pull request does not touch is not shown');
  assert.match(j.summary, /#### `2031-05-15-embedded`: announce/, 'the summary has it too');
  assert.equal(r.outputs['comment-url'], mine[0].html_url);
  assert.deepEqual({ hooks: st.hooks.length, issues: st.issues.length, state: stateTip(s) }, before, 'nothing sent, no state written');
  assert.match(r.step('Save the state').stdout, /nothing is saved from a pull request/);

  // 7. another push to the pull request, with a broken event file: the
  // same comment is edited; the check fails the step with an annotation
  writeFileSync(P('2031-05-22-broken.md'), '---\ntitle: "Broken"\ndate: 2031-02-30 19:00\nlocation: keller\n---\n');
  writeFileSync(P('2031-05-29-more.md'), post('More', '2031-05-29 19:00'));
  const prev = prHead;
  prHead = s.commit('E6, and a broken one');
  merge = pullRefs();
  j = job(s, port, { ...pr('synchronize', { base: prev }), now: '2031-03-05T11:00:00+01:00' });
  r = await j.run({ command: 'changed' });
  assert.ok(!r.ok, 'a broken event file fails the check');
  assert.equal(r.step('Run crier').code, 65);
  assert.ok(j.annotations.some((a) => a.level === 'error' && /file=_posts\/2031-05-22-broken.md,line=3/.test(a.props)), JSON.stringify(j.annotations));
  mine = st.comments.filter((c) => c.issue === 7);
  assert.equal(mine.length, 1, 'still one comment');
  assert.equal(mine[0].edits, 1, 'edited once');
  assert.match(mine[0].body, /\*\*errors\*\* \(exit 65\)/);
  assert.match(mine[0].body, /_posts\/2031-05-22-broken.md:3: error: /);
  assert.match(mine[0].body, /#### `2031-05-29-more`: announce/);
  assert.equal(stateTip(s), before.state);
  rmSync(P('2031-05-22-broken.md'));
  prHead = s.commit('no broken file');
  merge = pullRefs();

  // 8. from a fork, with a read-only token: the summary only
  j = job(s, port, { ...pr('synchronize', { fork: true }), now: '2031-03-05T12:00:00+01:00', token: 'ghs_read' });
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.ok(j.annotations.some((a) => a.level === 'notice' && /may not comment/.test(a.message)));
  assert.match(j.summary, /#### `2031-05-29-more`: announce/);
  assert.equal(st.comments.filter((c) => c.issue === 7)[0].edits, 1, 'not edited with a read-only token');
  assert.deepEqual(st.invalid, []);

  // 9. merged: what the preview showed goes out, once
  git(s.dev, 'checkout', '-q', 'main');
  git(s.dev, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #7', 'feature');
  const c9 = git(s.dev, 'rev-parse', 'HEAD');
  git(s.dev, 'push', '-q', 'origin', 'main');
  j = job(s, port, { ...push(c5, c9), now: '2031-03-06T10:00:00+01:00' });
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.deepEqual(announced(), [
    '2031-04-10-async announce', '2031-04-10-async update', '2031-04-17-open-space announce', '2031-04-17-open-space update',
    '2031-04-24-hack-night announce', '2031-05-08-rust-and-c announce', '2031-05-15-embedded announce', '2031-05-29-more announce']);

  // 10. scheduled: the catch-up and `crier run`. The receiver fails for
  // a while: exit 75 is a warning, the run is green, the state is kept
  const schedule = { event: 'schedule', payload: { schedule: '41 * * * *' }, checkout: 'main' };
  st.hookStatus = 503;
  j = job(s, port, { ...schedule, now: '2031-04-03T22:41:00+02:00' });
  r = await j.run({ command: 'changed' });
  assert.ok(r.ok, failed(r));
  assert.match(r.step('Run crier').stderr, /no event files changed/);
  r = await j.run({ command: 'run' });
  assert.ok(r.ok, `exit 75 is not a failure: ${failed(r)}`);
  assert.equal(r.step('Run crier').code, 0);
  assert.ok(j.annotations.some((a) => a.level === 'warning' && /exit 75/.test(a.message)), JSON.stringify(j.annotations));
  assert.notEqual(stateTip(s), before.state, 'the failed attempt is recorded');
  // an hour later it goes out, 4 h 41 min after it was due: a warning,
  // and a table in the summary
  st.hookStatus = 204;
  j = job(s, port, { ...schedule, now: '2031-04-03T23:41:00+02:00' });
  r = await j.run({ command: 'run' });
  assert.ok(r.ok, failed(r));
  assert.ok(st.hooks.includes('2031-04-10-async reminder-7d'));
  assert.ok(j.annotations.some((a) => a.level === 'warning' && /reminder-7d of 2031-04-10-async on hook \(en\) went out 4h11m late: it was due at 2031-04-03T19:30:00\+02:00/.test(a.message)), JSON.stringify(j.annotations));
  assert.match(j.summary, /Reminders that went out late/);
  assert.match(j.summary, /\| 2031-04-10-async \| reminder-7d \| hook \| en \| 2031-04-03T19:30:00\+02:00 \| 4h11m \|/);

  assert.equal(st.ids.size, st.hooks.length, 'no delivery was repeated');

  // 11. two runs that overlap (outside the concurrency group): the second
  // to save finds the branch moved; its journal goes to a branch of its
  // own, the step fails, the first one's state stays
  writeFileSync(P('2031-06-05-summer.md'), post('Summer', '2031-06-05 19:00'));
  const c11 = s.commit('E7');
  git(s.dev, 'push', '-q', 'origin', 'main');
  const a = job(s, port, { ...push(c9, c11), now: '2031-04-04T10:00:00+02:00' });
  const b = job(s, port, { ...push(c9, c11), now: '2031-04-04T10:00:00+02:00' });
  let ra;
  const rb = await b.run({ command: 'changed' }, { before: { 'Save the state': async () => { ra = await a.run({ command: 'changed' }); } } });
  assert.ok(ra.ok, failed(ra));
  assert.ok(!rb.ok);
  assert.equal(stateTip(s), ra.outputs['state-commit'], 'the first state stays');
  assert.ok(b.annotations.some((x) => x.level === 'error' && /crier-state-conflict-\d+-1/.test(x.message)), JSON.stringify(b.annotations));
  const side = /branch (crier-state-conflict-\d+-1)/.exec(b.annotations.find((x) => x.level === 'error').message)[1];
  assert.ok(git(s.remote, 'rev-parse', side), 'the second journal is kept');
  // the overlap made crier send it twice; the receiver knows the repeat
  // by its webhook-id (this is what the concurrency group prevents)
  assert.equal(st.hooks.filter((x) => x === '2031-06-05-summer announce').length, 2);
  assert.equal(st.ids.size, st.hooks.length - 1);
  assert.equal(st.issues.filter((i) => i.title.startsWith('Summer')).length, 1, 'GitHub by its marker: once');
  assert.deepEqual(st.invalid, []);
  // no token in any step's output, summary or annotation
  for (const x of jobs.filter((y) => y.o.repository === 'o/r'))
    assert.ok(!JSON.stringify([x.summary, x.annotations, x.outputsSeen]).includes('ghs_'), 'a token was printed');
});

test('the Meetup refresh token is committed only sealed, and comes back', async (t) => {
  const { server, st } = servers();
  const port = await listen(server);
  const s = site(port);
  t.after(() => { server.close(); s.cleanup(); });
  seedBuild(s.cache);
  writeFileSync(join(s.dev, '_posts/2031-04-10-async.md'), post('Async', '2031-04-10 19:00'));
  const c1 = s.commit('site');
  git(s.dev, 'push', '-q', 'origin', 'main');
  const key = execFileSync('openssl', ['rand', '-base64', '32'], { encoding: 'utf8' }).trim();
  const token = 'rt-0123456789-refresh-secret';
  const tokens = (j) => join(j.workspace, '.crier/journal.db.tokens');
  const push = { event: 'push', payload: pushPayload(ZERO, c1), checkout: c1 };
  // crier's meetup channel would write the rotated token during the run
  const writeToken = (j, v) => ({ before: { 'Save the state': async () => writeFileSync(tokens(j), JSON.stringify({ 'meetup:mu': v }), { mode: 0o600 }) } });

  // without a key: not kept, with a warning that says what to do
  let j = job(s, port, { ...push, now: '2031-03-01T10:00:00+01:00' });
  let r = await j.run({ command: 'changed' }, writeToken(j, token));
  assert.ok(r.ok, failed(r));
  assert.ok(j.annotations.some((a) => a.level === 'warning' && /not kept: the state-key input is empty.*JWT flow/.test(a.message)));
  assert.ok(!git(s.remote, 'ls-tree', '--name-only', 'crier-state').includes('tokens.sealed'));
  assert.deepEqual(st.hooks, ['2031-04-10-async announce']);

  // with a key: sealed on the branch, never in plain text
  j = job(s, port, { ...push, now: '2031-03-01T11:00:00+01:00' });
  r = await j.run({ command: 'run', 'state-key': key }, writeToken(j, token));
  assert.ok(r.ok, failed(r));
  const sealed = execFileSync('git', ['-C', s.remote, 'cat-file', 'blob', 'crier-state:tokens.sealed']);
  assert.ok(sealed.length > 40 && !sealed.includes(token), 'sealed');
  for (const f of git(s.remote, 'ls-tree', '--name-only', 'crier-state').split('\n'))
    assert.ok(!execFileSync('git', ['-C', s.remote, 'cat-file', 'blob', `crier-state:${f}`]).includes(token), `${f} holds no token`);
  const sealedState = stateTip(s);

  // the next run has it back, readable only by its owner; unchanged, it
  // makes no new commit
  j = job(s, port, { ...push, now: '2031-03-01T12:00:00+01:00' });
  let seen;
  r = await j.run({ command: 'run', 'state-key': key }, { before: { 'Run crier': async () => { seen = readFileSync(tokens(j), 'utf8'); } } });
  assert.ok(r.ok, failed(r));
  assert.equal(JSON.parse(seen)['meetup:mu'], token);
  assert.equal(execFileSync('stat', ['-c', '%a', tokens(j)], { encoding: 'utf8' }).trim(), '600');
  assert.equal(stateTip(s), sealedState, 'nothing changed: no commit');

  // a run without the key keeps the sealed token as it is; a wrong key
  // is an error, not a lost token
  j = job(s, port, { ...push, now: '2031-03-01T13:00:00+01:00' });
  r = await j.run({ command: 'run' });
  assert.ok(r.ok, failed(r));
  assert.ok(j.annotations.some((a) => a.level === 'warning' && /holds sealed tokens/.test(a.message)));
  assert.equal(stateTip(s), sealedState);
  j = job(s, port, { ...push, now: '2031-03-01T14:00:00+01:00' });
  r = await j.run({ command: 'run', 'state-key': execFileSync('openssl', ['rand', '-base64', '32'], { encoding: 'utf8' }).trim() });
  assert.ok(!r.ok);
  assert.equal(r.step('Restore the state').code, 78);
  assert.equal(r.step('Run crier').outcome, 'skipped', 'crier does not run without its token');
  assert.equal(stateTip(s), sealedState);
  for (const x of jobs) assert.ok(!x.outputsSeen.includes(key) && !x.outputsSeen.includes(token), 'a secret was printed');
});

test('crier is built once per version and runner image, then comes from the cache', async (t) => {
  const { server } = servers();
  const port = await listen(server);
  const s = site(port);
  t.after(() => { server.close(); s.cleanup(); });
  writeFileSync(join(s.dev, '_posts/2031-04-10-async.md'), post('Async', '2031-04-10 19:00'));
  const c1 = s.commit('site');
  git(s.dev, 'push', '-q', 'origin', 'main');
  const push = { event: 'push', payload: pushPayload(ZERO, c1), checkout: c1, now: '2031-03-01T10:00:00+01:00' };
  let j = job(s, port, push);
  let r = await j.run({ command: 'check', 'state-branch': '' });
  assert.ok(r.ok, failed(r));
  assert.equal(r.step('Build crier').outputs.built, 'true');
  assert.ok(j.log.some((l) => l.startsWith('cache saved: crier-bin-')));
  assert.equal(r.step('Find the state').outcome, 'skipped');
  j = job(s, port, push);
  r = await j.run({ command: 'check', 'state-branch': '' });
  assert.ok(r.ok, failed(r));
  assert.equal(r.step('Build crier').outputs.built, 'false', 'not built again');
  assert.match(r.step('Run crier').stderr, /checked 1 event file: 0 errors/);
  // its libraries are the ones kept beside it, not the system's
  const bin = join(j.temp, 'crier-bin/bin/crier');
  const ldd = execFileSync('ldd', [bin], { encoding: 'utf8' });
  assert.ok(!/not found/.test(ldd), ldd);
  // check --json opens Jansson: the loader finds the one beside crier
  const opened = spawnSync(bin, ['check', '--json'], { cwd: s.dev, encoding: 'utf8', env: { ...process.env, LD_DEBUG: 'libs' } });
  assert.equal(opened.status, 0, opened.stderr);
  assert.match(opened.stderr, new RegExp(`calling init: ${j.temp}/crier-bin/bin/\\.\\./lib/libjansson\\.so\\.\\d+`));
  // and those it opens when a command needs them, under their SONAMEs
  for (const so of ['libcurl.so.4', 'libsqlite3.so.0', 'libcmark.so.0.30.2', 'libunistring.so.2', 'libsodium.so.23', 'libjansson.so.4', 'libyaml-0.so.2'])
    assert.ok(existsSync(join(j.temp, 'crier-bin/lib', so)), `${so} is not kept beside crier`);
});
