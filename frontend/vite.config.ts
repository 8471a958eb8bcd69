import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// One build per plane (`--mode system`, `--mode admin`), not one multi-page build: each plane
// gets its own base URL, so the customer bundle never references a `/system/...` asset and the
// customer plane never reveals that the operator plane exists (SPEC §3).
const PLANES = ['system', 'admin'] as const;
type Plane = (typeof PLANES)[number];

function isPlane(mode: string): mode is Plane {
  return (PLANES as readonly string[]).includes(mode);
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig(({ mode }) => {
  if (!isPlane(mode)) {
    throw new Error(`Run vite with --mode system or --mode admin (got "${mode}").`);
  }
  const backend = process.env.ATLAS_OPS_URL ?? 'http://127.0.0.1:8080';
  return {
    root: here(`./src/${mode}`),
    base: `/${mode}/`,
    publicDir: false,
    plugins: [react()],
    build: {
      outDir: here(`./dist/${mode}`),
      emptyOutDir: true,
    },
    server: {
      proxy: { [`/${mode}/api`]: { target: backend } },
    },
  };
});
