// Build-output check for the offline API docs (run by `npm run build` after both Vite builds):
// dist/system/api-docs/ holds the page, Swagger UI and the initialiser, and no file there loads a
// script or stylesheet from another origin (src=/href= with an http:// or https:// URL).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../dist/system/api-docs/', import.meta.url));
const REQUIRED = ['index.html', 'swagger-ui-bundle.js', 'swagger-ui.css', 'init.js'];
const REMOTE = /\b(?:src|href)\s*=\s*\\?["']?\s*(?:https?:)?\/\//i;
const problems = [];

for (const file of REQUIRED) {
  if (!existsSync(join(dir, file))) problems.push(`missing dist/system/api-docs/${file}`);
}
if (existsSync(dir)) {
  for (const file of readdirSync(dir)) {
    if (!/\.(html|js|css)$/.test(file)) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    const match = REMOTE.exec(text);
    if (match) problems.push(`dist/system/api-docs/${file} references a remote URL: ${match[0]}`);
  }
  const index = existsSync(join(dir, 'index.html')) ? readFileSync(join(dir, 'index.html'), 'utf8') : '';
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(index)) problems.push('api-docs/index.html has an inline script');
}
// The customer build must not carry the operator docs.
if (existsSync(fileURLToPath(new URL('../dist/admin/api-docs/', import.meta.url)))) {
  problems.push('dist/admin/api-docs exists: the API docs belong to the system build only');
}

if (problems.length > 0) {
  console.error(`API docs check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`API docs check passed: ${REQUIRED.join(', ')} present, no remote src/href.`);
