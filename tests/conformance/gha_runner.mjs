// A small stand-in for the GitHub Actions runner, enough to run the
// composite action (action.yml) as a runner would: its steps in order,
// `if:` conditions and `${{ }}` expressions evaluated with GitHub's rules
// (loose equality that coerces to numbers, case-insensitive strings, ||
// and && that return an operand, success() implied), `run:` steps with
// `bash --noprofile --norc -eo pipefail` in the workspace and the runner's
// environment (GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
// GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_ACTION_PATH, …), step outputs
// read back from GITHUB_OUTPUT, and workflow commands (::error:: …) read
// from stdout. The two `uses:` it meets, actions/cache/restore and
// actions/cache/save, are emulated by a directory per key (an entry is
// never replaced, as in GitHub's cache); any other `uses:` is an error.
// Everything runs on this machine: git remotes are local paths.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, cpSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import YAML from 'yaml';

// ---- expressions ----

function tokenize(s) {
  const out = [];
  const rx = /\s*(?:(\|\||&&|==|!=|!|\(|\)|,)|'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))/y;
  let m;
  rx.lastIndex = 0;
  while (rx.lastIndex < s.length) {
    const at = rx.lastIndex;
    if (/^\s*$/.test(s.slice(at))) break;
    if (!(m = rx.exec(s))) throw new Error(`expression: cannot read '${s.slice(at)}' in '${s}'`);
    if (m[1]) out.push({ op: m[1] });
    else if (m[2] !== undefined) out.push({ value: m[2].replace(/''/g, "'") });
    else if (m[3]) out.push({ value: Number(m[3]) });
    else out.push({ name: m[4] });
  }
  return out;
}

const truthy = (v) => !(v === null || v === undefined || v === false || v === 0 || v === '' || Number.isNaN(v));
function toNumber(v) {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}
function looseEqual(a, b) {
  a ??= null; b ??= null;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && a !== null && typeof a !== 'object') return a === b;
  if (a === null && b === null) return true;
  return toNumber(a) === toNumber(b);
}

// Evaluates an expression (without ${{ }}) in ctx: {contexts, status}.
export function evaluate(expr, ctx) {
  const t = tokenize(expr);
  let i = 0;
  const peek = () => t[i];
  const take = (op) => { if (t[i]?.op !== op) throw new Error(`expression: expected ${op} in '${expr}'`); i++; };
  const primary = () => {
    const x = t[i++];
    if (!x) throw new Error(`expression: unexpected end of '${expr}'`);
    if (x.op === '(') { const v = or(); take(')'); return v; }
    if ('value' in x) return x.value;
    if (x.name === 'true') return true;
    if (x.name === 'false') return false;
    if (x.name === 'null') return null;
    if (peek()?.op === '(') {
      take('(');
      take(')');
      const fn = { always: () => true, success: () => !ctx.failed, failure: () => !!ctx.failed, cancelled: () => false }[x.name];
      if (!fn) throw new Error(`expression: unknown function ${x.name}() in '${expr}'`);
      return fn();
    }
    const parts = x.name.split('.');
    if (!(parts[0] in ctx.contexts)) throw new Error(`expression: unknown context ${parts[0]} in '${expr}'`);
    let v = ctx.contexts[parts[0]];
    for (const p of parts.slice(1)) v = v === null || v === undefined ? null : v[p] ?? null;
    return v ?? null;
  };
  const not = () => { if (peek()?.op === '!') { i++; return !truthy(not()); } return cmp(); };
  const cmp = () => {
    const a = primary();
    const op = peek()?.op;
    if (op === '==' || op === '!=') { i++; const b = primary(); return op === '==' ? looseEqual(a, b) : !looseEqual(a, b); }
    return a;
  };
  const and = () => { let v = not(); while (peek()?.op === '&&') { i++; const w = not(); v = truthy(v) ? w : v; } return v; };
  const or = () => { let v = and(); while (peek()?.op === '||') { i++; const w = and(); v = truthy(v) ? v : w; } return v; };
  const v = or();
  if (i !== t.length) throw new Error(`expression: unexpected '${JSON.stringify(t[i])}' in '${expr}'`);
  return v;
}

