// Loopback endpoints for the delivery benchmark: one HTTP server that
// answers as Matrix, GitHub and a webhook receiver would (after DELAY_MS),
// and an SMTP server (npm smtp-server from tests/conformance). Prints
// {"http": port, "smtp": port} and runs until killed.
import http from 'node:http';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../tests/conformance/package.json', import.meta.url));
const { SMTPServer } = require('smtp-server');

const delay = Number(process.env.DELAY_MS || 0);
let n = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => setTimeout(() => {
    const p = req.url;
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (p.includes('/state/')) return send(404, { errcode: 'M_NOT_FOUND', error: 'none' });
    if (p.includes('/send/')) return send(200, { event_id: `$e${++n}` });
    if (p.includes('/directory/room/')) return send(200, { room_id: '!r:x' });
    if (p.includes('/join')) return send(200, { room_id: '!r:x' });
    if (p.includes('/login')) return send(200, { access_token: 'tok', user_id: '@bench:x', home_server: 'x', device_id: 'D' });
    if (p.includes('/issues') && req.method === 'GET') return send(200, []);
    if (p.includes('/issues')) return send(201, { number: ++n, html_url: `https://github.com/o/r/issues/${n}` });
    if (p.startsWith('/hook')) return send(200, {});
    return send(200, {}); // apprise's matrix client asks more (whoami, login, …)
  }, delay));
});
const smtp = new SMTPServer({
  authOptional: true, disabledCommands: ['STARTTLS'], disableReverseLookup: true,
  onAuth(auth, session, cb) { cb(null, { user: auth.username }); },
  onData(stream, session, cb) { stream.resume(); stream.on('end', () => cb(null, 'ok')); },
});
server.listen(0, '127.0.0.1', () => smtp.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ http: server.address().port, smtp: smtp.server.address().port }));
}));
