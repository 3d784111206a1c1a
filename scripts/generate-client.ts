/**
 * Build step: writes src/client/api-types.gen.ts, the TypeScript types of every path,
 * operation and schema of the HTTP API, from the OpenAPI document the routes declare
 * (openapi-typescript). `npm run build` runs it before compiling; the committed file is
 * checked against a fresh generation by test/client/client.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { openApiDocument } from '../src/server/openapi-document.js';

export const GENERATED_TYPES = fileURLToPath(new URL('../src/client/api-types.gen.ts', import.meta.url));

export async function generatedClientTypes(document?: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS((document ?? (await openApiDocument())) as never, { alphabetize: true });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const types = await generatedClientTypes();
  // Unchanged types are not rewritten, so a build leaves a clean checkout clean (.ci/run checks).
  if (!existsSync(GENERATED_TYPES) || readFileSync(GENERATED_TYPES, 'utf8') !== types) {
    writeFileSync(GENERATED_TYPES, types);
    console.log(`client types regenerated: ${GENERATED_TYPES}`);
  }
}
