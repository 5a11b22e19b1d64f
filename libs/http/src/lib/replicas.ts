import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { readEnvInt } from '@firstmile/config';

/**
 * `REPLICAS=N`: N processes of one service on its one port, with node:cluster. The primary forks N
 * workers, restarts one that dies (with a growing wait) and does nothing else: each worker is the
 * whole service — its own HTTP server on the shared port, its own store connection, and a member of
 * every consumer group of the service, so the broker shares the partitions among the workers as it
 * would among pods. Correctness never depends on the count: the store's conditional writes and
 * idempotent handlers do that (docs/architecture.md, "How replicas share work").
 *
 * Off unless REPLICAS > 1: on Kubernetes a pod is one process and `replicas:` is the count.
 *
 * What is per process and has to be joined up is answered through the primary over the cluster's
 * IPC channel: /metrics (prom-client's AggregatorRegistry asks every worker and sums) and the
 * replica count in /health/ready.
 */

/** Processes to run from REPLICAS (unset: 1); anything but a whole number ≥ 1 is a start-up error. */
export function replicasWanted(raw: string | undefined = process.env['REPLICAS']): number {
  return readEnvInt('REPLICAS', 1, { min: 1, max: 64 }, { REPLICAS: raw });
}

/** Whether this process is one of several workers of a service (set by the primary's fork). */
export const isReplica = (): boolean => cluster.isWorker && process.env['FIRSTMILE_REPLICA'] !== undefined;

/** This worker's number, 1…N (for log lines); undefined outside a cluster. */
export const replicaNumber = (): number | undefined =>
  isReplica() ? Number(process.env['FIRSTMILE_REPLICA']) : undefined;

/** What the primary says of the workers, for /health/ready. */
export interface ReplicaState {
  /** REPLICAS. */
  wanted: number;
  /** Workers whose HTTP server listens on the port (so whose Kafka consumers have started). */
  listening: number;
  /** Workers replaced since the primary started. */
  restarts: number;
}

const MSG = {
  metrics: 'firstmile:replicas:metrics',
  state: 'firstmile:replicas:state',
  stop: 'firstmile:replicas:stop',
} as const;

interface Request {
  type: typeof MSG.metrics | typeof MSG.state;
  id: number;
}
interface Reply {
  type: Request['type'];
  id: number;
  value?: unknown;
  error?: string;
}

/**
 * Runs the service: in-process when REPLICAS is 1 or unset (and in every worker), else as the
 * primary of REPLICAS workers that each run `main`.
 */
export async function runReplicated(service: string, main: () => Promise<void>): Promise<void> {
  let wanted: number;
  try {
    wanted = replicasWanted();
  } catch (err) {
    process.stderr.write(`${service}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (wanted > 1 && cluster.isPrimary) return primary(service, wanted);
  if (isReplica()) worker();
  return main();
}

// ----- the worker side -------------------------------------------------------------------------

const pending = new Map<
  number,
  { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }
>();
let sequence = 0;

function worker(): void {
  // Answers the primary's AggregatorRegistry with this process's metrics (prom-client installs its
  // listener when the first AggregatorRegistry of a process is made).
  new AggregatorRegistry();
  // The signal a worker got itself (Ctrl-C reaches the whole process group) wins over the primary's
  // stop: Nest's shutdown hook takes one signal, and a second would end the process mid-shutdown.
  // Before Nest has its own listener (start-up), the signal is raised again so it still ends the process.
  let signalled = false;
  for (const s of ['SIGINT', 'SIGTERM'] as const)
    process.once(s, () => {
      signalled = true;
      if (process.listenerCount(s) === 0) process.kill(process.pid, s);
    });
  process.on('message', (msg: Reply | { type: typeof MSG.stop }) => {
    if (msg?.type === MSG.stop) {
      if (!signalled) process.kill(process.pid, 'SIGTERM');
      return;
    }
    if (msg?.type !== MSG.metrics && msg?.type !== MSG.state) return;
    const waiting = pending.get(msg.id);
    if (!waiting) return;
    pending.delete(msg.id);
    clearTimeout(waiting.timer);
    if (msg.error) waiting.reject(new Error(msg.error));
    else waiting.resolve(msg.value);
  });
}

function ask<T>(type: Request['type'], timeoutMs: number): Promise<T> {
  const id = ++sequence;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`the primary did not answer ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    process.send?.({ type, id } satisfies Request);
  });
}

/**
 * Every worker's metrics in one Prometheus text (counters and histograms summed; gauges by their
 * own aggregator), or undefined when this process is not a replica and its own registry is the answer.
 */
