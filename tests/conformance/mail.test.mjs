// Mail: crier's SMTP against npm smtp-server (a real server, with STARTTLS
// and AUTH), and the received message parsed by npm mailparser: German
// subjects decoded, parts and charsets, Message-ID, iCalendar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { makeSite, run, listen } from './lib.mjs';

function smtp(opts = {}) {
  const st = { messages: [], auths: [] };
  const server = new SMTPServer({
    secure: false,
    authOptional: !opts.auth,
    disabledCommands: opts.tls ? [] : ['STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    onAuth(auth, session, cb) {
      st.auths.push(auth.username);
      if (auth.username === 'crier' && auth.password === 'smtp-pass') return cb(null, { user: 'crier' });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        st.messages.push({ raw, envelope: session.envelope, secure: session.secure, parsed: await simpleParser(raw) });
        if (opts.dropAfterData) { st.sockets.forEach((x) => x.destroy()); return; }
        cb(null, 'queued');
      });
    },
  });
  st.errors = [];
  st.sockets = [];
  server.on('error', (e) => st.errors.push(e.message));
  server.server.on('connection', (sock) => st.sockets.push(sock));
  return { server, st };
}

const channel = (port, extra = '') =>
  `  - name: mail\n    type: mail\n    url: smtp://127.0.0.1:${port}\n` +
  '    from: "Kölner Rust-Treff <crier@treff.example.net>"\n    to: ["Mitglieder <list@treff.example.net>"]\n' +
  `    bcc: [hidden@treff.example.net]\n    calendar: true\n    lang: [de, en]\n    retries: 1\n${extra}`;

function checkSubject(parsed, want) {
  assert.equal(parsed.subject, want, 'the decoded subject is the rendered one');
}

test('the checks catch a broken message (negative control)', async () => {
  const bad = Buffer.from('Subject: =?ISO-8859-1?Q?Gl=C3=BChwein?=\r\nFrom: a@b\r\n\r\nx\r\n');
  const parsed = await simpleParser(bad);
  assert.throws(() => checkSubject(parsed, 'Glühwein'), 'mojibake is detected');
  const good = await simpleParser(Buffer.from('Subject: =?UTF-8?Q?Gl=C3=BChwein?=\r\nFrom: a@b\r\n\r\nx\r\n'));
  assert.doesNotThrow(() => checkSubject(good, 'Glühwein'));
});

test('announce: a message every part of which decodes as sent', async () => {
  const { server, st } = smtp();
  const port = await listen(server);
  const site = makeSite(channel(port));
  try {
    const pv = await run(['-c', site.config, 'preview', 'gluehwein', '--channel', 'mail', '--json']);
    const want = JSON.parse(pv.stdout);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, 1);
    const { parsed, envelope, raw } = st.messages[0];
    checkSubject(parsed, want.subject);
    assert.match(want.subject, /Glühwein & Traits: Rust im Dezember – Mi\. 04\.12\.2030, 19:30 Uhr \/ /);
    assert.equal(parsed.from.value[0].name, 'Kölner Rust-Treff');
    assert.equal(parsed.from.value[0].address, 'crier@treff.example.net');
    assert.equal(parsed.to.value[0].address, 'list@treff.example.net');
    assert.deepEqual(envelope.rcptTo.map((x) => x.address).sort(), ['hidden@treff.example.net', 'list@treff.example.net']);
    assert.ok(!raw.toString().includes('hidden@'), 'bcc is not in the headers');
    assert.equal(parsed.text.trim(), want.text.trim(), 'the text part is the Markdown as plain text');
    assert.ok(!/\*\*|\\[&<>*\\]|\]\(/.test(parsed.text), 'no Markdown syntax in the text part');
    assert.ok(parsed.html.includes(want.html.trim().split('\n')[0]), 'the HTML part is the HTML');
    assert.ok(!parsed.html.includes('<script'));
    assert.match(parsed.messageId, /^<[0-9a-f]{32}@treff\.example\.net>$/);
    assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(parsed.headers.get('content-language'), 'de, en');
    assert.ok(parsed.date instanceof Date && Math.abs(parsed.date - Date.now()) < 120000);
    const lines = raw.toString('latin1').split('\r\n');
    assert.ok(lines.every((l) => l.length <= 998), 'no line over 998');
    assert.ok(raw.toString('latin1').split('\r\n\r\n')[0].split('\r\n').every((l) => l.length <= 998));
    const enc = raw.toString().match(/=\?UTF-8\?Q\?[^?]*\?=/g);
    assert.ok(enc.every((w) => w.length <= 75), 'encoded-words of at most 75 characters');
    assert.match(raw.toString(), /Content-Type: multipart\/alternative/);
    assert.ok(raw.indexOf('text/plain') < raw.indexOf('text/html'), 'text first, HTML last');
    const ics = parsed.attachments.find((a) => a.contentType === 'text/calendar');
    assert.ok(ics, 'an iCalendar part');
    const cal = ics.content.toString('utf8');
    assert.match(cal, /DTSTART;TZID=Europe\/Berlin:20301204T193000/);
    assert.match(cal, /DTEND;TZID=Europe\/Berlin:20301204T213000/, 'the default duration, 2h');
    assert.match(cal, /ORGANIZER;CN="Kölner Rust-Treff":mailto:crier@treff\.example\.net/);
    assert.match(cal, /SEQUENCE:0/);
    assert.match(ics.contentType + raw.toString(), /text\/calendar; method=PUBLISH/);
    assert.match(cal, /UID:2030-12-04-gluehwein@treff\.example\.net/);
    assert.match(cal, /SUMMARY:Glühwein & Traits: Rust im Dezember/);
    assert.match(cal, /LOCATION:Kulturkeller Süd\\, Glühweinweg 3\\, Köln/);
    assert.match(cal, /METHOD:PUBLISH/);
    assert.equal(JSON.parse(r.stdout)[0].result, 'sent');
  } finally { st.sockets.forEach((x) => x.destroy()); server.close(); site.cleanup(); }
});

