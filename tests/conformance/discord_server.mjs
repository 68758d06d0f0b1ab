// A loopback Discord that follows the API's documented semantics for what
// crier uses: incoming webhooks (GET the webhook, execute with ?wait=true,
// edit a message), forum channels (a post needs thread_name or
// thread_id), content of at most 2000 characters, and a bot's reading of
// a channel's messages (Authorization: Bot). Rate limits work as Discord
// describes them: each route has a bucket of `limit` requests per
// `window` ms, every answer says X-RateLimit-Limit, -Remaining, -Reset
// (Unix seconds, with a fraction), -Reset-After and -Bucket, and a request
// to a bucket with none left is answered 429 with {retry_after, global}
// and Retry-After. A server's scheduled events (a bot's): listed (those
// scheduled or active), created and edited as the API documents them —
// an external event needs entity_metadata.location (1 to 100 characters)
// and scheduled_end_time, privacy_level 2, a name of 1 to 100 characters,
// a description of at most 1000; a cancelled or completed event cannot
// change its status.
import http from 'node:http';
import { readBody } from './lib.mjs';

export const HOOK_ID = '1180000000000000001';
export const HOOK_TOKEN = 'Wh-tok3n_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
export const CHANNEL = '1180000000000000100';
export const FORUM = '1180000000000000200';
export const GUILD = '1180000000000000900';
export const BOT = 'Bot-token.CANARYdiscord42';

let snowflake = 1190000000000000000n;
const next = () => String(++snowflake);

