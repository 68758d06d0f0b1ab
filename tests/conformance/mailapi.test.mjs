// HTTP mail APIs, differentially: for the same message, the providers' own
// client libraries (postmark, mailgun.js with form-data, @sendgrid/mail)
// and crier send to one loopback recorder, and the two requests are
// compared field by field. Allowed differences: header order and case,
// User-Agent, Content-Length, the multipart boundary, and the order of JSON
// keys and form fields. The clients are given crier's values for the
// fields they do not make themselves (addresses, headers, metadata, the
// attachment), so a field that crier names or shapes differently from the
// client shows up as a difference. Plus the fault cases for each
// provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as postmark from 'postmark';
import Mailgun from 'mailgun.js';
import FormData from 'form-data';
import sgMail from '@sendgrid/mail';
import sgClient from '@sendgrid/client';
import { makeSite, run, listen, readBody } from './lib.mjs';

function recorder(answer) {
  const st = { requests: [] };
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    st.requests.push({ method: req.method, path: req.url, headers: req.headers, body });
    const [code, obj, headers] = answer(req);
    res.writeHead(code, { 'content-type': 'application/json', ...(headers || {}) });
    res.end(obj === undefined ? '' : JSON.stringify(obj));
  });
  return { server, st };
}

// A minimal multipart/form-data reader: [{name, filename, type, value}]
function multipart(req) {
  const m = /boundary=([^;]+)/.exec(req.headers['content-type']);
  const b = '--' + m[1].replace(/^"|"$/g, '');
  const parts = req.body.toString('utf8').split(b).slice(1, -1);
  return parts.map((p) => {
    const [head, ...rest] = p.replace(/^\r\n/, '').split('\r\n\r\n');
    const value = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    const name = /name="([^"]+)"/.exec(head)[1];
    const filename = /filename="([^"]+)"/.exec(head)?.[1];
    const type = /Content-Type: ([^\r\n;]+)/i.exec(head)?.[1];
    return { name, filename, type, value };
  });
}

const auth = (r) => (r.headers.authorization || '').split(' ')[0] || (r.headers['x-postmark-server-token'] ? 'postmark-token' : '');
const ctype = (r) => (r.headers['content-type'] || '').split(';')[0];

const channel = (provider, port, extra = '') =>
  `  - name: m\n    type: mail\n    provider: ${provider}\n    api_key: {env: MAIL_KEY}\n` +
  `    api_url: http://127.0.0.1:${port}\n    from: "Kölner Rust-Treff <crier@treff.example.net>"\n` +
  '    to: ["Mitglieder <list@treff.example.net>", other@treff.example.net]\n    bcc: [hidden@treff.example.net]\n' +
  `    calendar: true\n    lang: [de, en]\n    retries: 1\n    timeout: 2\n${extra}`;
const env = { MAIL_KEY: 'key-test-1234' };

async function crierRequest(provider, answer, extra = '') {
  const { server, st } = recorder(answer);
  const port = await listen(server);
  const site = makeSite(channel(provider, port, extra));
  try {
    const pv = JSON.parse((await run(['-c', site.config, 'preview', 'gluehwein', '--channel', 'm', '--json'])).stdout);
    const r = await run(['-c', site.config, 'announce', 'gluehwein', '--json'], env);
    return { r, req: st.requests[0], st, pv, site };
  } finally { server.close(); }
}

async function clientRequest(answer, send) {
  const { server, st } = recorder(answer);
  const port = await listen(server);
  try { await send(port); } finally { server.close(); }
  return st.requests[0];
}

