// The files for unattended operation parse and say what they must: the
// composite action, the example workflow, the systemd units, the crontab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { root } from './lib.mjs';

const read = (p) => readFileSync(join(root, p), 'utf8');

test('action.yml is a composite action with the documented inputs', () => {
  const a = YAML.parse(read('action.yml'));
  assert.equal(a.runs.using, 'composite');
  assert.deepEqual(Object.keys(a.inputs).sort(), ['args', 'command', 'comment', 'config', 'state-branch', 'state-key', 'token']);
  assert.deepEqual(Object.keys(a.outputs).sort(), ['comment-url', 'state-commit']);
  // run steps call the scripts; uses steps are the Actions cache, pinned
  for (const s of a.runs.steps) {
    if (s.run) {
      assert.equal(s.shell, 'bash');
      assert.match(s.run, /^"\$GITHUB_ACTION_PATH\/scripts\/action\/[a-z]+\.sh"( [a-z]+)?$/, s.name);
    } else {
      assert.match(s.uses, /^actions\/cache\/(restore|save)@[0-9a-f]{40}$/, s.name);
    }
  }
  const run = a.runs.steps.find((s) => s.name === 'Run crier');
  assert.equal(run.env.CRIER_CONFIG, '${{ inputs.config }}');
  assert.equal(run.env.CRIER_COMMAND, '${{ inputs.command }}');
  assert.equal(run.env.CRIER_ARGS, '${{ inputs.args }}');
  // the state is saved after a failed or cancelled run too
  assert.match(a.runs.steps.find((s) => s.name === 'Save the state').if, /^always\(\) && /);
});

test('the example workflow: push, pull request, hourly schedule, dispatch; permissions; concurrency', () => {
  const w = YAML.parse(read('examples/github/announce.yml'));
  assert.ok(w.on.push && w.on.pull_request && w.on.schedule && w.on.workflow_dispatch);
  const [min, hour] = w.on.schedule[0].cron.split(' ');
  assert.equal(hour, '*', 'every hour');
  assert.ok(Number(min) % 5 !== 0, 'at an odd minute, away from the full hour');
  assert.deepEqual(w.permissions, {});
  // the preview: read-only, may comment, no channel secrets
  const pv = w.jobs.preview;
  assert.deepEqual(pv.permissions, { contents: 'read', 'pull-requests': 'write' });
  assert.equal(pv.env, undefined);
  assert.ok(pv.steps.some((s) => s.with?.command === 'changed'));
  // the sending job: writes the state branch and issues, one at a time
  const cj = w.jobs.crier;
  assert.deepEqual(cj.permissions, { contents: 'write', issues: 'write' });
  assert.deepEqual(cj.concurrency, { group: 'crier-state', 'cancel-in-progress': false });
  assert.equal(cj.steps.find((s) => s.uses?.startsWith('actions/checkout')).with['fetch-depth'], 0);
  const crierSteps = cj.steps.filter((s) => s.with?.command);
  assert.deepEqual(crierSteps.map((s) => s.with.command), ['changed', 'run', 'announce', 'calendar']);
  for (const s of crierSteps) assert.equal(s.with['state-key'], '${{ secrets.CRIER_STATE_KEY }}');
  assert.ok(!crierSteps.some((s) => /--base|--head/.test(s.with.args || '')), 'changed catches up from the state');
  assert.equal(crierSteps.find((s) => s.with.command === 'calendar').with.args, '-o events.ics');
});

test('the systemd units and the crontab', () => {
  const svc = read('cron/crier.service');
  for (const k of ['Type=oneshot', 'DynamicUser=yes', 'StateDirectory=crier', 'LoadCredential=', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'SuccessExitStatus=75'])
    assert.ok(svc.includes(k), k);
  const serve = read('cron/crier-serve.service');
  for (const k of ['ExecStart=/usr/local/bin/crier -c /etc/crier/crier.yaml serve', 'DynamicUser=yes', 'StateDirectory=crier', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'Restart=on-failure'])
    assert.ok(serve.includes(k), k);
  const timer = read('cron/crier.timer');
  assert.match(timer, /^Persistent=true$/m);
  assert.match(timer, /^OnCalendar=\*:0\/15$/m);
  const cron = read('cron/crier.cron').split('\n').filter((l) => l && !l.startsWith('#') && !l.includes('='));
  assert.equal(cron.length, 1);
  const f = cron[0].split(/\s+/);
  assert.equal(f[0], '*/15');
  assert.ok(cron[0].includes('flock -n') && cron[0].includes(' run'));
});
