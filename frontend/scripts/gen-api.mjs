// Generates the API types from the committed OpenAPI contracts (`npm run gen:api`).
// src/api/schema.test.ts regenerates in memory and fails when the committed files drift.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** Contract → generated file, both relative to frontend/. */
export const TARGETS = [
  { contract: '../openapi/system-ops-runbooks.openapi.yaml', output: 'src/api/schema.ts' },
  { contract: '../openapi/customer.openapi.yaml', output: 'src/api/customer-schema.ts' },
];

const HEADER = (contract) =>
  `// Generated from ${contract.replace('../', '')} by \`npm run gen:api\` — do not edit.\n` +
  `// Change the backend's #[utoipa::path] annotations, run \`make openapi\`, then regenerate.\n\n`;

/** The text `output` must hold for `contract`. */
export async function generate(contract) {
  const source = await readFile(here(`../${contract}`), 'utf8');
  // Free-form objects (`data`, `metadata`, samples) are `Record<string, unknown>`, not `never`.
  const ast = await openapiTS(source, { emptyObjectsUnknown: true });
  return HEADER(contract) + astToString(ast);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const { contract, output } of TARGETS) {
    await writeFile(here(`../${output}`), await generate(contract));
    console.log(`wrote ${output}`);
  }
}