test('Postmark: crier sends what the postmark client sends', async () => {
  const ok = () => [200, { ErrorCode: 0, Message: 'OK', MessageID: 'pm-0001', SubmittedAt: '2030-11-20T10:00:00Z', To: 'list@treff.example.net' }];
  const c = await crierRequest('postmark', ok);
  try {
    assert.equal(c.r.code, 0, c.r.stderr);
    const mine = JSON.parse(c.req.body);
    const ref = await clientRequest(ok, async (port) => {
      const client = new postmark.ServerClient('key-test-1234', { requestHost: `127.0.0.1:${port}`, useHttps: false });
      await client.sendEmail({ From: mine.From, To: mine.To, Bcc: mine.Bcc, Subject: c.pv.subject,
        TextBody: c.pv.text, HtmlBody: c.pv.html, MessageStream: 'outbound', Headers: mine.Headers,
        Metadata: mine.Metadata, Attachments: mine.Attachments });
    });
    const theirs = JSON.parse(ref.body);
    assert.equal(c.req.method, ref.method);
    assert.equal(c.req.path, ref.path);
    assert.equal(auth(c.req), auth(ref));
    assert.equal(c.req.headers['x-postmark-server-token'], ref.headers['x-postmark-server-token']);
    assert.equal(ctype(c.req), ctype(ref));
    assert.equal(c.req.headers.accept, ref.headers.accept);
    for (const k of Object.keys(theirs)) assert.deepEqual(mine[k], theirs[k], `field ${k}`);
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(theirs).sort());
    // what the fields say
    assert.equal(mine.From, 'Kölner Rust-Treff <crier@treff.example.net>', 'UTF-8, no RFC 2047');
    assert.equal(mine.Subject, c.pv.subject);
    assert.match(Buffer.from(mine.Attachments[0].Content, 'base64').toString(), /BEGIN:VCALENDAR/);
    const st = JSON.parse((await run(['-c', c.site.config, 'status', '--json'])).stdout);
    assert.equal(st[0].remote_id, 'pm-0001', 'the provider message id is kept');
  } finally { c.site.cleanup(); }
});

test('Mailgun: crier sends what mailgun.js sends', async () => {
  const ok = () => [200, { id: '<20301120.mg-1@treff.example.net>', message: 'Queued. Thank you.' }];
  const c = await crierRequest('mailgun', ok, '    domain: treff.example.net\n');
  try {
    assert.equal(c.r.code, 0, c.r.stderr);
    const mine = multipart(c.req);
    const field = (n) => mine.filter((p) => p.name === n).map((p) => p.value);
    const ics = mine.find((p) => p.name === 'attachment');
    const ref = await clientRequest(ok, async (port) => {
      const mg = new Mailgun(FormData).client({ username: 'api', key: 'key-test-1234', url: `http://127.0.0.1:${port}` });
      await mg.messages.create('treff.example.net', {
        from: field('from')[0], to: field('to'), bcc: field('bcc'), subject: c.pv.subject,
        text: c.pv.text, html: c.pv.html, 'h:Message-Id': field('h:Message-Id')[0],
        'h:Auto-Submitted': 'auto-generated', 'h:Content-Language': field('h:Content-Language')[0],
        attachment: [{ filename: 'event.ics', data: Buffer.from(ics.value), contentType: 'text/calendar' }],
      });
    });
    const theirs = multipart(ref);
    assert.equal(c.req.method, ref.method);
    assert.equal(c.req.path, ref.path);
    assert.equal(c.req.headers.authorization, ref.headers.authorization, 'Basic api:KEY');
    assert.equal(ctype(c.req), ctype(ref));
    const norm = (ps) => ps.map((p) => `${p.name}|${p.filename || ''}|${p.name === 'attachment' ? p.value : p.value}`).sort();
    assert.deepEqual(norm(mine), norm(theirs));
    assert.equal(field('from')[0], 'Kölner Rust-Treff <crier@treff.example.net>');
    assert.match(field('h:Message-Id')[0], /^<[0-9a-f]{32}@treff\.example\.net>$/);
    const st = JSON.parse((await run(['-c', c.site.config, 'status', '--json'])).stdout);
    assert.equal(st[0].remote_id, '<20301120.mg-1@treff.example.net>');
  } finally { c.site.cleanup(); }
});

