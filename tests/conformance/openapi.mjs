// A request validator over OpenAPI descriptions written by others (GitHub's
// @octokit/openapi, the Matrix spec's YAML): it finds the operation for a
// method and path, checks the path parameters and the JSON request body
// against the operation's schemas with ajv. $refs are resolved (within the
// document, and across YAML files relative to the one that refers), and
// OpenAPI 3.0's "nullable: true" becomes anyOf [schema, {type: null}].
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const cache = new Map();
function loadFile(path) {
  if (!cache.has(path)) {
    const text = readFileSync(path, 'utf8');
    cache.set(path, path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text));
  }
  return cache.get(path);
}

function pointer(doc, frag) {
  if (!frag) return doc;
  return frag.replace(/^\//, '').split('/').reduce((o, k) =>
    o[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

// Returns a copy of node with every $ref replaced by what it points to.
export function deref(node, file, doc, depth = 0, seen = new Map()) {
  if (depth > 60) return {};
  if (Array.isArray(node)) return node.map((n) => deref(n, file, doc, depth + 1, seen));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const [target, frag] = node.$ref.split('#');
    const tfile = target ? resolve(dirname(file), target) : file;
    const tdoc = target ? loadFile(tfile) : doc;
    const key = `${tfile}#${frag || ''}`;
    if (seen.has(key)) return seen.get(key);
    const out = {};
    seen.set(key, out);
    const { $ref, ...rest } = node;
    Object.assign(out, deref(pointer(tdoc, frag), tfile, tdoc, depth + 1, seen),
      deref(rest, file, doc, depth + 1, seen));
    return out;
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = deref(v, file, doc, depth + 1, seen);
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

export class Validator {
  // specs: [{file, basePath}] (each an OpenAPI document)
  constructor(specs) {
    this.ops = [];
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    for (const { file, basePath = '' } of specs) {
      const doc = loadFile(file);
      for (const [tpl, item] of Object.entries(doc.paths || {})) {
        for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
          const op = item[method];
          if (!op) continue;
          const names = [];
          const rx = new RegExp('^' + (basePath + tpl).replace(/[.*+?^$()|[\]\\]/g, '\\$&')
            .replace(/\\{|{/g, '{').replace(/{([^}]+)}/g, (_, n) => { names.push(n); return '([^/]*)'; }) + '$');
          this.ops.push({ method: method.toUpperCase(), tpl, rx, names, op, item, file, doc, compiled: null });
        }
      }
    }
  }

  compile(o) {
    if (o.compiled) return o.compiled;
    const params = [...(o.item.parameters || []), ...(o.op.parameters || [])]
      .map((p) => deref(p, o.file, o.doc));
    const body = o.op.requestBody ? deref(o.op.requestBody, o.file, o.doc) : null;
    const schema = body?.content?.['application/json']?.schema;
    o.compiled = {
      params,
      bodyRequired: !!body?.required,
      body: schema ? this.ajv.compile(schema) : null,
    };
    return o.compiled;
  }

  // {method, path (without query), query (URLSearchParams), body (string)}
  validate(req) {
    const errors = [];
    const cands = this.ops.filter((o) => o.rx.test(req.path));
    const o = cands.find((c) => c.method === req.method);
    if (!o) return { ok: false, errors: [`no operation ${req.method} ${req.path}`] };
    const c = this.compile(o);
    const m = o.rx.exec(req.path);
    const values = Object.fromEntries(o.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    for (const p of c.params) {
      let v;
      if (p.in === 'path') v = values[p.name];
      else if (p.in === 'query') v = req.query?.get(p.name) ?? undefined;
      else continue;
      if (v === undefined || (v === '' && p.in !== 'path')) {
        if (p.required) errors.push(`missing ${p.in} parameter ${p.name}`);
        continue;
      }
      if (p.schema) {
        let val = v;
        if (p.schema.type === 'integer' || p.schema.type === 'number') val = Number(v);
        if (!this.ajv.validate(p.schema, val)) errors.push(`${p.name}: ${this.ajv.errorsText()}`);
      }
    }
    if (c.body) {
      let json;
      try { json = req.body ? JSON.parse(req.body) : undefined; } catch { errors.push('the body is not JSON'); }
      if (json === undefined && c.bodyRequired) errors.push('the body is required');
      else if (json !== undefined && !c.body(json)) errors.push('body: ' + this.ajv.errorsText(c.body.errors));
    }
    return { ok: errors.length === 0, errors, op: o, values };
  }
}