const asString = (v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

// A string with ${{ }} parts replaced by their values.
export function interpolate(s, ctx) {
  if (typeof s !== 'string') return asString(s);
  return s.replace(/\$\{\{(.*?)\}\}/gs, (_, e) => asString(evaluate(e, ctx)));
}

// Whether a step with this `if:` runs: success() is implied unless the
// condition calls a status function.
export function condition(ifv, ctx) {
  if (ifv === undefined) return !ctx.failed;
  let e = String(ifv).trim();
  const m = /^\$\{\{(.*)\}\}$/s.exec(e);
  if (m) e = m[1];
  const status = /\b(always|success|failure|cancelled)\s*\(/.test(e);
  return truthy(evaluate(status ? e : `success() && (${e})`, ctx));
}

// ---- files the runner writes and reads ----

// name=value lines and name<<DELIMITER blocks (GITHUB_OUTPUT, GITHUB_ENV)
export function readKeyValues(path) {
  const out = {};
  if (!existsSync(path)) return out;
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!l) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(l);
    if (heredoc) {
      const body = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`${path}: ${heredoc[1]}: no closing ${heredoc[2]}`);
      out[heredoc[1]] = body.join('\n');
      continue;
    }
    const eq = l.indexOf('=');
    if (eq < 1) throw new Error(`${path}: a line that is neither name=value nor name<<END: ${l}`);
    out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

// ::level props::message lines
export function annotations(stdout) {
  const out = [];
  for (const l of stdout.split('\n')) {
    const m = /^::(error|warning|notice)( [^:]*)?::(.*)$/.exec(l);
    if (m) out.push({ level: m[1], props: (m[2] || '').trim(), message: m[3].replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%') });
  }
  return out;
}

// ---- the two actions it emulates ----

const cacheInputs = {
  'actions/cache/restore': { required: ['path', 'key'], known: ['path', 'key', 'restore-keys', 'enableCrossOsArchive', 'fail-on-cache-miss', 'lookup-only'] },
  'actions/cache/save': { required: ['path', 'key'], known: ['path', 'key', 'upload-chunk-size', 'enableCrossOsArchive'] },
};

function runCache(kind, w, store, log) {
  for (const k of Object.keys(w)) if (!cacheInputs[kind].known.includes(k)) throw new Error(`${kind}: unknown input ${k}`);
  for (const k of cacheInputs[kind].required) if (!w[k]) throw new Error(`${kind}: input ${k} is required`);
  if (w.path.includes('\n')) throw new Error(`${kind}: one path only in this emulation`);
  const entry = join(store, encodeURIComponent(w.key));
  if (kind === 'actions/cache/restore') {
    if (!existsSync(entry)) { log.push(`cache miss: ${w.key}`); return { 'cache-hit': 'false' }; }
    mkdirSync(w.path, { recursive: true });
    cpSync(entry, w.path, { recursive: true });
    log.push(`cache hit: ${w.key}`);
    return { 'cache-hit': 'true', 'cache-matched-key': w.key, 'cache-primary-key': w.key };
  }
  if (existsSync(entry)) { log.push(`cache entry exists already: ${w.key}`); return {}; }
  if (!existsSync(w.path)) { log.push(`nothing to save at ${w.path}`); return {}; }
  cpSync(w.path, entry, { recursive: true });
  log.push(`cache saved: ${w.key}`);
  return {};
}

function bash(script, { cwd, env }) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ---- a job ----

// One job on a fresh runner: a workspace, RUNNER_TEMP, the event. The
// cache store (a directory) is the repository's and outlives jobs.
export class Job {
  // opts: { actionDir, remote (path of a bare repository), eventName,
  //   payload, checkout (a ref or commit to check out; refs are fetched
  //   from the remote first), env (the job's env:), token, apiUrl,
  //   repository, cacheStore, runId }
  constructor(opts) {
    this.o = opts;
    this.root = mkdtempSync(join(tmpdir(), 'crier-gha-job-'));
    this.workspace = join(this.root, 'workspace');
    this.temp = join(this.root, 'temp');
    this.home = join(this.root, 'home');
    for (const d of [this.temp, this.home]) mkdirSync(d);
    this.eventPath = join(this.root, 'event.json');
    writeFileSync(this.eventPath, JSON.stringify(opts.payload));
    this.paths = [];
    this.envFile = {};
    this.summary = '';
    this.annotations = [];
    this.log = [];
    this.outputsSeen = ''; // everything the steps printed
    this.n = 0;
  }

  git(...args) {
    return execFileSync('git', ['-C', this.workspace, ...args], { env: this.baseEnv(), encoding: 'utf8' }).trim();
  }

  // actions/checkout with fetch-depth: 0: every branch, the event's ref
  checkout() {
    execFileSync('git', ['clone', '-q', '--no-local', '--no-checkout', `file://${this.o.remote}`, this.workspace], { env: this.baseEnv() });
    const ref = this.o.checkout;
    if (ref.startsWith('refs/')) {
      this.git('fetch', '-q', 'origin', `+${ref}:refs/remotes/checkout`);
      this.git('checkout', '-q', '--detach', 'refs/remotes/checkout');
    } else {
      this.git('checkout', '-q', '--detach', ref);
    }
  }

  baseEnv() {
    const o = this.o;
    return {
      PATH: process.env.PATH, HOME: this.home, LC_ALL: 'C', TZ: 'UTC', CI: 'true',
      GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: o.eventName, GITHUB_EVENT_PATH: this.eventPath,
      GITHUB_WORKSPACE: this.workspace, GITHUB_REPOSITORY: o.repository, GITHUB_API_URL: o.apiUrl,
      GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: String(o.runId), GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SHA: o.payload.after ?? o.payload.pull_request?.merge_commit_sha ?? '', GITHUB_REF: o.payload.ref ?? '',
      RUNNER_TEMP: this.temp, RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64',
      GIT_CONFIG_NOSYSTEM: '1',
    };
  }

  // Runs the action with these inputs (strings); resolves
  // {ok, outputs, steps: [{name, id, outcome, outputs, stdout, stderr, ms}]}.
  // hooks.before[step name]: awaited before that step (when it runs).
  async run(inputs = {}, hooks = {}) {
    const { actionDir } = this.o;
    const action = YAML.parse(readFileSync(join(actionDir, 'action.yml'), 'utf8'));
    const github = {
      event: this.o.payload, event_name: this.o.eventName, token: this.o.token, action_path: actionDir,
      workspace: this.workspace, repository: this.o.repository, run_id: String(this.o.runId), api_url: this.o.apiUrl,
    };
    const contexts = { github, runner: { temp: this.temp, os: 'Linux', arch: 'X64' }, steps: {}, inputs: {}, env: { ...this.o.env } };
    const ctx = { contexts, failed: false };
    for (const k of Object.keys(inputs))
      if (!(k in (action.inputs || {}))) throw new Error(`the action has no input '${k}'`);
    for (const [k, spec] of Object.entries(action.inputs || {}))
      contexts.inputs[k] = k in inputs ? String(inputs[k]) : interpolate(spec.default ?? '', ctx);
    const steps = [];
    for (const step of action.runs.steps) {
      const id = step.id ?? `__${this.n}`;
      const rec = { name: step.name ?? step.uses, id, outputs: {}, stdout: '', stderr: '' };
      steps.push(rec);
      if (!condition(step.if, ctx)) {
        rec.outcome = 'skipped';
        contexts.steps[id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      if (hooks.before?.[rec.name]) await hooks.before[rec.name]();
      const started = process.hrtime.bigint();
      if (step.uses) {
        const kind = step.uses.replace(/@.*/, '');
        if (!cacheInputs[kind]) throw new Error(`uses: ${step.uses} cannot run here`);
        if (!/@[0-9a-f]{40}$/.test(step.uses)) throw new Error(`uses: ${step.uses} is not pinned to a commit`);
        const w = Object.fromEntries(Object.entries(step.with || {}).map(([k, v]) => [k, interpolate(v, ctx)]));
        rec.outputs = runCache(kind, w, this.o.cacheStore, this.log);
        rec.outcome = 'success';
      } else {
        const n = ++this.n;
        const file = (what) => join(this.temp, `_${what}_${n}`);
        for (const w of ['output', 'env', 'path', 'summary']) writeFileSync(file(w), '');
        const script = join(this.temp, `_step_${n}.sh`);
        writeFileSync(script, step.run);
        const stepEnv = Object.fromEntries(Object.entries(step.env || {}).map(([k, v]) => [k, interpolate(v, ctx)]));
        const base = this.baseEnv();
        const env = {
          ...base, ...this.o.env, ...this.envFile, ...stepEnv,
          PATH: [...this.paths, base.PATH].join(':'),
          GITHUB_ACTION_PATH: actionDir,
          GITHUB_OUTPUT: file('output'), GITHUB_ENV: file('env'), GITHUB_PATH: file('path'), GITHUB_STEP_SUMMARY: file('summary'),
        };
        const r = await bash(script, { cwd: this.workspace, env });
        rec.stdout = r.stdout;
        rec.stderr = r.stderr;
        this.outputsSeen += r.stdout + r.stderr;
        rec.code = r.code;
        rec.outcome = r.code === 0 ? 'success' : 'failure';
        rec.outputs = readKeyValues(file('output'));
        Object.assign(this.envFile, readKeyValues(file('env')));
        for (const p of readFileSync(file('path'), 'utf8').split('\n').filter(Boolean).reverse()) this.paths.unshift(p);
        this.summary += readFileSync(file('summary'), 'utf8');
        this.annotations.push(...annotations(r.stdout).map((a) => ({ ...a, step: rec.name })));
      }
      rec.ms = Number(process.hrtime.bigint() - started) / 1e6;
      contexts.steps[id] = { outputs: rec.outputs, outcome: rec.outcome, conclusion: rec.outcome };
      if (rec.outcome === 'failure') ctx.failed = true;
    }
    const outputs = Object.fromEntries(Object.entries(action.outputs || {}).map(([k, v]) => [k, interpolate(v.value, ctx)]));
    return { ok: !ctx.failed, outputs, steps, step: (name) => steps.find((s) => s.name === name || s.id === name) };
  }

  cleanup() { rmSync(this.root, { recursive: true, force: true }); }
}
