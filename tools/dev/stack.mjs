// The five Firstmile services and the console as child processes: build once (swc), start, wait until ready, stop.
// Used by `npm start` (tools/dev/start.mjs) and by the end-to-end tests, so both run the system
// exactly the same way.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const TELEMETRY_REGISTER = path.join(REPO_ROOT, 'dist', 'libs', 'telemetry', 'src', 'register.js');

const at = (services, name) => `http://127.0.0.1:${services.find((s) => s.name === name)?.port}`;

/** `links`: the settings by which a process finds the others, from the ports they were given. */
export const SERVICES = [
  { name: 'harvest-intake', port: 3101 },
  // Labels' QR codes point at the console's provenance pages.
  { name: 'grading', port: 3102, links: (all) => (all.some((s) => s.name === 'console') ? { PUBLIC_BASE_URL: at(all, 'console') } : {}) },
  { name: 'warehouse', port: 3103 },
  { name: 'order-routing', port: 3104 },
  { name: 'insights', port: 3105 },
  {
    name: 'console',
    port: 3100,
    links: (all) => ({
      HARVEST_INTAKE_URL: at(all, 'harvest-intake'),
      GRADING_URL: at(all, 'grading'),
      WAREHOUSE_URL: at(all, 'warehouse'),
      ORDER_ROUTING_URL: at(all, 'order-routing'),
      INSIGHTS_URL: at(all, 'insights'),
    }),
  },
];

/**
 * How long a readiness probe may take. A connection the cluster primary handed to a worker that was
 * killed meanwhile is never answered, and fetch's own limit (undici's headersTimeout) is 300 s: the
 * chaos suite's "kill both replicas" fault once waited it out in full.
 */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * What /health/live says, for a service found not ready: an answer means its event loop and HTTP
 * server work and the readiness checks are what is slow; none means the process itself does not
 * answer (or the caller could not reach it).
 */
