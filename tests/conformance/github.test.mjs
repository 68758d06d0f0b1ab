// GitHub issues: every request is validated against GitHub's own OpenAPI
// description (@octokit/openapi) with ajv, and answered from the
// description's examples; dedup by marker survives a lost journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { makeSite, run, listen, readBody, here } from './lib.mjs';
import { Validator, deref } from './openapi.mjs';

const file = join(here, 'node_modules/@octokit/openapi/generated/api.github.com.json');
let validator;
const v = () => (validator ??= new Validator([{ file }]));

function example(op, code) {
  const ex = v().ops.find((o) => o.op.operationId === op);
  const e = ex.op.responses[code].content['application/json'].examples.default;
  return structuredClone(deref(e, ex.file, ex.doc).value);
}

// A GitHub: validates, records, keeps issues and comments.
function github(opts = {}) {
  const st = { requests: [], invalid: [], issues: [], comments: new Map(), writes: [] };
  for (let i = 1; i <= (opts.preexisting ?? 0); i++)
    st.issues.push({ number: i, title: `old ${i}`, body: `old issue ${i}`, labels: ['meetup'], html_url: `https://github.com/o/r/issues/${i}` });
  for (const f of opts.foreign ?? []) st.issues.push(f);
  if (opts.pullRequest) st.issues.push({ number: 99, title: 'a PR', body: opts.pullRequest, labels: ['meetup'], pull_request: {}, html_url: 'https://github.com/o/r/pull/99' });
  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const r = v().validate({ method: req.method, path: url.pathname, query: url.searchParams, body });
    st.requests.push({ method: req.method, path: url.pathname, query: url.search, body, headers: req.headers });
    const send = (code, obj, headers = {}) => { res.writeHead(code, { 'content-type': 'application/json', ...headers }); res.end(JSON.stringify(obj)); };
    const h = req.headers;
    if (!r.ok) { st.invalid.push(`${req.method} ${url.pathname}: ${r.errors.join('; ')}`); return send(422, { message: 'Validation Failed', errors: r.errors }); }
    if (h.accept !== 'application/vnd.github+json' || h['x-github-api-version'] !== '2022-11-28' || !h['user-agent'])
      { st.invalid.push('headers: ' + JSON.stringify(h)); return send(400, { message: 'bad headers' }); }
    if (h.authorization !== 'Bearer ghp_testtoken') return send(401, { message: 'Bad credentials' });
    if (opts.readOnly && req.method === 'POST') return send(403, { message: 'Resource not accessible by integration' });
    if (opts.rateLimitOnce && !st.limited) {
      st.limited = true;
      return send(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1) });
    }
    const op = r.op.op.operationId;
    if (op === 'users/get-authenticated') return send(200, { login: opts.login ?? 'octocat', id: 583231, type: 'User' });
    if (op === 'issues/list-for-repo') {
      const labels = (url.searchParams.get('labels') || '').split(',').filter(Boolean);
      const all = st.issues.filter((i) => labels.every((l) => i.labels.includes(l)));
      const per = 2, page = Number(url.searchParams.get('page') || 1);
      const items = all.slice((page - 1) * per, page * per).map((i) => ({ ...example('issues/list-for-repo', '200')[0], ...i, pull_request: i.pull_request }));
      const headers = {};
      if (opts.linkTo) headers.link = `<${opts.linkTo(server.address().port)}>; rel="next"`;
      else if (page * per < all.length) {
        const next = new URL(req.url, `http://127.0.0.1:${server.address().port}`);
        next.searchParams.set('page', page + 1);
        headers.link = `<${next}>; rel="next", <${next}>; rel="last"`;
      }
      return send(200, items, headers);
    }
    if (op === 'issues/create') {
      const doc = JSON.parse(body);
      const n = st.issues.length + 1 + 100;
      const issue = { number: n, title: doc.title, body: doc.body, labels: doc.labels || [], html_url: `https://github.com/o/r/issues/${n}` };
      st.issues.push(issue);
      st.writes.push({ started, ended: Date.now() });
      return send(201, { ...example('issues/create', '201'), ...issue, labels: issue.labels.map((l) => ({ name: l })) });
    }
    const num = Number(r.values.issue_number);
    if (op === 'issues/list-comments') {
      return send(200, (st.comments.get(num) || []).map((c) => ({ ...example('issues/list-comments', '200')[0], ...c })));
    }
    if (op === 'issues/create-comment') {
      const list = st.comments.get(num) || [];
      const c = { id: 1000 + list.length, body: JSON.parse(body).body, html_url: `https://github.com/o/r/issues/${num}#issuecomment-${1000 + list.length}` };
      list.push(c);
      st.comments.set(num, list);
      st.writes.push({ started, ended: Date.now() });
      return send(201, { ...example('issues/create-comment', '201'), ...c });
    }
    return send(404, { message: 'Not Found' });
  });
  return { server, st };
}

