import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BINARY, FRONTEND_DIR, REPO_ROOT } from './server';

/**
 * Makes sure there is something to test: the backend binary (cargo build is a no-op when it is
 * up to date; skip with E2E_SKIP_BUILD=1, as `make e2e` does after building) and the built SPA.
 */
export default function globalSetup(): void {
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
    throw new Error('Chromium is missing: apt-get install -y chromium (or set CHROMIUM_PATH).');
  }
  if (process.env.E2E_SKIP_BUILD !== '1') {
    execFileSync('cargo', ['build', '-p', 'atlas-ops'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  if (!existsSync(BINARY)) throw new Error(`No backend binary at ${BINARY}.`);
  if (!existsSync(`${FRONTEND_DIR}/dist/system/index.html`)) {
    throw new Error('frontend/dist is missing: run `npm run build` first (make e2e does).');
  }
}
