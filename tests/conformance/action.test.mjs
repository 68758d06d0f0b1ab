// The composite action (action.yml) and the example workflow: both are
// valid for GitHub (@action-validator/cli, with the schemas GitHub's
// files follow); no input is ever pasted into a script's text (GitHub
// expands ${{ }} before bash reads the script, so an input could run
// commands); the run step splits its arguments into words without
// evaluating them; every script — the run: steps and scripts/action/*.sh
// — passes shellcheck; every action used is pinned to a commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync, rmSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { root, here } from './lib.mjs';

const actionFile = join(root, 'action.yml');
const workflowFile = join(root, 'examples/github/announce.yml');
const action = YAML.parse(readFileSync(actionFile, 'utf8'));
const workflow = YAML.parse(readFileSync(workflowFile, 'utf8'));
const runSteps = (steps) => steps.filter((s) => s.run);
const allRunSteps = () => [...runSteps(action.runs.steps), ...Object.values(workflow.jobs).flatMap((j) => runSteps(j.steps))];
const scripts = readdirSync(join(root, 'scripts/action')).filter((f) => f.endsWith('.sh')).map((f) => join(root, 'scripts/action', f));
const expression = /\$\{\{/;
const validator = join(here, 'node_modules/.bin/action-validator');

function validate(file) {
  return spawnSync(validator, [file], { encoding: 'utf8' });
}

test('action-validator rejects broken files (negative controls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crier-av-'));
  try {
    // a composite step without a shell, and one that both runs and uses
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a/action.yml'), 'name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n');
    assert.notEqual(validate(join(dir, 'a/action.yml')).status, 0, 'a run step without shell');
    writeFileSync(join(dir, 'a/action.yml'), 'name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n      uses: a/b@v1\n');
    assert.notEqual(validate(join(dir, 'a/action.yml')).status, 0, 'run and uses in one step');
    // a workflow whose job has no runs-on, and a misspelt trigger key
    writeFileSync(join(dir, 'w.yml'), 'on: push\njobs:\n  j:\n    steps:\n      - run: echo hi\n');
    assert.notEqual(validate(join(dir, 'w.yml')).status, 0, 'a job without runs-on');
    writeFileSync(join(dir, 'w.yml'), 'on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    concurrency:\n      group: g\n      cancel-in-progres: false\n    steps:\n      - run: echo hi\n');
    assert.notEqual(validate(join(dir, 'w.yml')).status, 0, 'a misspelt concurrency key');
    writeFileSync(join(dir, 'w.yml'), 'on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo hi\n');
    assert.equal(validate(join(dir, 'w.yml')).status, 0, 'and accepts a good one');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the action and the example workflow are valid', () => {
  for (const f of [actionFile, workflowFile]) {
    const r = validate(f);
    assert.equal(r.status, 0, `${f}:\n${r.stdout}${r.stderr}`);
  }
});

test('every action used is pinned to a commit', () => {
  const uses = [...action.runs.steps, ...Object.values(workflow.jobs).flatMap((j) => j.steps)].filter((s) => s.uses).map((s) => s.uses);
  assert.ok(uses.length >= 6);
  for (const u of uses) assert.match(u, /@[0-9a-f]{40}$/, `${u} is not pinned to a commit`);
  assert.ok(!/@[0-9a-f]{40}$/.test('actions/checkout@v4'), 'a tag is not a commit (negative control)');
  assert.ok(!('version' in action.inputs), 'no version input: the ref the action is used at is the version');
});

test('the expression check catches a pasted input (negative control)', () => {
  assert.ok(expression.test('run: crier -c "${{ inputs.config }}" ${{ inputs.args }}'));
  assert.ok(!expression.test('run: exec crier -c "$CRIER_CONFIG"'));
});

test('no script in the action, its scripts or the example workflow contains ${{ }}', () => {
  const steps = allRunSteps();
  assert.ok(steps.length >= 5, 'the action has run steps');
  for (const s of steps)
    assert.ok(!expression.test(s.run), `step '${s.name}' pastes an expression into its script:\n${s.run}`);
  for (const f of scripts) assert.ok(!expression.test(readFileSync(f, 'utf8')), f);
});