const channel = (port, extra = '') =>
  `  - name: gh\n    type: github\n    repo: example/treff\n    token: {env: GH_TOKEN}\n` +
  `    api_url: http://127.0.0.1:${port}\n    labels: [meetup]\n    lang: en\n    retries: 2\n${extra}`;
const env = { GH_TOKEN: 'ghp_testtoken' };

test('the validator rejects bad requests (negative controls)', () => {
  const ok = v().validate({ method: 'POST', path: '/repos/o/r/issues', body: '{"title":"t","body":"b","labels":["x"]}' });
  assert.equal(ok.ok, true, ok.errors.join());
  const noTitle = v().validate({ method: 'POST', path: '/repos/o/r/issues', body: '{"body":"b"}' });
  assert.equal(noTitle.ok, false, 'create-issue without a title');
  assert.equal(v().validate({ method: 'POST', path: '/repos/o/r/issues', body: '{"title":"t","labels":"x"}' }).ok, false, 'labels must be a list');
  assert.equal(v().validate({ method: 'POST', path: '/repos/o/r/issues/7/comments', body: '{}' }).ok, false, 'comment without body');
  assert.equal(v().validate({ method: 'POST', path: '/repos/o/r/issues/x/comments', body: '{"body":"b"}' }).ok, false, 'issue number must be an integer');
  assert.equal(v().validate({ method: 'PUT', path: '/repos/o/r/issues', body: '{}' }).ok, false, 'wrong method');
});

test('announce creates one issue; a lost journal does not make a second', async () => {
  const { server, st } = github({ preexisting: 5, pullRequest: 'not an issue' });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    const created = st.issues.filter((i) => i.number > 100);
    assert.equal(created.length, 1);
    assert.match(created[0].title, /^Glühwein & Traits: Rust im Dezember \(Wed, 4 Dec 2030\)$/);
    assert.deepEqual(created[0].labels, ['meetup']);
    assert.match(created[0].body, /<!-- crier:key=[0-9a-f]{64} -->/);
    assert.equal(JSON.parse(r.stdout)[0].url, created[0].html_url);
    assert.ok(st.requests.some((x) => x.query.includes('labels=meetup') && x.query.includes('state=all')));
    // the journal is lost (a CI cache miss): the marker is found on page 4
    rmSync(join(site.dir, 'journal.db'));
    const n = st.requests.length;
    const again = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.issues.filter((i) => i.number > 100).length, 1, 'no second issue');
    assert.equal(JSON.parse(again.stdout)[0].url, created[0].html_url);
    assert.ok(st.requests.slice(n).filter((x) => x.method === 'GET').length >= 4, 'paged through the list');
  } finally { server.close(); site.cleanup(); }
});

test('mode comment: one comment on the planning issue, even without the journal', async () => {
  const { server, st } = github();
  const port = await listen(server);
  const site = makeSite(channel(port, '    mode: comment\n'));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(st.invalid, []);
    assert.equal(st.comments.get(7).length, 1);
    assert.match(st.comments.get(7)[0].body, /^### Glühwein/);
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.comments.get(7).length, 1);
  } finally { server.close(); site.cleanup(); }
});

