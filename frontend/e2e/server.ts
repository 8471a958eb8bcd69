import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, type Page } from '@playwright/test';

export const FRONTEND_DIR = resolve(import.meta.dirname, '..');
export const REPO_ROOT = resolve(FRONTEND_DIR, '..');
/** The binary `cargo build` wrote: ATLAS_OPS_BIN, else under CARGO_TARGET_DIR (as the Makefile's
 * BIN), else target/. */
export const BINARY =
  process.env.ATLAS_OPS_BIN ??
  join(process.env.CARGO_TARGET_DIR ? resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR) : join(REPO_ROOT, 'target'), 'debug/atlas-ops');
export const DEMO_PASSWORD = 'e2e-console-password';

export interface RunningServer {
  baseUrl: string;
  /** The database URL the server uses, for CLI commands against the same database (SQLite,
   * or PostgreSQL with E2E_POSTGRES_URL). */
  databaseUrl: string;
  /** The SQLite file itself, for the `sqlite3` CLI (the 1,000-tenant e2e breaks tenants there). */
  databasePath: string;
  /** Runs `atlas-ops <args>` against the server's database, `input` on standard input. */
  cli: (args: string[], input?: string) => string;
  /** Starts `atlas-ops worker --count 1` on the server's database (`env` added to its own). */
  worker: (env?: Record<string, string>) => ChildProcess;
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

/** The demo data's shape (`atlas-ops demo seed --tenants … --findings-per-tenant …`). */
export interface SeedShape {
  tenants: number;
  findingsPerTenant: number;
  workspaces?: number;
}

/**
 * With E2E_POSTGRES_URL (an admin URL such as `postgres://postgres@127.0.0.1:5432/postgres`) the
 * server gets a fresh PostgreSQL database of its own instead of a SQLite file, made with
 * `createdb` and dropped by `stop()`. The helpers that write the SQLite file through the `sqlite3`
 * CLI (`slowFindingUpdates`, `databasePath`) need SQLite.
 */
const POSTGRES_ADMIN_URL = process.env.E2E_POSTGRES_URL;

/** A fresh PostgreSQL database on E2E_POSTGRES_URL's server: its URL and how to drop it. */
function freshPostgres(admin: string): { url: string; drop: () => void } {
  const name = `atlas_e2e_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  execFileSync('createdb', ['--maintenance-db', admin, name]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => execFileSync('dropdb', ['--maintenance-db', admin, '--if-exists', '--force', name]),
  };
}

/**
 * `atlas-ops serve` on a free port with a fresh SQLite database (PostgreSQL with E2E_POSTGRES_URL),
 * seeded with the default demo data (`--seed-demo`) or, given a `shape`, by `atlas-ops demo seed`
 * with that shape first; `settings` are added to its environment (e.g. `WORKERS: '0'` for a
 * server whose jobs a separate `worker` process runs).
 */
export async function startServer(shape?: SeedShape, settings: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'atlas-ops-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const databasePath = `${dataDir}/app.sqlite3`;
  const postgres = POSTGRES_ADMIN_URL ? freshPostgres(POSTGRES_ADMIN_URL) : null;
  const databaseUrl = postgres?.url ?? `sqlite://${databasePath}?mode=rwc`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    BIND: `127.0.0.1:${port}`,
    COOKIE_SECURE: 'false',
    DEMO_PASSWORD,
    STATIC_DIR: join(FRONTEND_DIR, 'dist'),
    WORKERS: '2',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
    ...settings,
  };
  if (shape) {
    execFileSync(
      BINARY,
      [
        'demo',
        'seed',
        '--tenants',
        String(shape.tenants),
        '--findings-per-tenant',
        String(shape.findingsPerTenant),
        '--workspaces',
        String(shape.workspaces ?? 3),
      ],
      { cwd: REPO_ROOT, env, encoding: 'utf8' },
    );
  }
  let output = '';
  const workers: ChildProcess[] = [];
  const child = spawn(BINARY, shape ? ['serve'] : ['serve', '--seed-demo'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitForHealthy(baseUrl, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    postgres?.drop();
    throw error;
  }
  return {
    baseUrl,
    databaseUrl,
    databasePath,
    cli: (args, input) =>
      execFileSync(BINARY, args, {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
        input: input ?? '',
        encoding: 'utf8',
      }),
    worker: (extra = {}) => {
      const worker = spawn(BINARY, ['worker', '--count', '1'], {
        cwd: REPO_ROOT,
        env: { ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      workers.push(worker);
      return worker;
    },
    output: () => output,
    stop: async () => {
      for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
      postgres?.drop();
    },
  };
}

/** The `sqlite3` shell waits this long for a running tenant's write lock instead of failing. */
const BUSY_TIMEOUT = '.timeout 15000';

/**
 * Makes every finding update of the server's database cost a few milliseconds (a counting query
 * in a trigger, through the `sqlite3` CLI), so a run lasts long enough to be watched, cancelled
 * and photographed while it runs; `fast()` drops the trigger again. Each tenant's transaction
 * holds the database's write lock that much longer, so with many findings per tenant keep `loops`
 * small (a preflight waits for the lock to record itself).
 */
export function slowFindingUpdates(server: RunningServer, loops = 12_000): { fast: () => void } {
  execFileSync('sqlite3', [
    '-cmd',
    BUSY_TIMEOUT,
    server.databasePath,
    `CREATE TRIGGER slow_tenants BEFORE UPDATE ON findings BEGIN SELECT (SELECT count(*) FROM ` +
      `(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${loops}) SELECT x FROM c)); END;`,
  ]);
  return {
    fast: () =>
      execFileSync('sqlite3', ['-cmd', BUSY_TIMEOUT, server.databasePath, 'DROP TRIGGER IF EXISTS slow_tenants;']),
  };
}

/**
 * Starts a run of `runbook` over all tenants through the API, as an operator's script would:
 * a preflight, then the start with its phrase, in the page's signed-in session. Returns the run's
 * id and how many tenants the preflight found in scope.
 */
export async function startOverAllTenants(
  page: Page,
  baseUrl: string,
  runbook: string,
  start: { reason: string; parameters?: Record<string, unknown>; allowNoChanges?: boolean },
): Promise<{ id: number; tenantsInScope: number }> {
  const session = await (await page.request.get(`${baseUrl}/system/api/auth/me`)).json();
  const headers = { 'X-CSRF-Token': session.csrf_token, Origin: baseUrl };
  const base = `${baseUrl}/system/api/ops/runbooks/${runbook}`;
  const preflight = await (
    await page.request.post(`${base}/preflight`, {
      headers,
      data: { scope: { kind: 'all_tenants' }, parameters: start.parameters ?? {} },
    })
  ).json();
  const started = await page.request.post(`${base}/runs`, {
    headers,
    data: {
      // The scope the preflight was asked for: the preflight's own `scope` is a view (docs/spec.md §21).
      scope: { kind: 'all_tenants' },
      reason: { code: 'data_repair', text: start.reason },
      preflight_id: preflight.preflight_id,
      confirmation: preflight.confirmation.phrase,
      parameters: preflight.parameters,
      ...(start.allowNoChanges ? { allow_no_changes: true } : {}),
    },
  });
  expect(started.status(), await started.text()).toBeLessThan(300);
  return { id: (await started.json()).id, tenantsInScope: preflight.tenants_in_scope };
}