async function liveness(liveUrl) {
  const started = Date.now();
  try {
    const res = await fetch(liveUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return `/health/live answered ${res.status} in ${Date.now() - started} ms`;
  } catch (err) {
    return `/health/live: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Node's flags for a service, as in the Docker image (infra/docker/Dockerfile). kafkajs 2.2.4 armed
 * its request queue's timer with `throttledUntil - Date.now()` while `throttledUntil` was still -1
 * (tulios/kafkajs#1751): Node clamps the negative delay to 1 ms and prints a TimeoutNegativeWarning
 * on stderr, noise outside the JSON log. patches/kafkajs+2.2.4.patch arms no timer then (it was a
 * 1 ms loop for good); the flag stays for any other negative delay a dependency computes.
 */
export const NODE_FLAGS = ['--disable-warning=TimeoutNegativeWarning'];

/** Compiles apps and libs to dist/ with swc (about a second). */
export function build({ log = console.log } = {}) {
  const started = Date.now();
  const swc = path.join(REPO_ROOT, 'node_modules', '.bin', 'swc');
  const r = spawnSync(
    swc,
    ['apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--quiet', '--ignore', '**/*.spec.ts', '--ignore', '**/*.int-spec.ts', '--ignore', '**/*.e2e-spec.ts', '--copy-files'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`swc build failed (exit ${r.status})`);
  log(`[stack] compiled the services in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** A process's children (the workers of a service's primary), from /proc: Linux, as the embedded stack. */
function childrenOf(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Running (a zombie not yet reaped by its parent counts as gone). */
function alive(pid) {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Starts the services. `env` is shared (KAFKA_BROKERS, MONGO_URL, prefixes…); `portOffset` moves
 * every port (tests use +10000 so a running `npm start` is left alone). Each service's JSON log goes
 * to `<logDir>/<name>.log`; lines at warn level or above are echoed through `log`.
 * `REPLICAS` (in `env`, else this process's environment) > 1 makes each of the five services a
 * primary with that many workers on its port (libs/http `runReplicated`); the console stays one process.
 */
export async function startServices({ env = {}, portOffset = 0, logDir, log = console.log, only } = {}) {
  const replicas = Number(env.REPLICAS ?? process.env.REPLICAS ?? 1) || 1;
  const dir = logDir ?? path.join(REPO_ROOT, '.cache', 'logs');
  fs.mkdirSync(dir, { recursive: true });
  const services = SERVICES.filter((s) => !only || only.includes(s.name)).map((s) => ({ ...s, port: s.port + portOffset }));
  const procs = new Map();

  const spawnOne = (s, extraEnv = {}) => {
    const main = path.join(REPO_ROOT, 'dist', 'apps', s.name, 'src', 'main.js');
    const out = fs.createWriteStream(path.join(dir, `${s.name}.log`), { flags: 'a' });
    // OpenTelemetry starts before the service's first require (http, mongodb): see libs/telemetry.
    const child = spawn(process.execPath, [...NODE_FLAGS, '--require', TELEMETRY_REGISTER, main], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, ...(s.links?.(services) ?? {}), ...extraEnv, OTEL_SERVICE_NAME: s.name, PORT: String(s.port), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(out, { end: false });
      readline.createInterface({ input: stream }).on('line', (line) => {
        const level = /"level":(\d+)/.exec(line)?.[1];
        if ((level && Number(level) >= 40) || (!level && /error|warn/i.test(line))) {
          log(`[${s.name}] ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`);
        }
      });
    }
    child.on('exit', (code, signal) => {
      out.end();
      if (procs.get(s.name)?.child === child && !procs.get(s.name).stopping) log(`[stack] ${s.name} exited (${signal ?? code})`);
    });
    procs.set(s.name, { child, stopping: false });
    return child;
  };

  services.forEach(spawnOne);
  const url = (s, p) => `http://127.0.0.1:${s.port}${p}`;
  const parsed = (text) => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };

  const stack = {
    services,
    url: (name, p = '') => url(services.find((s) => s.name === name), p),
    pid: (name) => procs.get(name)?.child.pid,
    /** Waits until every service answers /health/ready with 200. */
    async ready(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (const s of services) {
        /** What the last probe got: the error says why the service was not ready. */
        let last = 'no answer yet';
        for (;;) {
          const exited = procs.get(s.name).child.exitCode;
          if (exited !== null) throw new Error(`${s.name} exited with ${exited} before it was ready; see ${path.join(dir, `${s.name}.log`)}`);
          try {
            const res = await fetch(url(s, '/health/ready'), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
            const body = await res.text();
            // With replicas, ready once every worker serves (the answer says how many do).
            const workers = res.status === 200 ? parsed(body)?.details?.replicas : undefined;
            if (res.status === 200 && (!workers || workers.listening >= workers.wanted)) break;
            last = `${res.status} ${body.slice(0, 300)}`;
          } catch (err) {
            // Not listening yet, or no answer within the probe's time.
            last = err instanceof Error ? err.message : String(err);
          }
          if (Date.now() > deadline)
            throw new Error(`${s.name} not ready after ${timeoutMs} ms (last probe: ${last}; ${await liveness(url(s, '/health/live'))}); see ${path.join(dir, `${s.name}.log`)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    /** SIGKILL one service (crash), or SIGTERM it (graceful). */
    kill(name, signal = 'SIGKILL') {
      const p = procs.get(name);
      p.stopping = true;
      p.child.kill(signal);
      return new Promise((resolve) => (p.child.exitCode !== null || p.child.signalCode ? resolve() : p.child.once('exit', () => resolve())));
    },
    /** How many processes each service runs on its port (REPLICAS; the console always 1). */
    replicas,
    /** The worker processes of a service started with REPLICAS > 1 (none otherwise). */
    workers: (name) => (procs.get(name)?.child.pid ? childrenOf(procs.get(name).child.pid) : []),
    /**
     * Kills `count` of a service's workers at once (the first ones its primary lists), which the
     * primary then starts again. Resolves once they are gone and the service says a replica is
     * missing, so a following `ready()` waits for their replacements. Returns the pids killed.
     */
    async killWorkers(name, { count = 1, signal = 'SIGKILL' } = {}) {
      const pids = stack.workers(name).slice(0, count);
      if (pids.length < count) throw new Error(`${name} has ${pids.length} workers, not ${count} to kill`);
      for (const pid of pids) process.kill(pid, signal);
      const s = services.find((x) => x.name === name);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (!pids.some(alive)) {
          const res = await fetch(url(s, '/health/ready'), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(() => null);
          const workers = res?.status === 200 ? (await res.json().catch(() => ({}))).details?.replicas : undefined;
          // No answer at all (every worker gone) or fewer listening: the loss is seen.
          if (!workers || workers.listening < workers.wanted) break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return pids;
    },
    /** Starts a killed service again; `extraEnv` changes its settings (e.g. a low rate limit). */
    restart(name, extraEnv = {}) {
      spawnOne(services.find((s) => s.name === name), extraEnv);
    },
    async stop() {
      await Promise.all(
        [...procs.values()].map(
          (p) =>
            new Promise((resolve) => {
              p.stopping = true;
              if (p.child.exitCode !== null || p.child.signalCode) return resolve();
              const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
              p.child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              p.child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
  return stack;
}