test('read-only tokens are explained; rate limits are waited out', async () => {
  let gh = github({ readOnly: true });
  let port = await listen(gh.server);
  let site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /permissions: issues: write/);
    assert.match(r.stderr, /forks/);
    assert.ok(!r.stderr.includes('ghp_testtoken'));
  } finally { gh.server.close(); site.cleanup(); }
  gh = github({ rateLimitOnce: true });
  port = await listen(gh.server);
  site = makeSite(channel(port));
  try {
    const t0 = Date.now();
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - t0 >= 900, 'waited for x-ratelimit-reset');
    assert.equal(gh.st.issues.length, 1);
  } finally { gh.server.close(); site.cleanup(); }
});

test('writes to one repository go one after another, with the gap', async () => {
  const { server, st } = github();
  const port = await listen(server);
  const site = makeSite(channel(port) + channel(port).replace('name: gh', 'name: gh2').replace('lang: en', 'lang: de'));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], { ...env, CRIER_TEST_GITHUB_GAP: '0.3' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.writes.length, 2);
    const [a, b] = st.writes.sort((x, y) => x.started - y.started);
    assert.ok(b.started - a.ended >= 250, `gap ${b.started - a.ended} ms`);
  } finally { server.close(); site.cleanup(); }
});

// A Link header is the server's word: crier follows it only to the scheme,
// host and port of api_url, so the token never goes anywhere else.
test('the token never follows a Link to another host', async () => {
  const other = { requests: [] };
  const elsewhere = http.createServer((req, res) => { other.requests.push(req.headers); res.writeHead(200, { 'content-type': 'application/json' }); res.end('[]'); });
  const otherPort = await listen(elsewhere);
  for (const linkTo of [
    (port) => `http://127.0.0.1:${port}@127.0.0.1:${otherPort}/next`,
    () => `http://127.0.0.1:${otherPort}/repos/example/treff/issues?page=2`,
    (port) => `http://localhost:${port}/repos/example/treff/issues?page=2`,
  ]) {
    const { server, st } = github({ linkTo });
    const port = await listen(server);
    const site = makeSite(channel(port));
    try {
      const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /next page is not on http:\/\/127\.0\.0\.1:\d+; not following it/);
      assert.equal(st.issues.length, 0, 'nothing posted from an incomplete list');
    } finally { server.close(); site.cleanup(); }
  }
  elsewhere.close();
  assert.deepEqual(other.requests, [], 'no request reached the other host');
});

test('a server that always says "next" does not keep crier going', async () => {
  const { server, st } = github({ linkTo: (port) => `http://127.0.0.1:${port}/repos/example/treff/issues?state=all&page=2` });
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /more than 500 pages/);
    assert.equal(st.issues.length, 0);
  } finally { server.close(); site.cleanup(); }
});

// Anybody can write a marker: one in an issue by another account does not
// count as "already sent" (the marker key is computable from the file and
// channel names).
test('a foreign marker does not suppress the announcement', async () => {
  // the key crier will use, learned from a first run against another server
  let probe = github();
  let port = await listen(probe.server);
  let site = makeSite(channel(port));
  let key;
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(r.code, 0, r.stderr);
    key = probe.st.issues[0].body.match(/crier:key=([0-9a-f]{64})/)[1];
  } finally { probe.server.close(); site.cleanup(); }
  const forged = { number: 50, title: 'spam', body: `<!-- crier:key=${key} -->`, labels: ['meetup'], html_url: 'https://github.com/o/r/issues/50', user: { login: 'mallory' } };
  const { server, st } = github({ foreign: [forged] });
  port = await listen(server);
  site = makeSite(channel(port));
  try {
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const mine = st.issues.filter((i) => i.number > 100);
    assert.equal(mine.length, 1, 'crier posted its own announcement');
    assert.equal(JSON.parse(r.stdout)[0].url, mine[0].html_url);
    assert.ok(st.requests.some((x) => x.path === '/user'), 'asked who the token is');
    // and its own marker still counts: a second run without the journal posts nothing
    rmSync(join(site.dir, 'journal.db'));
    const again = await run(['-c', site.config, 'announce', 'gluehwein'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(st.issues.filter((i) => i.number > 100).length, 1);
  } finally { server.close(); site.cleanup(); }
});
