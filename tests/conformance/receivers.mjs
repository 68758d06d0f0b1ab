// Receivers for end-to-end tests on one loopback server: a Standard
// Webhooks endpoint (/hook, verified with the standardwebhooks package;
// each webhook-id counted once) and a GitHub whose every request is
// validated against its OpenAPI description (@octokit/openapi), keeping
// issues (filtered by label) and comments written by 'crier-bot'.
import http from 'node:http';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { readBody, here } from './lib.mjs';
import { Validator } from './openapi.mjs';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

// hookLine(document) → what to record for each webhook received
export function receivers(hookLine) {
  const wh = new Webhook(SECRET);
  const gh = new Validator([{ file: join(here, 'node_modules/@octokit/openapi/generated/api.github.com.json') }]);
  const st = { hooks: [], ids: new Set(), issues: [], comments: [], invalid: [] };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (url.pathname === '/hook') {
      try { wh.verify(body, req.headers); } catch (e) { st.invalid.push('webhook: ' + e.message); return send(401, {}); }
      if (!st.ids.has(req.headers['webhook-id'])) {
        st.ids.add(req.headers['webhook-id']);
        const d = JSON.parse(body);
        st.hooks.push(hookLine(d));
      }
      return send(204, {});
    }
    const r = gh.validate({ method: req.method, path: url.pathname, query: url.searchParams, body });
    if (!r.ok) { st.invalid.push(`${req.method} ${url.pathname}: ${r.errors}`); return send(422, { message: 'invalid' }); }
    const op = r.op.op.operationId;
    if (op === 'users/get-authenticated') return send(200, { login: 'crier-bot', id: 7 });
    if (op === 'issues/list-for-repo') {
      const labels = (url.searchParams.get('labels') || '').split(',').filter(Boolean);
      return send(200, st.issues.filter((i) => labels.every((l) => i.labels.includes(l))));
    }
    if (op === 'issues/create') {
      const d = JSON.parse(body);
      const n = st.issues.length + 100;
      st.issues.push({ number: n, title: d.title, body: d.body, labels: d.labels ?? [], user: { login: 'crier-bot' }, html_url: `https://github.com/o/r/issues/${n}` });
      return send(201, st.issues.at(-1));
    }
    const num = Number(r.values.issue_number);
    if (op === 'issues/list-comments') return send(200, st.comments.filter((c) => c.issue === num));
    if (op === 'issues/create-comment') {
      const c = { id: st.comments.length + 1, issue: num, body: JSON.parse(body).body, user: { login: 'crier-bot' }, html_url: `https://github.com/o/r/issues/${num}#c` };
      st.comments.push(c);
      return send(201, c);
    }
    return send(404, {});
  });
  return { server, st };
}