export function discord(opts = {}) {
  const limit = opts.limit ?? 5;
  const window = opts.window ?? 2000;
  const st = { requests: [], messages: [], threads: new Map(), limited: 0, buckets: new Map(), invalid: [], first429: !!opts.first429, events: [] };
  const channelOf = () => (opts.forum ? FORUM : CHANNEL);
  const server = http.createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const url = new URL(req.url, 'http://x');
    let body = null;
    try { body = raw ? JSON.parse(raw) : null; } catch { body = 'not json'; }
    const rec = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, raw, body };
    st.requests.push(rec);
    const route = `${req.method} ${url.pathname.replace(/\/messages\/\d+/, '/messages/:id')}`;
    // the route's bucket
    const now = Date.now();
    let b = st.buckets.get(route);
    if (!b || now >= b.reset) { b = { used: 0, reset: now + window }; st.buckets.set(route, b); }
    const rl = () => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - b.used)),
      'x-ratelimit-reset': (b.reset / 1000).toFixed(3),
      'x-ratelimit-reset-after': ((b.reset - now) / 1000).toFixed(3),
      'x-ratelimit-bucket': Buffer.from(route).toString('hex').slice(0, 16),
    });
    const send = (code, obj, extra = {}) => {
      res.writeHead(code, { 'content-type': 'application/json', ...rl(), ...extra });
      res.end(JSON.stringify(obj));
    };
    if (b.used >= limit || (st.first429 && req.method === 'POST')) {
      st.first429 = false;
      st.limited++;
      const after = Math.max(0.001, (b.used >= limit ? b.reset - now : 1200) / 1000);
      return send(429, { message: 'You are being rate limited.', retry_after: after, global: false },
        { 'retry-after': String(Math.ceil(after)), 'x-ratelimit-scope': 'user' });
    }
    b.used++;
    const bad = (msg, errors) => send(400, { message: 'Invalid Form Body', code: 50035, errors: { _errors: [{ code: 'BASE_TYPE_BAD', message: msg }], ...errors } });
    // a bot reading a channel
    const ch = url.pathname.match(/^\/api\/v10\/channels\/(\d+)\/messages$/);
    if (ch && req.method === 'GET') {
      if (req.headers.authorization !== `Bot ${BOT}`) return send(401, { message: '401: Unauthorized', code: 0 });
      const n = Math.min(100, Number(url.searchParams.get('limit') ?? 50));
      return send(200, st.messages.filter((m) => m.channel_id === ch[1]).reverse().slice(0, n));
    }
    // a bot and the server's scheduled events
    const se = url.pathname.match(/^\/api\/v10\/guilds\/(\d+)\/scheduled-events(?:\/(\d+))?$/);
    if (se) {
      if (req.headers.authorization !== `Bot ${BOT}`) return send(401, { message: '401: Unauthorized', code: 0 });
      if (se[1] !== GUILD) return send(404, { message: 'Unknown Guild', code: 10004 });
      if (req.method === 'GET' && !se[2]) return send(200, st.events.filter((e) => e.status === 1 || e.status === 2));
      const invalid = (e) => {
        if (e.name !== undefined && (typeof e.name !== 'string' || !e.name.length || [...e.name].length > 100)) return 'name: Must be between 1 and 100 in length.';
        if (e.privacy_level !== undefined && e.privacy_level !== 2) return 'privacy_level: Value must be one of {2}.';
        if ((e.description ?? '').length > 1000) return 'description: Must be 1000 or fewer in length.';
        if (e.entity_type === 3) {
          const loc = e.entity_metadata?.location;
          if (typeof loc !== 'string' || !loc.length || [...loc].length > 100) return 'entity_metadata.location: required for external events, 1 to 100 in length';
          if (!e.scheduled_end_time) return 'scheduled_end_time: required for external events';
        }
        for (const k of ['scheduled_start_time', 'scheduled_end_time'])
          if (e[k] !== undefined && Number.isNaN(Date.parse(e[k]))) return `${k}: Invalid ISO8601 timestamp`;
        if (e.scheduled_start_time && e.scheduled_end_time && Date.parse(e.scheduled_end_time) <= Date.parse(e.scheduled_start_time)) return 'scheduled_end_time: must be after the start';
        return null;
      };
      if (req.method === 'POST' && !se[2]) {
        if (opts.eventFail && opts.eventFail-- > 0) return send(503, { message: 'upstream connect error', code: 0 });
        if (!body || typeof body !== 'object') return bad('not JSON');
        for (const k of ['name', 'privacy_level', 'scheduled_start_time', 'entity_type']) if (body[k] === undefined) return bad(`${k}: This field is required`);
        if (body.entity_type !== 3) return bad('this Discord has no channels for events: entity_type 3 only');
        const why = invalid(body);
        if (why) return bad(why);
        const ev = { id: next(), guild_id: GUILD, channel_id: null, creator_id: '1', status: 1, entity_id: null, user_count: 0, ...body };
        if (opts.slow) await opts.slow();
        st.events.push(ev);
        return send(200, ev);
      }
      if (req.method === 'PATCH' && se[2]) {
        const ev = st.events.find((e) => e.id === se[2]);
        if (!ev) return send(404, { message: 'Unknown Guild Scheduled Event', code: 10070 });
        const next = { ...ev, ...body };
        const why = invalid(next);
        if (why) return bad(why);
        if (body.status !== undefined && body.status !== ev.status && !(ev.status === 1 && (body.status === 2 || body.status === 4)) && !(ev.status === 2 && body.status === 3))
          return bad('Cannot change the status of this event', { status: { _errors: [{ code: 'GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION' }] } });
        Object.assign(ev, body);
        return send(200, ev);
      }
      return send(405, { message: '405: Method Not Allowed', code: 0 });
    }
    const m = url.pathname.match(/^\/api\/v10\/webhooks\/(\d+)\/([^/]+)(\/messages\/(\d+))?$/);
    if (!m) return send(404, { message: '404: Not Found', code: 0 });
    if (m[1] !== HOOK_ID || m[2] !== HOOK_TOKEN) return send(401, { message: 'Invalid Webhook Token', code: 50027 });
    if (req.method === 'GET' && !m[3])
      return send(200, { type: 1, id: HOOK_ID, name: 'Treff', channel_id: channelOf(), guild_id: GUILD, application_id: null, token: HOOK_TOKEN });
    if (req.method === 'POST' && !m[3]) {
      if (!body || typeof body !== 'object') return bad('not JSON');
      if (typeof body.content !== 'string' && !body.embeds) return bad('Cannot send an empty message');
      if ((body.content ?? '').length > 2000) return bad('content: Must be 2000 or fewer in length.', { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } });
      for (const e of body.embeds ?? []) if ((e.title ?? '').length > 256 || (e.description ?? '').length > 4096) return bad('embed too long');
      let channel = channelOf();
      const thread = url.searchParams.get('thread_id');
      if (opts.forum) {
        if (!body.thread_name && !thread) return bad('Webhooks posted to forum channels must have a thread_name or thread_id');
        if (body.thread_name && body.thread_name.length > 100) return bad('thread_name: Must be 100 or fewer in length.');
      } else if (body.thread_name) return bad('Webhooks can only create threads in forum channels');
      if (thread) {
        if (!st.threads.has(thread)) return send(404, { message: 'Unknown Channel', code: 10003 });
        channel = thread;
      } else if (body.thread_name) {
        channel = next();
        st.threads.set(channel, body.thread_name);
      }
      const msg = { id: next(), type: 0, channel_id: channel, content: body.content ?? '', embeds: body.embeds ?? [], webhook_id: HOOK_ID,
        author: { id: HOOK_ID, username: body.username ?? 'Treff', bot: true }, timestamp: new Date().toISOString(), mentions: [], mention_everyone: false };
      if (opts.slow) await opts.slow();
      st.messages.push(msg);
      return send(200, url.searchParams.get('wait') === 'true' ? msg : null);
    }
    if (req.method === 'PATCH' && m[3]) {
      const msg = st.messages.find((x) => x.id === m[4]);
      if (!msg || (url.searchParams.get('thread_id') ?? channelOf()) !== msg.channel_id) return send(404, { message: 'Unknown Message', code: 10008 });
      if ((body.content ?? '').length > 2000) return bad('content: Must be 2000 or fewer in length.');
      if (body.content !== undefined) msg.content = body.content;
      if (body.embeds !== undefined) msg.embeds = body.embeds;
      msg.edited_timestamp = new Date().toISOString();
      return send(200, msg);
    }
    return send(405, { message: '405: Method Not Allowed', code: 0 });
  });
  return { server, st };
}

export const webhookUrl = (port) => `http://127.0.0.1:${port}/api/v10/webhooks/${HOOK_ID}/${HOOK_TOKEN}`;
