// Loopback endpoints for the benchmarks: an HTTP server that answers as
// Matrix, GitHub and a webhook receiver would, after DELAY_MS (default 0,
// at once), and a Postfix policy service (the policy delegation protocol)
// that says DUNNO to every request, for the private Postfix of
// bench/deliver.sh. Mail goes to that Postfix: a real server, without the
// fixed greeting delay of a test server. Prints {"http": port, "policy":
// port} and runs until killed. GET /count answers how many requests came.
import http from 'node:http';
import net from 'node:net';

const delay = Number(process.env.DELAY_MS || 0);
let n = 0;
let requests = 0; // GET /count: every request so far, that one included
const server = http.createServer((req, res) => {
  requests++;
  if (req.url === '/count') return res.end(String(requests));
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const answer = () => {
      const p = req.url;
      const send = (code, obj) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (p.includes('/state/')) return send(404, { errcode: 'M_NOT_FOUND', error: 'none' });
      if (p.includes('/send/')) return send(200, { event_id: `$e${++n}` });
      if (p.includes('/directory/room/')) return send(200, { room_id: '!r:x' });
      if (p.includes('/join')) return send(200, { room_id: '!r:x' });
      if (p.includes('/login')) return send(200, { access_token: 'tok', user_id: '@bench:x', home_server: 'x', device_id: 'D' });
      if (p.includes('/issues') && req.method === 'GET') return send(200, []);
      if (p.includes('/issues')) return send(201, { number: ++n, html_url: `https://github.com/o/r/issues/${n}` });
      if (p.startsWith('/hook')) return send(200, {});
      return send(200, {}); // apprise's matrix client asks more (whoami, …)
    };
    if (delay) setTimeout(answer, delay);
    else answer();
  });
});
server.keepAliveTimeout = 10000;
const policy = net.createServer((s) => {
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      buf = buf.slice(i + 2);
      s.write('action=DUNNO\n\n');
    }
  });
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => policy.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ http: server.address().port, policy: policy.address().port }));
}));
