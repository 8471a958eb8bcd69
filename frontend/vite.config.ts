import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// One build per plane (`--mode system`, `--mode admin`), not one multi-page build: each plane
// gets its own base URL, so the customer bundle never references a `/system/...` asset and the
// customer plane never reveals that the operator plane exists (docs/spec.md §3).
const PLANES = ['system', 'admin'] as const;
type Plane = (typeof PLANES)[number];

function isPlane(mode: string): mode is Plane {
  return (PLANES as readonly string[]).includes(mode);
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Swagger UI's files, copied from the installed package: nothing is fetched at build or run time. */
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'];
/** Our own page and initialiser (no inline script, so `default-src 'self'` holds). */
const API_DOCS_FILES = ['index.html', 'init.js'];

/**
 * Offline API documentation at `/system/api-docs/`: after the system build, copies Swagger UI
 * from node_modules/swagger-ui-dist plus `api-docs/index.html` and `api-docs/init.js` into
 * `dist/system/api-docs/`. The backend serves any existing file under dist/system as-is.
 */
function apiDocs(outDir: string): Plugin {
  return {
    name: 'atlas-ops-api-docs',
    apply: 'build',
    closeBundle() {
      const target = join(outDir, 'api-docs');
      mkdirSync(target, { recursive: true });
      for (const file of SWAGGER_UI_FILES) {
        copyFileSync(here(`./node_modules/swagger-ui-dist/${file}`), join(target, file));
      }
      for (const file of API_DOCS_FILES) {
        copyFileSync(here(`./api-docs/${file}`), join(target, file));
      }
    },
  };
}

export default defineConfig(({ mode }) => {
  if (!isPlane(mode)) {
    throw new Error(`Run vite with --mode system or --mode admin (got "${mode}").`);
  }
  const backend = process.env.ATLAS_OPS_URL ?? 'http://127.0.0.1:8080';
  const outDir = here(`./dist/${mode}`);
  return {
    root: here(`./src/${mode}`),
    base: `/${mode}/`,
    // public/favicon.svg, copied to the root of each plane's build (`/system/favicon.svg`,
    // `/admin/favicon.svg`); index.html names it as `/favicon.svg` and Vite adds the base.
    publicDir: here('./public'),
    // API docs only in the operator build: the customer plane never names /system (docs/spec.md §3).
    plugins: mode === 'system' ? [react(), apiDocs(outDir)] : [react()],
    build: {
      outDir,
      emptyOutDir: true,
    },
    server: {
      proxy: { [`/${mode}/api`]: { target: backend } },
    },
  };
});