test('STARTTLS with the configured CA and AUTH; a wrong password fails', async (t) => {
  const dir = mkdtempSync('/tmp/crier-tls-');
  t.after(() => rmSync(dir, { recursive: true, force: true })); // the key too
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  const { server, st } = smtp({ tls, auth: true });
  const port = await listen(server);
  const site = makeSite(channel(port, `    username: crier\n    password: {env: SMTP_PASS}\n    ca_file: ${join(dir, 'cert.pem')}\n`));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein'], { SMTP_PASS: 'smtp-pass' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(st.messages.length, 1);
    assert.equal(st.messages[0].secure, true, 'the session was upgraded with STARTTLS');
    r = await run(['-c', site.config, 'announce', 'gluehwein', '--force'], { SMTP_PASS: 'wrong-pass' });
    assert.equal(r.code, 78, 'a refused login is a configuration error');
    assert.match(r.stderr, /login refused/);
    assert.ok(!r.stderr.includes('wrong-pass'));
  } finally { server.close(); site.cleanup(); }
  // without the CA the certificate is not trusted: nothing is sent
  const s2 = smtp({ tls, auth: true });
  const p2 = await listen(s2.server);
  const site2 = makeSite(channel(p2, '    username: crier\n    password: {env: SMTP_PASS}\n').replace('smtp://127.0.0.1', 'smtp://127.0.0.1').replace('calendar: true', 'calendar: false'));
  writeFileSync(site2.config, readFileSync(site2.config, 'utf8') + '');
  try {
    // a password goes only over TLS, and with a CA file that does not
    // match, the certificate check fails
    writeFileSync(join(site2.dir, 'other.pem'), readFileSync('/etc/ssl/certs/ca-certificates.crt'));
    const cfg = readFileSync(site2.config, 'utf8') + `    ca_file: ${join(site2.dir, 'other.pem')}\n`;
    writeFileSync(site2.config, cfg);
    const r = await run(['-c', site2.config, 'announce', 'gluehwein'], { SMTP_PASS: 'smtp-pass' });
    assert.equal(r.code, 78, 'an untrusted certificate is a configuration error');
    assert.equal(s2.st.messages.length, 0);
    assert.match(r.stderr, /certificate|SSL/i);
  } finally { s2.server.close(); site2.cleanup(); }
});

test('a connection dropped after DATA leaves the delivery uncertain, not resent', async () => {
  const { server, st } = smtp({ dropAfterData: true });
  const port = await listen(server);
  const site = makeSite(channel(port, '    timeout: 3\n'));
  try {
    let r = await run(['-c', site.config, 'announce', 'gluehwein']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /result=uncertain/);
    assert.equal(st.messages.length, 1);
    r = await run(['-c', site.config, 'announce', 'gluehwein']);
    assert.match(r.stderr, /result=uncertain/);
    assert.match(r.stderr, /--force/);
    assert.equal(st.messages.length, 1, 'not sent blindly again');
    r = await run(['-c', site.config, 'run']);
    assert.equal(st.messages.length, 1, 'nor by cron');
    // the organizer checked: it did not arrive. `crier retry` sends it again
    const status = JSON.parse((await run(['-c', site.config, 'status', 'gluehwein', '--json'])).stdout);
    assert.equal(status[0].status, 'uncertain');
    r = await run(['-c', site.config, 'retry', 'gluehwein', '--dry-run', '--now', '2030-11-20T10:00:00+01:00']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /1 uncertain delivery of 2030-12-04-gluehwein would be sent again/);
    assert.equal(st.messages.length, 1, 'a dry run sends nothing');
    st.messages.length = 0;
    r = await run(['-c', site.config, 'retry', 'gluehwein', '--now', '2030-11-20T10:00:00+01:00']);
    assert.match(r.stderr, /event=2030-12-04-gluehwein notice=announce channel=mail .*result=uncertain/, 'the server drops it again');
    assert.equal(st.messages.length, 1, 'sent again once');
  } finally { st.sockets.forEach((x) => x.destroy()); server.close(); site.cleanup(); }
});
