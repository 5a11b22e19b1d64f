import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { E2E_STACKS, type E2EStack, REPO_ROOT, token, type RunEnv } from '@firstmile/testing';

export interface Stack {
  url(service: ServiceName | 'console', path?: string): string;
  ready(timeoutMs?: number): Promise<void>;
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Processes per service (REPLICAS). */
  readonly replicas: number;
  /** A service's worker pids when it runs REPLICAS > 1 (none otherwise). */
  workers(service: ServiceName): number[];
  /** Kills `count` of a service's workers at once; its primary starts them again. The pids killed. */
  killWorkers(service: ServiceName, opts?: { count?: number; signal?: NodeJS.Signals }): Promise<number[]>;
  /** Starts a killed service again; `env` adds to or overrides its settings. */
  restart(service: ServiceName, env?: Record<string, string>): void;
  stop(): Promise<void>;
}
export type ServiceName = 'harvest-intake' | 'grading' | 'warehouse' | 'order-routing' | 'insights';

interface StackModule {
  build(opts: { log: (line: string) => void }): void;
  startServices(opts: {
    env: Record<string, string>;
    portOffset: number;
    logDir: string;
    log: (line: string) => void;
    only?: ServiceName[];
  }): Promise<Stack>;
}

/**
 * Loads one of the project's ESM tools (tools/…/*.mjs) from a test. Jest's own `require` cannot
 * load ESM unless node runs with --experimental-vm-modules; Node's loader (Module._load) can, natively
 * on Node 24. The tools are not code under test, so bypassing Jest's module registry loses nothing.
 */
export function requireTool<T>(relativePath: string): T {
  const file = path.join(REPO_ROOT, relativePath);
  try {
    return nodeModule.createRequire(__filename)(file) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
    return (nodeModule as unknown as { Module: { _load(request: string, parent: null, isMain: boolean): T } }).Module._load(file, null, false);
  }
}

/**
 * The five services and the console as real processes, started the way `npm start` starts them (tools/dev/stack.mjs).
 * `env` adds to (or overrides) what every service gets, e.g. a trace exporter.
 */
/**
 * Each end-to-end file runs its own stack on its own topic and database prefix inside the run's,
 * so stock, events and dead letters of other suites never leak into what it asserts.
 */
export async function startStack(
  name: E2EStack,
  env: Record<string, string> = {},
  { only }: { only?: ServiceName[] } = {},
): Promise<Stack> {
  const { build, startServices } = requireTool<StackModule>('tools/dev/stack.mjs');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  build({ log });
  const run = process.env as unknown as RunEnv;
  const stack = await startServices({
    env: {
      KAFKA_BROKERS: run.KAFKA_BROKERS,
      MONGO_URL: run.MONGO_URL,
      KAFKA_TOPIC_PREFIX: `${run.KAFKA_TOPIC_PREFIX}${name}.`,
      MONGO_DB_PREFIX: `${run.MONGO_DB_PREFIX}${name}_`,
      LOG_LEVEL: 'warn',
      KAFKA_RETRY_DELAYS_MS: process.env['KAFKA_RETRY_DELAYS_MS'] ?? '200,500',
      OUTBOX_POLL_MS: process.env['OUTBOX_POLL_MS'] ?? '200',
      ...env,
    },
    // Test ports (13101… for the first stack, +100 for each next one) leave a running `npm start`
    // and other suites' stacks alone; E2E_PORT_OFFSET moves the base (two runs on one machine).
    portOffset: Number(process.env['E2E_PORT_OFFSET'] ?? 10_000) + 100 * E2E_STACKS.indexOf(name),
    logDir: logDirOf(name),
    log,
    ...(only ? { only } : {}),
  });
  try {
    await stack.ready();
  } catch (err) {
    // The caller never gets the stack, so it could not stop what did start.
    await stack.stop();
    throw err;
  }
  return stack;
}

/** Where a stack's services write their JSON logs (`<service>.log`). */
export const logDirOf = (name: E2EStack) =>
  path.join(REPO_ROOT, '.cache', 'logs', `e2e-${(process.env as unknown as RunEnv).FM_RUN_ID}-${name}`);

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for one caller. */
export function client(stack: Stack, claims: Parameters<typeof token>[0] | null) {
  const auth: Record<string, string> = claims ? { authorization: `Bearer ${token(claims)}` } : {};
  const call = async <T = Record<string, unknown>>(method: string, service: ServiceName, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    const res = await fetch(stack.url(service, p), {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  };
  return {
    get: <T = Record<string, unknown>>(service: ServiceName, p: string) => call<T>('GET', service, p),
    post: <T = Record<string, unknown>>(service: ServiceName, p: string, body: unknown, headers?: Record<string, string>) =>
      call<T>('POST', service, p, body, headers),
    put: <T = Record<string, unknown>>(service: ServiceName, p: string, body: unknown) => call<T>('PUT', service, p, body),
  };
}
