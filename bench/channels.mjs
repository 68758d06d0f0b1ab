// Loopback endpoints for bench/channels.sh: one HTTP server that answers
// as every HTTP channel type crier has would (Matrix, GitHub, a webhook
// receiver, Meetup's GraphQL, Postmark, Mastodon, a Bluesky PDS, a
// Discourse forum), each after DELAY_MS, and an SMTP server (npm
// smtp-server from tests/conformance). Canned answers: this measures
// crier, not the services. Prints {"http": port, "smtp": port} and runs
// until killed.
import http from 'node:http';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../tests/conformance/package.json', import.meta.url));
const { SMTPServer } = require('smtp-server');

const delay = Number(process.env.DELAY_MS || 0);
const cid = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
let n = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => setTimeout(() => {
    const p = req.url;
    const body = Buffer.concat(chunks).toString('utf8');
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    n++;
    // Matrix
    if (p.includes('/state/')) return send(404, { errcode: 'M_NOT_FOUND', error: 'none' });
    if (p.includes('/send/')) return send(200, { event_id: `$e${n}` });
    // GitHub
    if (p === '/user') return send(200, { login: 'bench' });
    if (p.includes('/issues') && req.method === 'GET') return send(200, []);
    if (p.includes('/issues')) return send(201, { number: n, html_url: `https://github.com/o/r/issues/${n}`, user: { login: 'bench' } });
    // Meetup
    if (p.startsWith('/gql')) {
      const op = JSON.parse(body).operationName;
      if (op === 'crierFindEvent') return send(200, { data: { groupByUrlname: { events: { edges: [] } } } });
      const field = { crierCreateEvent: 'createEvent', crierPublishEvent: 'publishEventDraft', crierAnnounceEvent: 'announceEvent', crierEditEvent: 'editEvent' }[op];
      return send(200, { data: { [field]: { event: { id: `${n}`, eventUrl: `https://www.meetup.com/g/events/${n}/` }, errors: [] } } });
    }
    // Postmark
    if (p === '/email') return send(200, { MessageID: `pm-${n}`, ErrorCode: 0, Message: 'OK' });
    // Mastodon
    if (p === '/api/v2/instance') return send(200, { configuration: { statuses: { max_characters: 500, characters_reserved_per_url: 23 } } });
    if (p === '/api/v1/statuses') return send(200, { id: `${n}`, url: `https://social.example/@b/${n}` });
    // Bluesky
    if (p.includes('createSession')) return send(200, { did: 'did:plc:bench', handle: 'b.bsky.social', accessJwt: 'acc-jwt', refreshJwt: 'ref-jwt' });
    if (p.includes('describeServer')) return send(200, { did: 'did:web:x' });
    if (p.includes('getRecord')) return send(400, { error: 'RecordNotFound' });
    if (p.includes('createRecord')) return send(200, { uri: `at://did:plc:bench/app.bsky.feed.post/${n}`, cid });
    // Discourse
    if (p.startsWith('/forum/t/external_id/')) return send(404, { errors: ['not found'] });
    if (p === '/forum/posts.json') return send(200, { id: n, topic_id: n, topic_slug: 'bench' });
    // webhook
    return send(200, {});
  }, delay));
});
const smtp = new SMTPServer({
  authOptional: true, disabledCommands: ['STARTTLS'], disableReverseLookup: true,
  onData(stream, session, cb) { stream.resume(); stream.on('end', () => cb(null, 'ok')); },
});
server.listen(0, '127.0.0.1', () => smtp.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ http: server.address().port, smtp: smtp.server.address().port }));
}));
