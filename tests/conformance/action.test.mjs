// The composite action (action.yml) and the example workflow: no input is
// ever pasted into a script's text (GitHub expands ${{ }} before bash reads
// the script, so an input could run commands); the run step splits its
// arguments into words without evaluating them; every script passes
// shellcheck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { root } from './lib.mjs';

const action = YAML.parse(readFileSync(join(root, 'action.yml'), 'utf8'));
const workflow = YAML.parse(readFileSync(join(root, 'examples/github/announce.yml'), 'utf8'));
const runSteps = (steps) => steps.filter((s) => s.run);
const expression = /\$\{\{/;

test('the expression check catches a pasted input (negative control)', () => {
  assert.ok(expression.test('run: crier -c "${{ inputs.config }}" ${{ inputs.args }}'));
  assert.ok(!expression.test('run: exec crier -c "$CRIER_CONFIG"'));
});

test('no script in the action or the example workflow contains ${{ }}', () => {
  const steps = [...runSteps(action.runs.steps),
    ...Object.values(workflow.jobs).flatMap((j) => runSteps(j.steps))];
  assert.ok(steps.length >= 2, 'the action has run steps');
  for (const s of steps)
    assert.ok(!expression.test(s.run), `step '${s.name}' pastes an expression into its script:\n${s.run}`);
});

test('the run step passes hostile arguments as plain words', () => {
  const step = action.runs.steps.find((s) => s.name === 'Run crier');
  const dir = mkdtempSync(join(tmpdir(), 'crier-action-'));
  try {
    // a stand-in crier that records its arguments, one per line
    writeFileSync(join(dir, 'crier'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >"${dir}/argv"\n`);
    chmodSync(join(dir, 'crier'), 0o755);
    const evil = `--base $(touch ${dir}/p1) \`touch ${dir}/p2\` ; touch ${dir}/p3 * "x y"`;
    const env = { PATH: `${dir}:${process.env.PATH}`, CRIER_CONFIG: 'site conf.yaml', CRIER_COMMAND: 'changed', CRIER_ARGS: evil };
    const r = spawnSync('bash', ['-e', '-c', step.run], { env, cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const p of ['p1', 'p2', 'p3']) assert.ok(!existsSync(join(dir, p)), `${p} was created`);
    const argv = readFileSync(join(dir, 'argv'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(argv, ['-c', 'site conf.yaml', 'changed', ...evil.split(/\s+/)]);
    // a command that is not crier's is refused, and its text not echoed
    const bad = spawnSync('bash', ['-e', '-c', step.run], { env: { ...env, CRIER_COMMAND: 'run\n::warning::injected' }, cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 64);
    assert.ok(!bad.stdout.includes('injected'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('every script passes shellcheck', (t) => {
  if (spawnSync('shellcheck', ['--version']).status !== 0) {
    if (process.env.CI === 'true') assert.fail('shellcheck is not installed (scripts/deps.sh installs it)');
    return t.skip('shellcheck is not installed');
  }
  const bad = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: 'echo $1\n', encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'shellcheck flags an unquoted variable (negative control)');
  for (const s of runSteps(action.runs.steps)) {
    const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: s.run, encoding: 'utf8' });
    assert.equal(r.status, 0, `step '${s.name}':\n${r.stdout}`);
  }
});
