// A Meetup.com GraphQL server for tests: every document is parsed and
// validated against the real schema (npm graphql, ../shared/specs) and
// executed against it; tokens from a JWT (RS256, checked with node:crypto)
// or a rotating refresh token.
import http from 'node:http';
import crypto from 'node:crypto';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { buildSchema, parse, validate, graphql } from 'graphql';
import { readBody, shared } from './lib.mjs';

const schemaFile = join(shared, 'specs/meetup/schema.graphql');
export const skip = existsSync(schemaFile) ? false : `${schemaFile} is absent`;
let schema;
export const getSchema = () => (schema ??= buildSchema(readFileSync(schemaFile, 'utf8')));

export function meetup(opts = {}) {
  const st = { calls: [], invalid: [], tokens: 0, refresh: 'rt-0', access: 'at-0', events: new Map() };
  const { publicKey } = opts;
  // the group's events, as Meetup lists them (times in the group's zone,
  // CET in these December tests)
  const node = (id, e) => ({ id, title: e.title, status: e.status, eventUrl: `https://www.meetup.com/${e.groupUrlname}/events/${id}/`,
    dateTime: `${e.startDateTime}+01:00` });
  const root = {
    groupByUrlname: ({ urlname }) => ({
      events: ({ filter }) => {
        st.calls.push(['findEvents', filter]);
        const after = Date.parse(filter.afterDateTime), before = Date.parse(filter.beforeDateTime);
        const edges = [...st.events].filter(([, e]) => e.groupUrlname === urlname &&
          e.title.toLowerCase().includes(filter.title.toLowerCase()) &&
          Date.parse(`${e.startDateTime}+01:00`) >= after && Date.parse(`${e.startDateTime}+01:00`) <= before)
          .map(([id, e]) => ({ cursor: id, node: node(id, e) }));
        return { edges, totalCount: edges.length };
      },
    }),
    createEvent: ({ input }) => {
      st.calls.push(['createEvent', input]);
      const id = String(400000 + st.events.size);
      st.events.set(id, { ...input, status: 'DRAFT' });
      return { event: { id, eventUrl: `https://www.meetup.com/${input.groupUrlname}/events/${id}/` }, errors: null };
    },
    publishEventDraft: ({ input }) => {
      st.calls.push(['publishEventDraft', input]);
      if (st.events.has(input.eventId)) st.events.get(input.eventId).status = 'ACTIVE';
      return { event: { id: input.eventId, eventUrl: `https://www.meetup.com/g/events/${input.eventId}/` }, errors: null };
    },
    announceEvent: ({ input }) => {
      st.calls.push(['announceEvent', input]);
      if (opts.announceError) return { event: null, errors: [{ code: 'ANNOUNCE_LIMIT', field: null, message: 'too many announcements' }] };
      return { event: { id: input.eventId, eventUrl: `https://www.meetup.com/g/events/${input.eventId}/` }, errors: null };
    },
    editEvent: ({ input }) => { st.calls.push(['editEvent', input]); return { event: { id: input.eventId, eventUrl: `https://www.meetup.com/g/events/${input.eventId}/` }, errors: null }; },
    deleteEvent: ({ input }) => { st.calls.push(['deleteEvent', input]); return { success: true, errors: null }; },
  };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    const send = (code, obj) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (req.url === '/oauth2/access') {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        const [h, c, s] = form.get('assertion').split('.');
        const header = JSON.parse(Buffer.from(h, 'base64url'));
        const claims = JSON.parse(Buffer.from(c, 'base64url'));
        const ok = crypto.verify('sha256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'));
        if (!ok || header.alg !== 'RS256' || header.typ !== 'JWT' || header.kid !== 'kid-1' ||
            claims.sub !== '424242' || claims.iss !== 'client-key' || claims.aud !== 'api.meetup.com' ||
            claims.exp - claims.iat !== 120 || Math.abs(claims.iat - Date.now() / 1000) > 60) {
          st.invalid.push('jwt: ' + JSON.stringify({ ok, header, claims }));
          return send(400, { error: 'invalid_grant' });
        }
      } else if (form.get('grant_type') === 'refresh_token') {
        if (form.get('refresh_token') !== st.refresh) return send(400, { error: 'invalid_grant', error_description: 'refresh token reused' });
        st.refresh = `rt-${++st.tokens}`;
      } else return send(400, { error: 'unsupported_grant_type' });
      st.access = `at-${++st.tokens}`;
      return send(200, { access_token: st.access, token_type: 'bearer', expires_in: 3600, refresh_token: st.refresh });
    }
    if (req.url !== '/gql-ext') return send(404, {});
    if (req.headers.authorization !== `Bearer ${st.access}`) return send(200, { errors: [{ message: 'Unauthorized' }] });
    const { query, variables, operationName } = JSON.parse(body);
    let doc;
    try { doc = parse(query); } catch (e) { st.invalid.push('parse: ' + e.message); return send(400, { errors: [{ message: e.message }] }); }
    const errs = validate(getSchema(), doc);
    if (errs.length) { st.invalid.push('validate: ' + errs.map((e) => e.message).join('; ')); return send(200, { errors: errs.map((e) => ({ message: e.message })) }); }
    if (opts.hangOnAnnounce && operationName === 'crierAnnounceEvent') { st.calls.push(['announceEvent (hung)']); return; }
    const result = await graphql({ schema: getSchema(), source: query, variableValues: variables, operationName, rootValue: root });
    if (result.errors) st.invalid.push('execute: ' + result.errors.map((e) => e.message).join('; '));
    return send(200, result);
  });
  return { server, st };
}

