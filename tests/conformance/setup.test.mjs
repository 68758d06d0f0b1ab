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
  assert.deepEqual(Object.keys(a.inputs).sort(), ['args', 'command', 'config', 'version']);
  assert.ok(a.runs.steps.every((s) => s.shell === 'bash' && s.run));
  const last = a.runs.steps.at(-1);
  assert.deepEqual(last.env, { CRIER_CONFIG: '${{ inputs.config }}', CRIER_COMMAND: '${{ inputs.command }}', CRIER_ARGS: '${{ inputs.args }}' });
  assert.match(last.run, /exec crier -c "\$CRIER_CONFIG" "\$CRIER_COMMAND"/);
});

test('the example workflow: push, schedule and dispatch; permissions; concurrency', () => {
  const w = YAML.parse(read('examples/github/announce.yml'));
  assert.ok(w.on.push && w.on.schedule && w.on.workflow_dispatch);
  assert.deepEqual(w.permissions, { contents: 'read', issues: 'write' });
  assert.equal(w.concurrency['cancel-in-progress'], false);
  const steps = w.jobs.crier.steps;
  assert.ok(steps.some((s) => String(s.uses).startsWith('actions/cache/restore')));
  assert.ok(steps.some((s) => s.with?.command === 'changed' && /--base .*--head/.test(s.with.args)));
  assert.equal(steps.find((s) => s.uses?.startsWith('actions/checkout')).with['fetch-depth'], 0);
  // the calendar feed: a job of its own may write (commit events.ics), and
  // it has no channel secrets; it writes after the deliveries
  const cal = w.jobs.calendar;
  assert.deepEqual(cal.permissions, { contents: 'write' });
  assert.equal(cal.needs, 'crier');
  assert.equal(cal.env, undefined, 'no secrets in the calendar job');
  assert.ok(cal.steps.some((s) => s.with?.command === 'calendar' && s.with.args === '-o events.ics'));
  assert.ok(cal.steps.some((s) => String(s.uses).startsWith('actions/cache/restore')));
  assert.ok(cal.steps.some((s) => String(s.uses).startsWith('actions/cache/save')));
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
