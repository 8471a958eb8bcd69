import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TARGETS, generate } from '../../scripts/gen-api.mjs';

const frontend = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

// The API types are generated from the committed contracts, never edited by hand: regenerate
// them in memory and compare with what is committed.
describe('generated API types', () => {
  for (const { contract, output } of TARGETS) {
    it(`${output} matches ${contract}`, async () => {
      const committed = await readFile(frontend(output), 'utf8');
      const expected = await generate(contract);
      expect(committed === expected, `${output} is stale: run \`npm run gen:api\``).toBe(true);
    });
  }
});