test('SendGrid: crier sends what @sendgrid/mail sends', async () => {
  const ok = () => [202, undefined, { 'x-message-id': 'sg-abc' }];
  const c = await crierRequest('sendgrid', ok);
  try {
    assert.equal(c.r.code, 0, c.r.stderr);
    const mine = JSON.parse(c.req.body);
    const ref = await clientRequest(ok, async (port) => {
      sgClient.setApiKey('key-test-1234');
      sgClient.setDefaultRequest('baseUrl', `http://127.0.0.1:${port}`);
      sgMail.setClient(sgClient);
      await sgMail.send({
        personalizations: mine.personalizations, from: mine.from, subject: c.pv.subject,
        content: [{ type: 'text/plain', value: c.pv.text }, { type: 'text/html', value: c.pv.html }],
        headers: mine.headers, customArgs: mine.custom_args,
        attachments: mine.attachments,
      });
    });
    const theirs = JSON.parse(ref.body);
    assert.equal(c.req.method, ref.method);
    assert.equal(c.req.path, ref.path);
    assert.equal(c.req.headers.authorization, ref.headers.authorization, 'Bearer KEY');
    assert.equal(ctype(c.req), ctype(ref));
    for (const k of Object.keys(theirs)) assert.deepEqual(mine[k], theirs[k], `field ${k}`);
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(theirs).sort());
    assert.equal(mine.content[0].type, 'text/plain', 'text before HTML');
    assert.deepEqual(mine.from, { email: 'crier@treff.example.net', name: 'Kölner Rust-Treff' });
    const st = JSON.parse((await run(['-c', c.site.config, 'status', '--json'])).stdout);
    assert.equal(st[0].remote_id, 'sg-abc');
  } finally { c.site.cleanup(); }
});

const failures = {
  postmark: [422, { ErrorCode: 300, Message: 'Invalid email request' }, /postmark: HTTP 422, ErrorCode 300: Invalid email request/],
  mailgun: [401, { message: 'Invalid private key' }, /mailgun: HTTP 401: Invalid private key/],
  sendgrid: [400, { errors: [{ message: 'The from address does not match a verified Sender Identity', field: 'from' }] },
    /sendgrid: HTTP 400: The from address does not match a verified Sender Identity \(field from\)/],
};
for (const [provider, [code, body, rx]] of Object.entries(failures)) {
  test(`${provider}: errors become clear messages; 429 and 5xx are retried; silence is uncertain`, async () => {
    const extra = provider === 'mailgun' ? '    domain: treff.example.net\n' : '';
    let c = await crierRequest(provider, () => [code, body], extra);
    try {
      assert.equal(c.r.code, 1);
      assert.match(c.r.stderr, rx);
      assert.equal(c.st.requests.length, 1, 'a refusal is not retried');
      assert.ok(!c.r.stderr.includes('key-test-1234'));
    } finally { c.site.cleanup(); }
    for (const status of [429, 500, 503]) {
      c = await crierRequest(provider, () => [status, { message: 'busy' }, { 'retry-after': '1' }], extra);
      try {
        assert.equal(c.r.code, 75, c.r.stderr);
        assert.equal(c.st.requests.length, 2, 'retried once');
      } finally { c.site.cleanup(); }
    }
    // never answers: the provider may have it; not resent blindly
    const { server, st } = (() => { const s = { requests: [] }; return { st: s, server: http.createServer((req) => { s.requests.push(req.url); }) }; })();
    const port = await listen(server);
    const site = makeSite(channel(provider, port, extra));
    try {
      let r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /result=uncertain/);
      r = await run(['-c', site.config, 'announce', 'gluehwein'], env);
      assert.equal(st.requests.length, 1, 'not sent again');
    } finally { server.closeAllConnections(); server.close(); site.cleanup(); }
  });
}