test('the run step passes hostile arguments as plain words', () => {
  const step = action.runs.steps.find((s) => s.name === 'Run crier');
  const dir = mkdtempSync(join(tmpdir(), 'crier-action-'));
  try {
    // a stand-in crier that records its arguments, one per line
    writeFileSync(join(dir, 'crier'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >"${dir}/argv"\n`);
    chmodSync(join(dir, 'crier'), 0o755);
    const evil = `--base $(touch ${dir}/p1) \`touch ${dir}/p2\` ; touch ${dir}/p3 * "x y"`;
    const env = { PATH: `${dir}:${process.env.PATH}`, GITHUB_ACTION_PATH: root, CRIER_CONFIG: 'site conf.yaml', CRIER_COMMAND: 'changed', CRIER_ARGS: evil };
    const r = spawnSync('bash', ['-e', '-c', step.run], { env, cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const p of ['p1', 'p2', 'p3']) assert.ok(!existsSync(join(dir, p)), `${p} was created`);
    const argv = readFileSync(join(dir, 'argv'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(argv, ['-c', 'site conf.yaml', 'changed', ...evil.split(/\s+/)]);
    // a command that is not crier's is refused, and its text not echoed
    const bad = spawnSync('bash', ['-e', '-c', step.run], { env: { ...env, CRIER_COMMAND: 'run\n::warning::injected' }, cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 64);
    assert.ok(!bad.stdout.includes('injected'));
    // on a pull request nothing that sends is run
    for (const cmd of ['run', 'announce', 'calendar']) {
      const pr = spawnSync('bash', ['-e', '-c', step.run], { env: { ...env, CRIER_COMMAND: cmd, GITHUB_EVENT_NAME: 'pull_request' }, cwd: dir, encoding: 'utf8' });
      assert.equal(pr.status, 64, cmd);
    }
    // changed on a push: the catch-up from the state, the push's range as
    // the fallback; a deleted branch runs nothing
    rmSync(join(dir, 'argv'));
    const push = { ...env, CRIER_ARGS: '-v', GITHUB_EVENT_NAME: 'push', CRIER_BEFORE: 'a'.repeat(40), CRIER_AFTER: 'b'.repeat(40) };
    assert.equal(spawnSync('bash', ['-e', '-c', step.run], { env: push, cwd: dir }).status, 0);
    assert.deepEqual(readFileSync(join(dir, 'argv'), 'utf8').trimEnd().split('\n'),
      ['-c', 'site conf.yaml', 'changed', '--since-state', '--base', 'a'.repeat(40), '--head', 'b'.repeat(40), '-v']);
    rmSync(join(dir, 'argv'));
    assert.equal(spawnSync('bash', ['-e', '-c', step.run], { env: { ...push, CRIER_AFTER: '0'.repeat(40) }, cwd: dir }).status, 0);
    assert.ok(!existsSync(join(dir, 'argv')), 'a deleted branch announces nothing');
    // exit 75 is a warning on a schedule, a failure otherwise
    writeFileSync(join(dir, 'crier'), '#!/bin/sh\nexit 75\n');
    const sched = spawnSync('bash', ['-e', '-c', step.run], { env: { ...env, CRIER_COMMAND: 'run', GITHUB_EVENT_NAME: 'schedule' }, cwd: dir, encoding: 'utf8' });
    assert.equal(sched.status, 0);
    assert.match(sched.stdout, /^::warning title=crier run::a temporary failure \(exit 75/m);
    assert.equal(spawnSync('bash', ['-e', '-c', step.run], { env: { ...env, CRIER_COMMAND: 'run', GITHUB_EVENT_NAME: 'push' }, cwd: dir }).status, 75);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('every script passes shellcheck', (t) => {
  if (spawnSync('shellcheck', ['--version']).status !== 0) {
    if (process.env.CI === 'true') assert.fail('shellcheck is not installed (scripts/deps.sh installs it)');
    return t.skip('shellcheck is not installed');
  }
  const bad = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: 'echo $1\n', encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'shellcheck flags an unquoted variable (negative control)');
  for (const s of allRunSteps()) {
    const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: s.run, encoding: 'utf8' });
    assert.equal(r.status, 0, `step '${s.name}':\n${r.stdout}`);
  }
  assert.ok(scripts.length >= 4);
  for (const f of scripts) {
    const r = spawnSync('shellcheck', [f], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${f}:\n${r.stdout}`);
  }
});

test('the README shows the example workflow as it is', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const example = readFileSync(workflowFile, 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.includes(example), 'README.md has examples/github/announce.yml in a yaml block');
  assert.ok(!blocks.includes(example.replace('41 * * * *', '17 6 * * *')), 'negative control');
});
