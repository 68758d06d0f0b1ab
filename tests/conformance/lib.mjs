// Shared helpers for the conformance tests: a throw-away site whose
// channels point at servers on 127.0.0.1, and a way to run crier.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const shared = process.env.CRIER_SHARED || resolve(root, '../shared');
export const crier = process.env.CRIER || resolve(root, 'build/crier');

// A site with two events; channels is the YAML text of the channel list.
export function makeSite(channels, extra = '') {
  const dir = mkdtempSync(join(tmpdir(), 'crier-conf-'));
  mkdirSync(join(dir, '_posts'));
  mkdirSync(join(dir, '_data'));
  writeFileSync(join(dir, '_data/locations.yml'),
    'keller:\n  name: "Kulturkeller Süd"\n  street: "Glühweinweg 3"\n  city: "Köln"\n' +
    '  osm: "https://www.openstreetmap.org/node/42"\n');
  writeFileSync(join(dir, '_posts/2030-12-04-gluehwein.md'),
    '---\ntitle: "Glühwein & Traits: Rust im Dezember"\ndate: 2030-12-04 19:30\n' +
    'location: keller\nlinks:\n  "Planning discussion on Github": "https://github.com/example/treff/issues/7"\n' +
    'talks:\n- title: "impl Glühwein for Winter"\n  speaker:\n    name: "Anna Ärger"\n---\n' +
    'Ein Abend mit Glühwein … und <script>alert(1)</script>.\n');
  writeFileSync(join(dir, '_posts/2030-12-18-linked.md'),
    '---\ntitle: "Open Space before Christmas"\ndate: 2030-12-18 19:00\n' +
    'location: keller\nlinks:\n  "Meetup.com": "https://www.meetup.com/testtreff/events/305000111/"\n' +
    'talks: false\n---\n');
  writeFileSync(join(dir, 'crier.yaml'),
    'site:\n  timezone: Europe/Berlin\n  url: https://treff.example.net\n' +
    `journal: ${join(dir, 'journal.db')}\n${extra}channels:\n${channels}`);
  return { dir, config: join(dir, 'crier.yaml'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Runs crier with args; resolves {code, stdout, stderr}. env adds variables.
export function run(args, env = {}, opts = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(crier, args, {
      env: { PATH: process.env.PATH, LC_ALL: 'C', TZ: 'UTC', CRIER_TEST_RETRY_BASE_MS: '20',
             CRIER_TEST_GITHUB_GAP: '0.001', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    if (opts.onSpawn) opts.onSpawn(child);
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

// Listens on an ephemeral loopback port; resolves the port.
export function listen(server) {
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.server ?? server).address().port)));
}

export function readBody(req) {
  return new Promise((res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks)));
  });
}

export function skipWithout(path, t) {
  if (!existsSync(path)) {
    t.skip(`${path} is absent`);
    return true;
  }
  return false;
}
