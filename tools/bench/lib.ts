/**
 * Small helpers the benchmark phases share: timing, percentiles, process memory, tokens, a JSON
 * HTTP client, and the recording of figures (every figure is either measured or says why not).
 */
import fs from 'node:fs';
import jwt from 'jsonwebtoken';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const out = (line = '') => process.stdout.write(`${line}\n`);

/** Nearest-rank percentile of a sample (p in 0..100); NaN for an empty sample. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Resident set size of a process in MiB (VmRSS from /proc), undefined once it is gone. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples the RSS of named processes every `everyMs` while a load runs and keeps each one's
 * peak. Reading /proc costs microseconds, so it does not disturb the measurement.
 */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  start(everyMs = 500): this {
    const sample = () => {
      for (const [name, pid] of Object.entries(this.pids())) {
        const v = rssMiB(pid);
        if (v !== undefined) this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, v));
      }
    };
    sample();
    this.timer = setInterval(sample, everyMs);
    return this;
  }

  stop(): Record<string, number> {
    if (this.timer) clearInterval(this.timer);
    return Object.fromEntries(this.peaks);
  }
}

export interface Claims {
  role: 'coop_manager' | 'grading_line' | 'warehouse_operator' | 'buyer' | 'logistics_operator' | 'ops';
  sub?: string;
  coop?: string;
  warehouses?: string[];
  buyer?: string;
}

/** A development token, signed as tools/dev/token.mjs signs them. */
export function tokenFor(claims: Claims): string {
  const secret = process.env['AUTH_JWT_SECRET'] ?? 'firstmile-dev-secret';
  return jwt.sign({ sub: `${claims.role}-bench`, ...claims }, secret, {
    algorithm: 'HS256',
    expiresIn: '2h',
    // The same issuer and audience the services are told to require (AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE).
    ...(process.env['AUTH_JWT_ISSUER'] ? { issuer: process.env['AUTH_JWT_ISSUER'] } : {}),
    ...(process.env['AUTH_JWT_AUDIENCE'] ? { audience: process.env['AUTH_JWT_AUDIENCE'] } : {}),
  });
}

export interface Reply<T> {
  status: number;
  body: T;
}

/** One JSON request; the body of an error reply is kept for the message. */
export async function call<T = Record<string, unknown>>(
  method: string,
  url: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Reply<T>> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as T };
}

/** Like `call`, but anything other than the expected status throws with the reply in the message. */
export async function expectStatus<T = Record<string, unknown>>(
  expected: number,
  ...args: Parameters<typeof call>
): Promise<T> {
  const r = await call<T>(...args);
  if (r.status !== expected) {
    throw new Error(
      `${args[0]} ${args[1]} answered ${r.status} (expected ${expected}): ${JSON.stringify(r.body).slice(0, 300)}`,
    );
  }
  return r.body;
}

/** Polls `probe` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]);
      }
    }),
  );
  return results;
}

export const errorText = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);

/** CPU counters in clock ticks: the whole machine's, and this benchmark's process tree's. */
export interface CpuSnapshot {
  at: number;
  total: number;
  busy: number;
  ours: number;
}

function procTimes(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: children that were waited for count in their parent's c*time.
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

/**
 * The machine is shared (other engineers' test suites run on the same 2 cores), so every phase
 * records how much CPU the rest of the machine took meanwhile: figures taken while others were
 * busy are low, and the table says so.
 */
export function cpuSnapshot(): CpuSnapshot {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = line[3] + line[4];
  const parents = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const t = procTimes(Number(name));
    if (!t) continue;
    ticks.set(Number(name), t.ticks);
    parents.set(t.ppid, [...(parents.get(t.ppid) ?? []), Number(name)]);
  }
  let ours = 0;
  const stack = [process.pid];
  while (stack.length) {
    const pid = stack.pop() as number;
    ours += ticks.get(pid) ?? 0;
    stack.push(...(parents.get(pid) ?? []));
  }
  return { at: Date.now(), total, busy: total - idle, ours };
}

/** CPU ticks so far of each named process (with its waited-for children). */
export function processTicks(pids: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const t = pid === undefined ? undefined : procTimes(pid);
    if (t) out[name] = t.ticks;
  }
  return out;
}

/** Percent of the whole machine (all cores = 100 %) used by others and by us between two snapshots. */
export function cpuShares(a: CpuSnapshot, b: CpuSnapshot): { othersPct: number; oursPct: number } {
  const total = Math.max(1, b.total - a.total);
  const ours = Math.max(0, b.ours - a.ours);
  const others = Math.max(0, b.busy - a.busy - ours);
  return { othersPct: (100 * others) / total, oursPct: (100 * ours) / total };
}

/** Rejects when `promise` has not settled within `ms` (a stalled store or broker must not hang the run). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