export async function clusterMetrics(): Promise<string | undefined> {
  return isReplica() ? ask<string>(MSG.metrics, 8_000) : undefined;
}

/** The primary's view of the workers, or undefined when this process is not a replica. */
export async function replicaState(): Promise<ReplicaState | undefined> {
  return isReplica() ? ask<ReplicaState>(MSG.state, 2_000) : undefined;
}

// ----- the primary side ------------------------------------------------------------------------

/** First wait before a dead worker is forked again; doubled for each death soon after a start, up to 30 s. */
const RESTART_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that lived this long counts as having started well: the next death waits RESTART_MS again. */
const STABLE_MS = 60_000;
/** How long the workers get to shut down gracefully before they are killed. */
const STOP_MS = 15_000;

interface Slot {
  n: number;
  worker?: Worker;
  startedAt: number;
  listening: boolean;
  /** Deaths in a row, each soon after its start. */
  failures: number;
  timer?: NodeJS.Timeout;
}

function primary(service: string, wanted: number): void {
  const log = pino({
    level: process.env['LOG_LEVEL'] ?? 'info',
    base: { service, replicas: wanted, role: 'primary' },
  });
  const aggregator = new AggregatorRegistry();
  const slots: Slot[] = Array.from({ length: wanted }, (_, i) => ({
    n: i + 1,
    startedAt: 0,
    listening: false,
    failures: 0,
  }));
  let restarts = 0;
  let stopping = false;

  const fork = (slot: Slot) => {
    slot.timer = undefined;
    slot.startedAt = Date.now();
    slot.listening = false;
    const w = cluster.fork({ FIRSTMILE_REPLICA: String(slot.n) });
    slot.worker = w;
    w.on('listening', () => {
      slot.listening = true;
      log.info(
        { replica: slot.n, pid: w.process.pid },
        `replica ${slot.n} (pid ${w.process.pid}) is serving`,
      );
    });
    w.on('message', (msg: Request) => void answer(w, msg));
    w.on('exit', (code, signal) => {
      if (slot.worker === w) {
        slot.worker = undefined;
        slot.listening = false;
      }
      if (stopping) return;
      const lived = Date.now() - slot.startedAt;
      slot.failures = lived >= STABLE_MS ? 1 : slot.failures + 1;
      const wait = Math.min(RESTART_MAX_MS, RESTART_MS * 2 ** (slot.failures - 1));
      restarts += 1;
      // One death is an event the primary repairs; a worker that keeps dying right after its start is a fault.
      const level = slot.failures >= 5 ? 'error' : 'warn';
      log[level](
        {
          replica: slot.n,
          pid: w.process.pid,
          exit: signal ?? code,
          livedMs: lived,
          restartInMs: wait,
          failuresInARow: slot.failures,
        },
        `replica ${slot.n} (pid ${w.process.pid}) exited (${signal ?? code}) after ${Math.round(lived / 1000)} s; starting it again in ${wait} ms`,
      );
      slot.timer = setTimeout(() => fork(slot), wait);
    });
  };

  const answer = async (w: Worker, msg: Request) => {
    if (msg?.type !== MSG.metrics && msg?.type !== MSG.state) return;
    const reply = (r: Omit<Reply, 'type' | 'id'>) => {
      if (w.isConnected()) w.send({ type: msg.type, id: msg.id, ...r } satisfies Reply);
    };
    try {
      if (msg.type === MSG.state) {
        reply({
          value: {
            wanted,
            listening: slots.filter((s) => s.listening).length,
            restarts,
          } satisfies ReplicaState,
        });
      } else {
        reply({ value: await aggregator.clusterMetrics() });
      }
    } catch (err) {
      reply({ error: (err as Error).message });
    }
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `stopping ${wanted} replicas`);
    for (const s of slots) clearTimeout(s.timer);
    const alive = slots.map((s) => s.worker).filter((w): w is Worker => !!w && !w.isDead());
    const kill = setTimeout(() => alive.forEach((w) => w.isDead() || w.process.kill('SIGKILL')), STOP_MS);
    let left = alive.length;
    const done = () => {
      clearTimeout(kill);
      process.exit(0);
    };
    if (left === 0) return done();
    for (const w of alive) {
      w.once('exit', () => --left === 0 && done());
      if (w.isConnected()) w.send({ type: MSG.stop });
      else w.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  log.info({ pid: process.pid }, `starting ${wanted} replicas of ${service}`);
  slots.forEach(fork);
}
