import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors/index.js';
import { openApiDocument } from '../../src/server/openapi-document.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 24: the document /docs/json serves is valid OpenAPI 3.1 by the standard validators,
 * its examples hold, and every operation carries what a client generator needs. A route added
 * without an operationId, a response schema or its documented errors fails here.
 */
type Json = Record<string, unknown>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

let t: TestServer;
let doc: Json;
beforeAll(async () => {
  t = await createTestServer();
  doc = (await t.app.inject({ url: '/docs/json' })).json<Json>();
});
afterAll(async () => t?.close());

const operations = () =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Json })),
  );

/** Every example in the document with the schema it must satisfy, by JSON pointer. */
function examples(node: unknown, pointer: string, out: { at: string; schema: Json; value: unknown }[]) {
  if (Array.isArray(node)) {
    node.forEach((n, i) => examples(n, `${pointer}/${i}`, out));
    return out;
  }
  if (node === null || typeof node !== 'object') return out;
  const o = node as Json;
  const isMediaOrParameter = 'schema' in o && typeof o.schema === 'object';
  if (isMediaOrParameter) {
    // OpenAPI media type / parameter: `example`, or `examples` as a map of Example objects.
    if ('example' in o) out.push({ at: `${pointer}/example`, schema: o.schema as Json, value: o.example });
    if (o.examples && !Array.isArray(o.examples)) {
      for (const [name, ex] of Object.entries(o.examples as Record<string, Json>))
        out.push({ at: `${pointer}/examples/${name}`, schema: o.schema as Json, value: ex.value });
    }
  } else {
    // A JSON Schema: `examples` (an array) and OpenAPI's `example`.
    const { examples: list, example, ...schema } = o;
    if (Array.isArray(list))
      list.forEach((value, i) => out.push({ at: `${pointer}/examples/${i}`, schema, value }));
    if (example !== undefined) out.push({ at: `${pointer}/example`, schema, value: example });
  }
  for (const [k, v] of Object.entries(o))
    if (k !== 'examples' && k !== 'example') examples(v, `${pointer}/${k}`, out);
  return out;
}

describe('the OpenAPI document (issue 24)', () => {
  it('is valid OpenAPI 3.1 for @apidevtools/swagger-parser', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('passes Redocly lint with the recommended ruleset: no errors and no warnings', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: 'openapi.json',
      config,
    });
    const described = problems.map(
      (p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`,
    );
    expect(described).toEqual([]);
  });

  it('has request and response examples, and every example validates against its own schema', () => {
    const found = examples(doc.paths, '#/paths', examples(doc.components, '#/components', []));
    expect(found.length).toBeGreaterThan(100);
    // Whole request bodies and whole responses, as a reader of /docs sees them.
    const whole = (pattern: RegExp) => found.filter((e) => pattern.test(e.at)).length;
    expect(whole(/\/requestBody\/content\/application\/json\/example/)).toBeGreaterThanOrEqual(5);
    expect(whole(/\/responses\/2\d\d\/content\/application\/json\/example/)).toBeGreaterThanOrEqual(3);
    const failures: string[] = [];
    for (const { at, schema, value } of found) {
      // A fresh validator each time: component schemas carry an $id, registered once per instance.
      const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
      const validate = ajv.compile({ ...schema, components: doc.components });
      if (!validate(value)) failures.push(`${at}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(failures).toEqual([]);
  });

  it('gives every operation a unique operationId, a tag, a summary and a typed success response', () => {
    const ids = new Set<string>();
    const problems: string[] = [];
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId as string | undefined;
      if (!id || !/^[a-z]+(\.[a-z][A-Za-z]*)+$/.test(id)) problems.push(`${where}: operationId ${id}`);
      else if (ids.has(id)) problems.push(`${where}: operationId ${id} used twice`);
      if (id) ids.add(id);
      if (!(op.tags as string[] | undefined)?.length) problems.push(`${where}: no tag`);
      if (!op.summary) problems.push(`${where}: no summary`);
      const responses = op.responses as Record<string, Json>;
      const success = Object.keys(responses).filter((s) => /^2\d\d$/.test(s));
      if (success.length === 0) problems.push(`${where}: no success response`);
      for (const s of success)
        if (s !== '204' && !responses[s]!.content) problems.push(`${where}: ${s} has no schema`);
    }
    expect(problems).toEqual([]);
  });

  it("documents every operation's errors in the catalogue's shape, with their codes", () => {
    const problems: string[] = [];
    const errorRef = '#/components/schemas/ErrorResponse';
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const responses = op.responses as Record<string, Json>;
      const keyed = path.startsWith('/v1/') && !(Array.isArray(op.security) && op.security.length === 0);
      // What the key guard and the validator answer: declared by the route itself.
      if (keyed) for (const s of ['400', '401', '403']) if (!responses[s]) problems.push(`${where}: no ${s}`);
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[45]/.test(status) || (path === '/ready' && status === '503')) continue;
        const content = response.content as Record<string, { schema?: Json }> | undefined;
        if (content?.['application/json']?.schema?.$ref !== errorRef)
          problems.push(`${where}: ${status} not an ErrorResponse`);
        if (!/[A-Z_]{4,}/.test(String(response.description)))
          problems.push(`${where}: ${status} names no code`);
      }
      if (!responses['4XX'] || !responses['5XX']) problems.push(`${where}: 4XX/5XX missing`);
    }
    expect(problems).toEqual([]);
    const codes = (
      ((doc.components as Json).schemas as Record<string, Json>).ErrorResponse!.properties as Record<
        string,
        Json
      >
    ).error!.properties as Record<string, Json>;
    expect(codes.code!.enum).toEqual(Object.keys(ERROR_CATALOGUE));
  });

  it('is what `switchboard openapi` and the client build produce without a running service', async () => {
    expect(await openApiDocument()).toEqual(doc);
  });

  it('lists, per operation, only the error codes that operation can answer', () => {
    const ops = operations();
    const described = (id: string, status: string) =>
      String(
        (ops.find((o) => o.op.operationId === id)!.op.responses as Record<string, Json>)[status]!.description,
      );
    // A voice route's 409 names voice conflicts, not the call center's or messaging's.
    expect(described('voice.putMemory', '409')).toContain('VERSION_CONFLICT');
    expect(described('voice.putMemory', '409')).not.toMatch(/AGENT_|PIN_LIMIT|TURN_/);
    expect(described('callcenter.agents.create', '409')).toContain('AGENT_EXISTS');
    // Start-up codes are never an answer; the edge's are on every operation.
    expect(described('ops.health', '5XX')).not.toContain('CONFIG_INVALID');
    expect(described('ops.health', '4XX')).toContain('HEADERS_TOO_LARGE');
  });

  it('names its servers and licence', () => {
    expect((doc.servers as Json[]).length).toBeGreaterThan(0);
    expect(((doc.info as Json).license as Json).name).toBe('Apache-2.0');
  });
});
