// Build-output check for the strict Content-Security-Policy the server sends (docs/spec.md §11):
// `default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';
// frame-ancestors 'none'`. Every HTML page of both builds (the SPAs and the API docs) must load
// only files of its own origin: no inline <script>, no <style> element, no style= or on*=
// attribute, no <base>, no remote src/href; and each names a favicon that exists in the build, so
// no page logs a 404 for /favicon.ico. e2e/security.e2e.ts checks the pages in Chromium.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const problems = [];

function htmlFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

const RULES = [
  [/<script(?![^>]*\bsrc\s*=)[^>]*>/i, 'an inline <script>'],
  [/<style[\s>]/i, 'a <style> element'],
  [/<[^>]+\sstyle\s*=/i, 'a style= attribute'],
  [/<[^>]+\son[a-z]+\s*=/i, 'an on*= event handler attribute'],
  [/<base[\s>]/i, 'a <base> element'],
  [/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i, 'a remote src/href'],
];

for (const plane of ['system', 'admin']) {
  const index = join(dist, plane, 'index.html');
  if (!existsSync(index)) problems.push(`missing dist/${plane}/index.html`);
  for (const file of htmlFiles(join(dist, plane))) {
    const name = relative(dist, file);
    const text = readFileSync(file, 'utf8');
    for (const [pattern, what] of RULES) {
      const match = pattern.exec(text);
      if (match) problems.push(`dist/${name} has ${what}: ${match[0]}`);
    }
    const icon = /<link[^>]*\brel\s*=\s*["']icon["'][^>]*\bhref\s*=\s*["']([^"']+)["']/i.exec(text);
    if (!icon) {
      problems.push(`dist/${name} names no favicon (the browser would ask for /favicon.ico)`);
    } else if (!icon[1].startsWith(`/${plane}/`) || !existsSync(join(dist, icon[1]))) {
      problems.push(`dist/${name}: favicon ${icon[1]} is not a file of the ${plane} build`);
    }
  }
}

if (problems.length > 0) {
  console.error(`CSP check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('CSP check passed: no inline script or style, no remote URL, a favicon on every page.');
