import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FRONTEND_DIR = resolve(import.meta.dirname, '..');
export const REPO_ROOT = resolve(FRONTEND_DIR, '..');
export const BINARY = process.env.ATLAS_OPS_BIN ?? join(REPO_ROOT, 'target/debug/atlas-ops');
export const DEMO_PASSWORD = 'e2e-console-password';

export interface RunningServer {
  baseUrl: string;
  /** The SQLite URL the server uses, for CLI commands against the same database. */
  databaseUrl: string;
  /** Runs `atlas-ops <args>` against the server's database, `input` on standard input. */
  cli: (args: string[], input?: string) => string;
  stop: () => Promise<void>;
  /** Everything the server printed, for failure messages. */
  output: () => string;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

async function waitForHealthy(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`atlas-ops exited with ${child.exitCode}:\n${log()}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((wait) => setTimeout(wait, 200));
  }
  throw new Error(`atlas-ops did not become healthy within 60 s:\n${log()}`);
}

/** `atlas-ops serve --seed-demo` on a free port with a fresh SQLite database. */
export async function startServer(): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'atlas-ops-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite://${dataDir}/app.sqlite3?mode=rwc`;
  let output = '';
  const child = spawn(BINARY, ['serve', '--seed-demo'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      BIND: `127.0.0.1:${port}`,
      COOKIE_SECURE: 'false',
      DEMO_PASSWORD,
      STATIC_DIR: join(FRONTEND_DIR, 'dist'),
      WORKERS: '2',
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitForHealthy(baseUrl, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    baseUrl,
    databaseUrl,
    cli: (args, input) =>
      execFileSync(BINARY, args, {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
        input: input ?? '',
        encoding: 'utf8',
      }),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
