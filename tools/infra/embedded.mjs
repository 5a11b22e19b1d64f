#!/usr/bin/env node
// @ts-check
// Embedded default infrastructure for machines without Docker (laptops, CI, the
// project's machines): a real Apache Kafka broker (KRaft, combined
// broker+controller) assembled from Maven Central, and FerretDB (MongoDB wire
// protocol on SQLite) built from the Go module proxy. See DESIGN.md,
// "Infrastructure, and how it starts".
//
//   node tools/infra/embedded.mjs up      start both, print the URLs, stay in the foreground until Ctrl-C
//   KAFKA_BROKERS_COUNT=3 node tools/infra/embedded.mjs up   the same with a 3-node KRaft cluster (see startEmbedded)
//   node tools/infra/embedded.mjs fetch   download/build only (Maven + Go), nothing is started
//   node tools/infra/embedded.mjs down    stop an instance started earlier (reads <dataDir>/embedded.json)
//   node tools/infra/embedded.mjs status  show the pidfile and whether the ports answer
//
// Library:
//   import { startEmbedded } from './tools/infra/embedded.mjs';
//   const infra = await startEmbedded({ dataDir: tmp, fresh: true, kafkaPort: 19092 });
//   // infra.kafkaBrokers === '127.0.0.1:19092', infra.mongoUrl === 'mongodb://127.0.0.1:27017/'
//   await infra.restart('kafka', { signal: 'SIGKILL' }); // fault injection: crash the broker, start it again
//   await infra.stop();
//
// Node built-ins only; runs on Node 20 and 24. Needs `java` (17+) and `mvn` for
// Kafka, `go` (1.24+, or any Go that can fetch a toolchain) for FerretDB.
//
// Caches: Maven's ~/.m2 and Go's module/build caches, plus <repo>/.cache/infra
// (git-ignored) for the assembled broker classpath and the FerretDB binary.
// Environment: FIRSTMILE_CACHE_DIR, FIRSTMILE_DATA_DIR, KAFKA_PORT,
// KAFKA_CONTROLLER_PORT, MONGO_PORT, KAFKA_BROKERS_COUNT (1, or 3 for a cluster); FIRSTMILE_INFRA_VERBOSE=1 streams mvn/go
// output verbatim; FIRSTMILE_GOTOOLCHAIN forces a Go toolchain for the build;
// FIRSTMILE_KAFKA_JVM_OPTS adds JVM options for the broker.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT_PATH = fileURLToPath(import.meta.url);
export const REPO_ROOT = path.resolve(path.dirname(SCRIPT_PATH), '..', '..');
const KAFKA_POM = path.join(REPO_ROOT, 'infra', 'kafka', 'pom.xml');
const KAFKA_LOG4J = path.join(REPO_ROOT, 'infra', 'kafka', 'log4j.properties');
const FERRETDB_SRC = path.join(REPO_ROOT, 'infra', 'ferretdb');
const FERRETDB_SOURCES = ['go.mod', 'go.sum', 'main.go'];
/** Patches applied to a copy of the FerretDB module before building (see each file's header). */
const FERRETDB_PATCHES = path.join(FERRETDB_SRC, 'patches');
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_BIN_NAME = 'firstmile-ferretdb';

/** Go toolchain used when the build with the machine's own `go` fails (fetched via the module proxy). */
const FALLBACK_GOTOOLCHAIN = 'go1.24.13';
/** Build flags; part of the binary's cache key, so changing them rebuilds. */
const GO_BUILD_ARGS = [
  'build',
  '-mod=readonly',
  '-trimpath',
  '-buildvcs=false',
  '-tags',
  'ferretdb_no_postgresql',
  '-ldflags=-s -w',
];

const KAFKA_JVM_OPTS = [
  '-Xms256m',
  '-Xmx512m',
  // The client compiler only, compiling ten times sooner. A fresh broker with C2 spends its first
  // minute of load compiling: logging lots right after start cost Kafka 0.41-0.43 ms of CPU per
  // lot (C2), 0.27-0.33 after a synthetic warm-up, 0.10 with C1 (1,010 against 1,142-1,159 lots/s),
  // and an order load's p99 at 150/s was 407-445 ms with C2's default thresholds, 322-355 with
  // C1. Warm, C2's code is faster per request by a few milliseconds (half-rate p99 320 against 331
  // ms in the same hour; docs/benchmarks.md, steps 17 and 18). FIRSTMILE_KAFKA_JVM_OPTS comes later
  // and overrides these.
  '-XX:TieredStopAtLevel=1',
  '-XX:CompileThresholdScaling=0.1',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

const STARTED_RE = /Kafka Server started/;
const DEFAULT_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 15_000;
const PIDFILE = 'embedded.json';

/** Kafka version, read from infra/kafka/pom.xml (the single source of truth). */
export const KAFKA_VERSION = readPomProperty('kafka.version') ?? '3.9.2';
/** FerretDB version, read from infra/ferretdb/go.mod. */
export const FERRETDB_VERSION = readGoModVersion('github.com/FerretDB/FerretDB') ?? 'v1.24.2';

// ---------------------------------------------------------------------------
// small helpers

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether `promise` settles within `ms`; the timer is cleared either way, so it holds no process open.
 * @param {Promise<unknown>} promise
 * @param {number} ms
 * @returns {Promise<boolean>}
 */
export async function settlesWithin(promise, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<boolean>} */
  const timedOut = new Promise((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** @param {string} name */
function readPomProperty(name) {
  try {
    const m = fs
      .readFileSync(KAFKA_POM, 'utf8')
      .match(new RegExp(`<${name.replace(/\./g, '\\.')}>\\s*([^<\\s]+)\\s*</`));
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} mod */
function readGoModVersion(mod) {
  try {
    const m = fs
      .readFileSync(path.join(FERRETDB_SRC, 'go.mod'), 'utf8')
      .match(new RegExp(`^\\s*(?:require\\s+)?${mod.replace(/\./g, '\\.')}\\s+(v\\S+)`, 'm'));
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A port from the environment, or the fallback; anything else than a TCP port is an error.
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
export function envPort(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`${name}=${raw} is not a TCP port (1-65535)`);
  return n;
}

/** KAFKA_BROKERS_COUNT: how many Kafka nodes the embedded default starts (1 unless set). */
export function envBrokerCount() {
  const raw = process.env.KAFKA_BROKERS_COUNT;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9)
    throw new Error(`KAFKA_BROKERS_COUNT=${raw} is not a node count (1-9)`);
  return n;
}

export function defaultCacheDir() {
  return path.resolve(process.env.FIRSTMILE_CACHE_DIR || path.join(REPO_ROOT, '.cache', 'infra'));
}

export function defaultDataDir(name = 'default') {
  return path.resolve(process.env.FIRSTMILE_DATA_DIR || path.join(REPO_ROOT, '.cache', 'data', name));
}

/** @param {...(string | Buffer)} parts */
function sha256(...parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex');
}

/** @param {number | undefined} pid */
export function pidAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM';
  }
  try {
    // A zombie still answers signal 0; it is dead for our purposes.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc (macOS) or already gone */
  }
  return true;
}

/** @param {number} pid */
function processCommandLine(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/**
 * Send a signal to a detached child's whole process group (falls back to the pid).
 * @param {number | undefined} pid
 * @param {NodeJS.Signals} sig
 */
export function signalProcess(pid, sig) {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    /* not a group leader, or gone */
  }
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** @param {string} file */
export function tailFile(file, lines = 40) {
  try {
    const buf = fs.readFileSync(file, 'utf8');
    return buf
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '(no log)';
  }
}

/** @param {number} ms */
export function fmtSecs(ms) {
  return `${(ms / 1000).toFixed(1)}s`;
}

// ---------------------------------------------------------------------------
// ports

/**
 * True if something accepts TCP connections on host:port.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
export function isPortOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    /** @param {boolean} v */
    const done = (v) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * True if we could bind host:port right now (nothing else holds it).
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function canBind(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** How long a port nothing listens on may stay unbindable before it counts as taken (TIME_WAIT is 60 s). */
const PORT_RELEASE_WAIT_MS = 70_000;

/**
 * A port that nothing listens on and yet cannot be bound is a connection's local end: the ports of
 * these tools are inside Linux's ephemeral range (32768-60999), so a client of the previous run may
 * have been given one, and a connection closed from its side keeps it a minute in TIME_WAIT. That
 * frees itself: wait for it (up to PORT_RELEASE_WAIT_MS) rather than fail.
 *
 * @param {number} port
 * @param {string} what
 * @param {string} envVar
 * @param {(line: string) => void} log
 */
export async function assertPortFree(port, what, envVar, log) {
  let free = !(await isPortOpen(port));
  if (free && !(await canBind(port))) {
    log(`[infra] port ${port} (${what}) is a connection's local end, nothing listens there; waiting for it to be released (up to ${PORT_RELEASE_WAIT_MS / 1000} s)…`);
    free = false;
    for (const until = Date.now() + PORT_RELEASE_WAIT_MS; !free && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 1000));
      free = await canBind(port);
    }
  }
  if (!free) {
    throw new Error(
      `[infra] port ${port} (${what}) on 127.0.0.1 is already in use by another process. ` +
        `Set ${envVar}=<free port> to use another one, or stop what listens there ` +
        `(an embedded instance left from an earlier run stops with: node tools/infra/embedded.mjs down).`,
    );
  }
}

// ---------------------------------------------------------------------------
// running mvn / go with progress

/** @typedef {(line: string) => void} Log */
/** @typedef {{ lines: number, last: string, summary?: () => string }} ProgressStats */

/**
 * Run a command, print a progress line every few seconds (counts of what it
 * reported), keep the tail of its output for the error message.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, log: Log, label: string,
 *   classify?: (line: string, stats: ProgressStats) => void, everyMs?: number }} opts
 * @returns {Promise<{ tail: string[], ms: number }>}
 */
function runWithProgress(cmd, args, { cwd, env, log, label, classify, everyMs = 5000 }) {
  const verbose = /^(1|true|yes)$/i.test(process.env.FIRSTMILE_INFRA_VERBOSE || '');
  return new Promise((resolve, reject) => {
    const started = Date.now();
    /** @type {string[]} */
    const tail = [];
    /** @type {ProgressStats} */
    const stats = { lines: 0, last: '' };
    let lastReported = -1;
    /** @type {import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, import('node:stream').Readable>} */
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    /** @param {string} line */
    const onLine = (line) => {
      tail.push(line);
      if (tail.length > 60) tail.shift();
      stats.lines++;
      classify?.(line, stats);
      if (verbose) log(`[infra]   ${label}: ${line}`);
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    const timer = setInterval(() => {
      if (verbose) return;
      const elapsed = fmtSecs(Date.now() - started);
      if (stats.lines === lastReported) {
        log(`[infra]   ${label}: still working (${elapsed})`);
      } else {
        lastReported = stats.lines;
        log(
          `[infra]   ${label}: ${stats.summary ? stats.summary() : `${stats.lines} lines of output`} (${elapsed})`,
        );
      }
    }, everyMs);
    child.once('error', (/** @type {NodeJS.ErrnoException} */ e) => {
      clearInterval(timer);
      if (e.code === 'ENOENT')
        reject(new Error(`[infra] \`${cmd}\` was not found on the PATH (${label} needs it)`));
      else reject(e);
    });
    child.once('close', (code, signal) => {
      clearInterval(timer);
      if (code === 0) resolve({ tail, ms: Date.now() - started });
      else {
        const err = Object.assign(
          new Error(`[infra] ${label} failed (${signal ?? `exit code ${code}`}). Last output:\n${tail.join('\n')}`),
          { tail },
        );
        reject(err);
      }
    });
  });
}

/**
 * Cross-process lock (a directory with the owner's pid) so parallel test workers build once.
 * @template T
 * @param {string} lockDir
 * @param {Log} log
 * @param {string} what
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function withLock(lockDir, log, what, fn) {
  await fsp.mkdir(path.dirname(lockDir), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
    }
    let owner = 0;
    let ageMs = 0;
    try {
      owner = Number(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8')) || 0;
    } catch {
      /* being created */
    }
    try {
      ageMs = Date.now() - fs.statSync(lockDir).mtimeMs;
    } catch {
      continue; // vanished: retry at once
    }
    if ((owner && !pidAlive(owner)) || (!owner && ageMs > 10_000)) {
      fs.rmSync(lockDir, { recursive: true, force: true }); // stale lock of a dead process
      continue;
    }
    if (!announced) {
      log(`[infra] waiting for another process (pid ${owner || '?'}) that is ${what}…`);
      announced = true;
    }
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// artifacts

/** @param {string} cacheDir */
function kafkaPaths(cacheDir) {
  const home = path.join(cacheDir, `kafka-${KAFKA_VERSION}`);
  return { home, libs: path.join(home, 'libs'), marker: path.join(home, 'complete.json') };
}

/** @param {string} cacheDir */
function kafkaLibsComplete(cacheDir) {
  const { libs, marker } = kafkaPaths(cacheDir);
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (m.pomHash !== sha256(fs.readFileSync(KAFKA_POM))) return false;
    if (!Array.isArray(m.jars) || m.jars.length === 0) return false;
    return m.jars.every((/** @type {string} */ j) => fs.existsSync(path.join(libs, j)));
  } catch {
    return false;
  }
}

/** @param {{ cacheDir: string, log: Log }} opts */
async function assembleKafka({ cacheDir, log }) {
  const { home, libs, marker } = kafkaPaths(cacheDir);
  if (kafkaLibsComplete(cacheDir)) return libs;
  return withLock(
    path.join(cacheDir, `.lock-kafka-${KAFKA_VERSION}`),
    log,
    `assembling Apache Kafka ${KAFKA_VERSION}`,
    async () => {
      if (kafkaLibsComplete(cacheDir)) return libs; // another process finished meanwhile
      const first = !fs.existsSync(libs);
      log(
        `[infra] assembling Apache Kafka ${KAFKA_VERSION} from Maven Central ` +
          `(${first ? 'first run, ~1-2 min' : 'libs incomplete or infra/kafka/pom.xml changed'})…`,
      );
      await fsp.mkdir(home, { recursive: true });
      const tmp = path.join(home, `libs.tmp-${process.pid}`);
      await fsp.rm(tmp, { recursive: true, force: true });
      let downloaded = 0;
      let bytes = 0;
      /** @type {Record<string, number>} */
      const units = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
      const { ms } = await runWithProgress(
        'mvn',
        [
          '-B',
          '-f',
          KAFKA_POM,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${tmp}`,
          '-DincludeScope=runtime',
        ],
        {
          cwd: path.dirname(KAFKA_POM),
          env: process.env,
          log,
          label: 'mvn',
          classify(line, stats) {
            const m = line.match(/Downloaded from [^:]+: \S+ \(([\d.]+) (B|kB|KB|MB|GB)/);
            if (m) {
              downloaded++;
              bytes += Number(m[1]) * (units[m[2]] ?? 1);
            }
            stats.summary = () => `${downloaded} files downloaded (${(bytes / 1e6).toFixed(1)} MB)`;
          },
        },
      );
      const jars = (await fsp.readdir(tmp)).filter((f) => f.endsWith('.jar')).sort();
      if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
        throw new Error(`[infra] mvn finished but kafka_2.13-${KAFKA_VERSION}.jar is not in ${tmp}`);
      }
      await fsp.rm(libs, { recursive: true, force: true });
      await fsp.rename(tmp, libs);
      await fsp.writeFile(
        marker,
        JSON.stringify(
          {
            kafkaVersion: KAFKA_VERSION,
            pomHash: sha256(fs.readFileSync(KAFKA_POM)),
            jars,
            assembledAt: new Date().toISOString(),
          },
          null,
          2,
        ),
      );
      log(`[infra] Apache Kafka ${KAFKA_VERSION}: ${jars.length} jars in ${libs} (${fmtSecs(ms)})`);
      return libs;
    },
  );
}

/** @param {string} cacheDir */
function ferretdbPaths(cacheDir) {
  const bin = path.join(cacheDir, 'bin', FERRETDB_BIN_NAME);
  return { bin, stamp: `${bin}.stamp` };
}

function ferretdbPatchFiles() {
  return fs
    .readdirSync(FERRETDB_PATCHES)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => path.join(FERRETDB_PATCHES, f));
}

function ferretdbSourceHash() {
  return sha256(
    JSON.stringify(GO_BUILD_ARGS),
    ...FERRETDB_SOURCES.map((f) => fs.readFileSync(path.join(FERRETDB_SRC, f))),
    ...ferretdbPatchFiles().map((f) => fs.readFileSync(f)),
    ...[...dependencyPatches()].flatMap(([mod, files]) => [mod, ...files.map((f) => fs.readFileSync(f))]),
  );
}

/**
 * Patched dependencies of FerretDB, module path → its patch files: infra/ferretdb/patches/<module
 * path>/*.patch, each applied to a copy of that module at the version infra/ferretdb/go.mod requires,
 * which the build then uses instead (see each file's header).
 * @returns {Map<string, string[]>}
 */
function dependencyPatches() {
  /** @type {Map<string, string[]>} */
  const byModule = new Map();
  for (const f of fs.readdirSync(FERRETDB_PATCHES, { recursive: true }).map(String).sort()) {
    if (!f.endsWith('.patch') || path.dirname(f) === '.') continue;
    const mod = path.dirname(f).split(path.sep).join('/');
    byModule.set(mod, [...(byModule.get(mod) ?? []), path.join(FERRETDB_PATCHES, f)]);
  }
  return byModule;
}

/**
 * Copy the FerretDB module out of the Go module cache (downloading it through
 * the proxy if needed), apply infra/ferretdb/patches/*.patch, and write a go.mod
 * for `go build -modfile` that replaces the module with the patched copy.
 * @param {{ cacheDir: string, env: NodeJS.ProcessEnv, log: Log }} opts
 */
async function preparePatchedFerretdb({ cacheDir, env, log }) {
  const srcRoot = path.join(cacheDir, 'src');
  const patched = path.join(srcRoot, `ferretdb-${FERRETDB_VERSION}-patched`);
  await patchedFerretdbSource(patched, { env, log });
  const replaces = [`replace ${FERRETDB_MODULE} => ${patched}`];
  for (const mod of dependencyPatches().keys()) {
    const dir = await patchedDependencySource(mod, srcRoot, { env, log });
    replaces.push(`replace ${mod} => ${dir}`);
  }
  const modfile = path.join(srcRoot, 'ferretdb.go.mod');
  const goMod = await fsp.readFile(path.join(FERRETDB_SRC, 'go.mod'), 'utf8');
  await fsp.writeFile(modfile, `${goMod.trimEnd()}\n\n${replaces.join('\n')}\n`);
  await fsp.copyFile(path.join(FERRETDB_SRC, 'go.sum'), modfile.replace(/\.mod$/, '.sum'));
  return modfile;
}

/**
 * Writes to `dir` (replaced) the FerretDB module from the Go module cache (downloaded through the
 * proxy if needed) with infra/ferretdb/patches/*.patch applied: what the build compiles, and where
 * the module's own Go tests of the patched packages run (ferretdb-patches.int-spec.ts).
 * @param {string} dir
 * @param {{ env?: NodeJS.ProcessEnv, log?: Log }} [opts]
 */
export async function patchedFerretdbSource(dir, { env = process.env, log = () => undefined } = {}) {
  await patchedModuleSource(`${FERRETDB_MODULE}@${FERRETDB_VERSION}`, ferretdbPatchFiles(), dir, { env, log });
}

/**
 * Writes to `<parent>/<module path with + for />-<version>-patched` the dependency `mod` of FerretDB at
 * the version infra/ferretdb/go.mod requires, with its patches (dependencyPatches) applied; returns
 * the directory. Also where a patch's own Go test runs (ferretdb-patches.int-spec.ts).
 * @param {string} mod
 * @param {string} parent
 * @param {{ env?: NodeJS.ProcessEnv, log?: Log }} [opts]
 */
export async function patchedDependencySource(mod, parent, { env = process.env, log = () => undefined } = {}) {
  const version = readGoModVersion(mod);
  const patches = dependencyPatches().get(mod);
  if (!version || !patches) throw new Error(`no patch of ${mod}, or infra/ferretdb/go.mod does not require it`);
  const dir = path.join(parent, `${mod.replaceAll('/', '+')}-${version}-patched`);
  await patchedModuleSource(`${mod}@${version}`, patches, dir, { env, log });
  return dir;
}

/**
 * Copies `module@version` from the Go module cache (downloaded through the proxy if needed) to
 * `dir` (replaced) and applies `patches` to it in turn.
 * @param {string} moduleAtVersion
 * @param {string[]} patches
 * @param {string} dir
 * @param {{ env?: NodeJS.ProcessEnv, log?: Log }} [opts]
 */
async function patchedModuleSource(moduleAtVersion, patches, dir, { env = process.env, log = () => undefined } = {}) {
  const { stdout } = await runToCompletion('go', ['mod', 'download', '-json', moduleAtVersion], {
    cwd: FERRETDB_SRC,
    env,
  });
  const moduleDir = JSON.parse(stdout).Dir;
  const parent = path.dirname(dir);
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(parent, { recursive: true });
  await fsp.cp(moduleDir, dir, { recursive: true });
  await runToCompletion('chmod', ['-R', 'u+w', dir], { cwd: parent });
  for (const patch of patches) {
    // The ceiling keeps git from treating the copy as part of this repository.
    await runToCompletion('git', ['apply', patch], {
      cwd: dir,
      env: { ...process.env, GIT_CEILING_DIRECTORIES: parent },
    });
    log(`[infra]   applied ${path.relative(REPO_ROOT, patch)}`);
  }
}

/** @param {string} cacheDir */
function ferretdbUpToDate(cacheDir) {
  const { bin, stamp } = ferretdbPaths(cacheDir);
  try {
    return fs.existsSync(bin) && fs.readFileSync(stamp, 'utf8').trim() === ferretdbSourceHash();
  } catch {
    return false;
  }
}

/** @param {{ cacheDir: string, log: Log }} opts */
async function buildFerretdb({ cacheDir, log }) {
  const { bin, stamp } = ferretdbPaths(cacheDir);
  if (ferretdbUpToDate(cacheDir)) return bin;
  return withLock(
    path.join(cacheDir, '.lock-ferretdb'),
    log,
    `building FerretDB ${FERRETDB_VERSION}`,
    async () => {
      if (ferretdbUpToDate(cacheDir)) return bin;
      const first = !fs.existsSync(bin);
      log(
        `[infra] building FerretDB ${FERRETDB_VERSION} (SQLite backend, patched) from the Go module proxy ` +
          `(${first ? 'first run, ~1-2 min' : 'infra/ferretdb changed'})…`,
      );
      await fsp.mkdir(path.dirname(bin), { recursive: true });
      const tmp = `${bin}.tmp-${process.pid}`;
      /** @param {string | undefined} toolchain */
      const build = async (toolchain) => {
        let downloads = 0;
        let pkgs = 0;
        let lastPkg = '';
        /** @type {NodeJS.ProcessEnv} */
        const env = { ...process.env, CGO_ENABLED: '0' };
        if (toolchain) env.GOTOOLCHAIN = toolchain;
        const modfile = await preparePatchedFerretdb({ cacheDir, env, log });
        return runWithProgress('go', [...GO_BUILD_ARGS, `-modfile=${modfile}`, '-v', '-o', tmp, '.'], {
          cwd: FERRETDB_SRC,
          env,
          log,
          label: toolchain ? `go (${toolchain})` : 'go',
          classify(line, stats) {
            if (line.startsWith('go: downloading')) downloads++;
            else if (/^[\w.~-]+(\/[\w.~-]+)*$/.test(line)) {
              pkgs++;
              lastPkg = line;
            }
            stats.summary = () =>
              `${downloads} modules downloaded, ${pkgs} packages compiled${lastPkg ? ` (last: ${lastPkg})` : ''}`;
          },
        });
      };
      const forced = process.env.FIRSTMILE_GOTOOLCHAIN;
      let result;
      try {
        result = await build(forced);
      } catch (err) {
        const e = /** @type {Error & { tail?: string[] }} */ (err);
        if (forced || /not found on the PATH/.test(e.message)) throw e;
        log(
          `[infra] the build with the machine's Go failed; retrying with GOTOOLCHAIN=${FALLBACK_GOTOOLCHAIN} (fetched via the Go module proxy). First error:\n${(e.tail ?? []).slice(-10).join('\n')}`,
        );
        result = await build(FALLBACK_GOTOOLCHAIN);
      }
      await fsp.rename(tmp, bin);
      await fsp.writeFile(stamp, `${ferretdbSourceHash()}\n`);
      log(`[infra] FerretDB ${FERRETDB_VERSION}: ${bin} (${fmtSecs(result.ms)})`);
      return bin;
    },
  );
}

/**
 * Download/build what the embedded infrastructure needs; nothing is started.
 * Cheap when everything is cached (a few stat calls and a hash of three files).
 * @returns {Promise<{kafkaVersion:string, kafkaLibs:string, ferretdbVersion:string, ferretdbBin:string, cacheDir:string}>}
 */
export async function ensureArtifacts({ log = console.log, cacheDir = defaultCacheDir() } = {}) {
  cacheDir = path.resolve(cacheDir);
  // Sequential on purpose: the machines have 2 cores, and both steps are CPU/network heavy.
  const kafkaLibs = await assembleKafka({ cacheDir, log });
  const ferretdbBin = await buildFerretdb({ cacheDir, log });
  return { kafkaVersion: KAFKA_VERSION, kafkaLibs, ferretdbVersion: FERRETDB_VERSION, ferretdbBin, cacheDir };
}

// ---------------------------------------------------------------------------
// Kafka config

/** @param {{ kafkaPort: number, controllerPort: number, logDirs: string }} opts */
function serverProperties({ kafkaPort, controllerPort, logDirs }) {
  return `# Generated by tools/infra/embedded.mjs at every start; edits are overwritten.
# Single-node KRaft: combined broker + controller, loopback only, for development and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDirs}

num.partitions=6
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0

# Small machine (2 cores): fewer threads, smaller log-cleaner buffer (default 128 MiB of heap).
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=33554432
log.retention.hours=168
`;
}

/**
 * One node of a multi-node KRaft cluster on loopback (KAFKA_BROKERS_COUNT > 1): every node is broker and
 * controller, topics are replicated to 3 (or to every node, if fewer) with min.insync.replicas 2, as in
 * production (infra/k8s/base/kafka/cluster.yaml), so losing one node refuses no write.
 */
/** @typedef {{ id: number, port: number, controllerPort: number }} NodePorts */

/** @param {{ nodeId: number, nodes: NodePorts[], logDirs: string }} opts */
function clusterServerProperties({ nodeId, nodes, logDirs }) {
  const rf = Math.min(3, nodes.length);
  const minIsr = Math.max(1, rf - 1);
  const node = nodes.find((n) => n.id === nodeId);
  if (!node) throw new Error(`[infra] no Kafka node ${nodeId}`);
  return `# Generated by tools/infra/embedded.mjs at every start; edits are overwritten.
# Node ${nodeId} of a ${nodes.length}-node KRaft cluster: combined broker + controller, loopback only (KAFKA_BROKERS_COUNT).
process.roles=broker,controller
node.id=${nodeId}
controller.quorum.voters=${nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',')}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDirs}

num.partitions=6
default.replication.factor=${rf}
min.insync.replicas=${minIsr}
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=${rf}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=${rf}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0

# Small machine (2 cores) and ${nodes.length} JVMs: fewer threads, smaller log-cleaner buffer.
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=16777216
log.retention.hours=168
`;
}

// ---------------------------------------------------------------------------
// start / stop

/** @typedef {import('node:child_process').ChildProcess} ChildProcess */
/** @typedef {import('node:child_process').ChildProcessByStdio<import('node:stream').Writable, null, null>} Watchdog */
/**
 * One Kafka node: its ports, where its data, config and logs live, and how far its server.log had
 * got before this start (readiness reads only what follows).
 * @typedef {NodePorts & { dir: string, logDirs: string, propsFile: string, serverLog: string, jvmCommon: string[],
 *   serverLogOffset: number }} KafkaNode
 */

/**
 * A child that was started: `spawned` resolved for it, so it has its pid.
 * @param {ChildProcess | undefined} child
 * @returns {ChildProcess & { pid: number }}
 */
function started(child) {
  if (child?.pid === undefined) throw new Error('[infra] a child process was read before it was started');
  return /** @type {ChildProcess & { pid: number }} */ (child);
}

/** @type {Set<{ killSync(sig: NodeJS.Signals): void }>} */
const liveInstances = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort: the broker and FerretDB shut down on SIGTERM on their own.
  process.on('exit', () => {
    for (const inst of liveInstances) inst.killSync('SIGTERM');
  });
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd: string, logFile: string, env?: NodeJS.ProcessEnv }} opts
 */
function spawnDetached(cmd, args, { cwd, logFile, env = process.env }) {
  const fd = fs.openSync(logFile, 'w');
  try {
    // detached: own process group, so the terminal's Ctrl-C (SIGINT to the
    // foreground group) does not reach it; stop() and the hooks end it.
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Wait for a spawned child to be running (or fail with a clear message if the binary is missing).
 * @template {import('node:child_process').ChildProcess} C
 * @param {C} child
 * @param {string} what
 * @returns {Promise<C>}
 */
function spawned(child, what) {
  child.on('error', () => undefined); // later errors (none expected) must not crash the host process
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', (/** @type {NodeJS.ErrnoException} */ e) =>
      reject(
        e.code === 'ENOENT'
          ? new Error(`[infra] \`${child.spawnfile}\` was not found on the PATH (${what} needs it)`)
          : e,
      ),
    );
  });
}

/**
 * A tiny `sh` that blocks reading a pipe from this process: when this process
 * dies in any way (even SIGKILL), the pipe closes and it terminates the
 * broker and FerretDB, so they never outlive their parent.
 * @param {number[]} pids
 */
function startWatchdog(pids) {
  const list = pids.join(' ');
  const script =
    `read _ignored; for p in ${list}; do kill -TERM -$p 2>/dev/null || kill -TERM $p 2>/dev/null; done; ` +
    `sleep ${Math.ceil(STOP_GRACE_MS / 1000)}; for p in ${list}; do kill -KILL -$p 2>/dev/null || kill -KILL $p 2>/dev/null; done`;
  const wd = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  wd.on('error', () => undefined); // no /bin/sh: the 'exit' hook still covers normal exits
  wd.stdin.on('error', () => undefined);
  wd.unref();
  // A pipe's socket can be unref'd (so the watchdog holds no process open); Writable's type does not say so.
  /** @type {{ unref?: () => void }} */ (/** @type {unknown} */ (wd.stdin)).unref?.();
  return wd;
}

/** @param {string} dataDir */
function readPidfile(dataDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, PIDFILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * @param {{ kafka?: { pid?: number, nodes?: Array<{ id: number, pid: number }> }, ferretdb?: { pid?: number } } | undefined} info
 * @returns {Array<{ name: string, pid: number, match: string }>}
 */
function pidfileProcs(info) {
  const kafka = info?.kafka?.nodes
    ? info.kafka.nodes.map((n) => ({ name: `Kafka node ${n.id}`, pid: n.pid, match: 'kafka.Kafka' }))
    : [{ name: 'Kafka', pid: info?.kafka?.pid, match: 'kafka.Kafka' }];
  return [...kafka, { name: 'FerretDB', pid: info?.ferretdb?.pid, match: FERRETDB_BIN_NAME }].filter(
    /** @returns {p is { name: string, pid: number, match: string }} */ (p) => Boolean(p.pid),
  );
}

/** @param {{ pid: number, match: string }} p */
function isOurProcess({ pid, match }) {
  if (!pidAlive(pid)) return false;
  const cmd = processCommandLine(pid);
  return cmd === undefined ? true : cmd.includes(match); // no /proc: trust the pidfile
}

/**
 * @param {number[]} pids
 * @param {number} ms
 */
async function waitGone(pids, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (pids.every((p) => !pidAlive(p))) return true;
    await sleep(100);
  }
  return pids.every((p) => !pidAlive(p));
}

/**
 * Stop an instance recorded in <dataDir>/embedded.json (e.g. one left by a
 * killed `up`). Returns true if it found and stopped something.
 */
export async function stopEmbedded({ dataDir = defaultDataDir(), log = console.log } = {}) {
  dataDir = path.resolve(dataDir);
  let info = readPidfile(dataDir);
  if (!info) return false;
  // Started by a running `embedded.mjs up`: ask it to shut down the way Ctrl-C would.
  const owner = info.ownerPid;
  if (
    owner &&
    owner !== process.pid &&
    pidAlive(owner) &&
    (processCommandLine(owner) ?? '').includes('embedded.mjs')
  ) {
    log(`[infra] asking \`embedded.mjs up\` (pid ${owner}) to stop…`);
    try {
      process.kill(owner, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
    const deadline = Date.now() + STOP_GRACE_MS + 5000;
    while (Date.now() < deadline && readPidfile(dataDir) && pidAlive(owner)) await sleep(100);
    info = readPidfile(dataDir);
    if (!info) return true;
  }
  const procs = pidfileProcs(info).filter(isOurProcess);
  if (procs.length) log(`[infra] stopping ${procs.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}…`);
  for (const p of procs) signalProcess(p.pid, 'SIGTERM');
  if (
    !(await waitGone(
      procs.map((p) => p.pid),
      STOP_GRACE_MS,
    ))
  ) {
    for (const p of procs) if (pidAlive(p.pid)) signalProcess(p.pid, 'SIGKILL');
    await waitGone(
      procs.map((p) => p.pid),
      2000,
    );
  }
  if (
    info.watchdogPid &&
    pidAlive(info.watchdogPid) &&
    (processCommandLine(info.watchdogPid) ?? 'read _ignored').includes('read _ignored')
  ) {
    signalProcess(info.watchdogPid, 'SIGKILL');
  }
  fs.rmSync(path.join(dataDir, PIDFILE), { force: true });
  return procs.length > 0;
}

/**
 * Waits until Kafka logged its start (or its port has been open 5 s) and FerretDB accepts connections;
 * resolves with the time it took.
 * @param {{ kafka: ChildProcess, ferret: ChildProcess, kafkaPort: number, mongoPort: number, serverLog: string,
 *   serverLogOffset: number, kafkaAlreadyReady?: boolean, timeoutMs: number, log: Log }} opts
 * @returns {Promise<number>}
 */
async function waitReady({
  kafka,
  ferret,
  kafkaPort,
  mongoPort,
  serverLog,
  serverLogOffset,
  kafkaAlreadyReady = false,
  timeoutMs,
  log,
}) {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let kafkaReady = kafkaAlreadyReady;
  let mongoReady = false;
  let kafkaPortOpenAt = 0;
  let offset = serverLogOffset;
  let logText = '';
  let lastNote = started;
  while (Date.now() < deadline) {
    if (kafka.exitCode !== null || kafka.signalCode !== null) {
      throw Object.assign(
        new Error(
          `[infra] Kafka exited during startup (${kafka.signalCode ?? `exit code ${kafka.exitCode}`})`,
        ),
        { which: 'kafka' },
      );
    }
    if (ferret.exitCode !== null || ferret.signalCode !== null) {
      throw Object.assign(
        new Error(
          `[infra] FerretDB exited during startup (${ferret.signalCode ?? `exit code ${ferret.exitCode}`})`,
        ),
        { which: 'ferretdb' },
      );
    }
    if (!mongoReady && (await isPortOpen(mongoPort, '127.0.0.1', 500))) mongoReady = true;
    if (!kafkaReady) {
      // Read only what this run appended to server.log.
      try {
        const size = fs.statSync(serverLog).size;
        if (size < offset) offset = 0; // rotated
        if (size > offset) {
          const fh = await fsp.open(serverLog, 'r');
          try {
            const buf = Buffer.alloc(size - offset);
            await fh.read(buf, 0, buf.length, offset);
            logText += buf.toString('utf8');
            offset = size;
          } finally {
            await fh.close();
          }
        }
      } catch {
        /* not written yet */
      }
      const sawStarted = STARTED_RE.test(logText);
      if (await isPortOpen(kafkaPort, '127.0.0.1', 500)) {
        kafkaPortOpenAt ||= Date.now();
        // The "started" line follows the listener by a moment; if log4j was
        // configured not to print it, settle for the open port plus 5 s.
        if (sawStarted || Date.now() - kafkaPortOpenAt > 5000) kafkaReady = true;
      }
    }
    if (kafkaReady && mongoReady) return Date.now() - started;
    if (Date.now() - lastNote > 15_000) {
      lastNote = Date.now();
      log(
        `[infra] still waiting for ${[!kafkaReady && 'Kafka', !mongoReady && 'FerretDB'].filter(Boolean).join(' and ')} (${fmtSecs(Date.now() - started)})…`,
      );
    }
    await sleep(200);
  }
  throw Object.assign(
    new Error(
      `[infra] timed out after ${fmtSecs(timeoutMs)} waiting for ${[!kafkaReady && 'Kafka', !mongoReady && 'FerretDB'].filter(Boolean).join(' and ')}`,
    ),
    {
      which: !kafkaReady ? 'kafka' : 'ferretdb',
    },
  );
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv }} opts
 * @returns {Promise<{ stdout: string, out: string }>}
 */
function runToCompletion(cmd, args, { cwd, env = process.env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let out = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      out += d;
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('error', (/** @type {NodeJS.ErrnoException} */ e) =>
      reject(e.code === 'ENOENT' ? new Error(`[infra] \`${cmd}\` was not found on the PATH`) : e),
    );
    child.once('close', (code) =>
      code === 0
        ? resolve({ stdout, out })
        : reject(
            new Error(`[infra] ${cmd} ${args.slice(-6).join(' ')} failed (exit ${code}):\n${out.trim()}`),
          ),
    );
  });
}

/**
 * Start Kafka (KRaft, 127.0.0.1) and FerretDB (MongoDB wire, 127.0.0.1) and wait until both accept connections.
 *
 * @param {object} [opts]
 * @param {number} [opts.kafkaPort=9092]       env KAFKA_PORT
 * @param {number} [opts.controllerPort=9093]  env KAFKA_CONTROLLER_PORT
 * @param {number} [opts.mongoPort=27017]      env MONGO_PORT
 * @param {number} [opts.brokers=1]            env KAFKA_BROKERS_COUNT: Kafka nodes (each broker and controller).
 *   Node i (1-based) listens on kafkaPort + 2(i−1) and controllerPort + 2(i−1); with more than one, topics get
 *   replication factor 3 and min.insync.replicas 2, `kafkaBrokers` lists every node, and
 *   `restart('kafka', { node })` stops and starts one node (the chaos suite kills a partition's leader).
 * @param {string} [opts.dataDir]              default env FIRSTMILE_DATA_DIR or <repo>/.cache/data/<name>
 * @param {string} [opts.name='default']       names the default dataDir
 * @param {string} [opts.cacheDir]             default env FIRSTMILE_CACHE_DIR or <repo>/.cache/infra
 * @param {boolean} [opts.fresh=false]         wipe dataDir first (empty Kafka and database)
 * @param {boolean} [opts.handleSignals=false] on SIGINT/SIGTERM: stop both, then exit (the CLI sets it)
 * @param {number} [opts.timeoutMs=120000]
 * @param {(line: string) => void} [opts.log=console.log]
 * @param {(name: 'kafka'|'ferretdb', code: number|null, signal: string|null) => void} [opts.onUnexpectedExit]
 *   called if the broker or FerretDB exits on its own after a successful start (default: a log line)
 * @returns {Promise<{kafkaBrokers: string, mongoUrl: string, stop: () => Promise<void>, pids: {kafka: number, ferretdb: number},
 *   dataDir: string, ports: {kafka: number, controller: number, mongo: number}, logs: {kafka: string, ferretdb: string}, readyMs: number,
 *   kafkaNodes: Array<{id: number, port: number, controllerPort: number, pid: number}>,
 *   restart: (name: 'kafka'|'ferretdb', opts?: {signal?: NodeJS.Signals, downMs?: number, node?: number}) => Promise<void>}>}
 *   `restart` is for fault injection (the chaos suite): one component down and up again on the same data and ports.
 */
export async function startEmbedded({
  kafkaPort = envPort('KAFKA_PORT', 9092),
  controllerPort = envPort('KAFKA_CONTROLLER_PORT', 9093),
  mongoPort = envPort('MONGO_PORT', 27017),
  brokers = envBrokerCount(),
  dataDir,
  name = 'default',
  cacheDir = defaultCacheDir(),
  fresh = false,
  handleSignals = false,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  log = console.log,
  onUnexpectedExit,
} = {}) {
  const t0 = Date.now();
  dataDir = path.resolve(dataDir ?? defaultDataDir(name));
  if (new Set([kafkaPort, controllerPort, mongoPort]).size !== 3) {
    throw new Error(
      `[infra] the Kafka (${kafkaPort}), controller (${controllerPort}) and MongoDB (${mongoPort}) ports must differ`,
    );
  }
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) {
    throw new Error(`[infra] brokers (KAFKA_BROKERS_COUNT) must be 1 to 9, not ${brokers}`);
  }
  /** The Kafka nodes: one (the default, exactly as before) or a cluster, node i on ports +2(i−1). */
  /** @type {KafkaNode[]} */
  const nodes = Array.from({ length: brokers }, (_, i) => ({
    id: i + 1,
    port: kafkaPort + 2 * i,
    controllerPort: controllerPort + 2 * i,
    // Set once the data dir is known (below), before anything is started.
    dir: '',
    logDirs: '',
    propsFile: '',
    serverLog: '',
    jvmCommon: [],
    serverLogOffset: 0,
  }));
  if (new Set([...nodes.flatMap((n) => [n.port, n.controllerPort]), mongoPort]).size !== 2 * brokers + 1) {
    throw new Error(
      `[infra] the ${brokers} Kafka nodes' ports (${nodes.map((n) => `${n.port}/${n.controllerPort}`).join(', ')}) and MongoDB's (${mongoPort}) must differ`,
    );
  }

  // Per-instance state; `stop` works at any point, including half-way through startup.
  // `kafka` is node 1; `kafkaNodes` holds every node by id (the same child for node 1).
  /** @type {{ kafka?: ChildProcess, kafkaNodes: Map<number, ChildProcess>, ferretdb?: ChildProcess, watchdog?: Watchdog }} */
  const children = { kafka: undefined, kafkaNodes: new Map(), ferretdb: undefined, watchdog: undefined };
  const liveChildren = () => [...children.kafkaNodes.values(), children.ferretdb];
  /** @type {Promise<void> | undefined} */
  let stopPromise;
  let stopping = false;
  const inst = {
    /** @param {NodeJS.Signals} sig */
    killSync(sig) {
      for (const c of liveChildren())
        if (c?.pid && c.exitCode === null && c.signalCode === null) signalProcess(c.pid, sig);
    },
  };
  /** @param {NodeJS.Signals} sig */
  const onSignal = (sig) => {
    if (stopping) {
      inst.killSync('SIGKILL');
      process.exit(1);
    }
    log(`[infra] ${sig}: stopping Kafka and FerretDB…`);
    // The process exits once both are stopped, whatever stop() ends with.
    void stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  const stop = () => {
    stopPromise ??= (async () => {
      stopping = true;
      const procs = liveChildren().filter(
        /** @returns {c is ChildProcess} */ (c) => Boolean(c?.pid) && c?.exitCode === null && c.signalCode === null,
      );
      const exited = procs.map(
        (c) =>
          /** @type {Promise<void>} */ (
            new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())))
          ),
      );
      for (const c of procs) signalProcess(c.pid, 'SIGTERM');
      const all = Promise.all(exited);
      const graceful = await settlesWithin(all, STOP_GRACE_MS);
      if (!graceful) {
        for (const c of procs)
          if (c.exitCode === null && c.signalCode === null) signalProcess(c.pid, 'SIGKILL');
        await settlesWithin(all, 3000);
      }
      if (children.watchdog?.pid) signalProcess(children.watchdog.pid, 'SIGKILL');
      children.watchdog?.stdin?.destroy();
      const pf = readPidfile(dataDir);
      if (pf && pf.ownerPid === process.pid) fs.rmSync(path.join(dataDir, PIDFILE), { force: true });
      liveInstances.delete(inst);
      if (handleSignals) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    })();
    return stopPromise;
  };
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  try {
    const { kafkaLibs, ferretdbBin } = await ensureArtifacts({ log, cacheDir });

    // An instance recorded for this data dir?
    const prev = readPidfile(dataDir);
    if (prev) {
      const alive = pidfileProcs(prev).filter(isOurProcess);
      if (alive.length && pidAlive(prev.ownerPid)) {
        const by = prev.ownerPid === process.pid ? 'this process' : `pid ${prev.ownerPid}`;
        throw new Error(
          `[infra] an embedded instance already runs on ${dataDir} (started by ${by}: ` +
            `${alive.map((p) => `${p.name} pid ${p.pid}`).join(', ')}). Use it, stop() it, or stop it with: ` +
            `node tools/infra/embedded.mjs down`,
        );
      }
      if (alive.length)
        log(`[infra] stopping leftovers of an earlier run (owner pid ${prev.ownerPid} is gone)…`);
      await stopEmbedded({ dataDir, log: () => undefined });
    }

    for (const n of nodes) {
      const of = brokers === 1 ? '' : ` (node ${n.id})`;
      await assertPortFree(n.port, `Kafka broker${of}`, 'KAFKA_PORT', log);
      await assertPortFree(n.controllerPort, `Kafka controller${of}`, 'KAFKA_CONTROLLER_PORT', log);
    }
    await assertPortFree(mongoPort, 'FerretDB / MongoDB', 'MONGO_PORT', log);

    if (fresh) await fsp.rm(dataDir, { recursive: true, force: true });
    const kafkaRoot = path.join(dataDir, 'kafka');
    const ferretDir = path.join(dataDir, 'ferretdb');
    await fsp.mkdir(path.join(ferretDir, 'data'), { recursive: true });
    const classpath = `${kafkaLibs}${path.sep}*`;
    // One node: <dataDir>/kafka as before; a cluster: <dataDir>/kafka/node-<id> each.
    for (const n of nodes) {
      n.dir = brokers === 1 ? kafkaRoot : path.join(kafkaRoot, `node-${n.id}`);
      n.logDirs = path.join(n.dir, 'logs');
      n.propsFile = path.join(n.dir, 'server.properties');
      n.serverLog = path.join(n.dir, 'server.log');
      n.jvmCommon = [
        `-Dlog4j.configuration=${new URL(`file://${KAFKA_LOG4J}`).href}`,
        `-Dkafka.logs.dir=${n.dir}`,
      ];
      await fsp.mkdir(n.logDirs, { recursive: true });
      await fsp.writeFile(
        n.propsFile,
        brokers === 1
          ? serverProperties({ kafkaPort, controllerPort, logDirs: n.logDirs })
          : clusterServerProperties({ nodeId: n.id, nodes, logDirs: n.logDirs }),
      );
    }

    const unformatted = nodes.filter((n) => !fs.existsSync(path.join(n.logDirs, 'meta.properties')));
    if (unformatted.length) {
      // The 22-char form of Kafka's Uuid; like Kafka's own Uuid.randomUuid(), never one starting with
      // '-', which the storage tool would read as an option (1 start in 64 failed before).
      // Every node of a cluster is formatted with the same cluster id (read back from a formatted one).
      let clusterId = nodes
        .map(
          (n) =>
            /^cluster\.id=(.+)$/m.exec(
              fs.existsSync(path.join(n.logDirs, 'meta.properties'))
                ? fs.readFileSync(path.join(n.logDirs, 'meta.properties'), 'utf8')
                : '',
            )?.[1],
        )
        .find(Boolean);
      while (!clusterId || clusterId.startsWith('-'))
        clusterId = crypto.randomBytes(16).toString('base64url');
      for (const n of unformatted) {
        log(`[infra] formatting Kafka storage in ${n.logDirs} (cluster ${clusterId})…`);
        await runToCompletion(
          'java',
          [
            ...n.jvmCommon,
            '-cp',
            classpath,
            'kafka.tools.StorageTool',
            'format',
            '-t',
            clusterId,
            '-c',
            n.propsFile,
            '--ignore-formatted',
          ],
          {
            cwd: n.dir,
          },
        );
      }
    }

    for (const n of nodes) n.serverLogOffset = fs.existsSync(n.serverLog) ? fs.statSync(n.serverLog).size : 0;
    const extraJvm = (process.env.FIRSTMILE_KAFKA_JVM_OPTS || '').split(/\s+/).filter(Boolean);
    // Node 1 stands for the broker where one name is wanted (the returned `logs`, restart of FerretDB).
    const [first] = nodes;
    const serverLog = first.serverLog;
    const ferretLog = path.join(ferretDir, 'ferretdb.log');
    // Both are spawned the same way at start and by `restart` (same data dir, same ports).
    const spawnChild = {
      kafka: (n = first) =>
        spawnDetached(
          'java',
          [...KAFKA_JVM_OPTS, ...extraJvm, ...n.jvmCommon, '-cp', classpath, 'kafka.Kafka', n.propsFile],
          {
            cwd: n.dir,
            logFile: path.join(n.dir, 'console.log'),
          },
        ),
      ferretdb: () =>
        spawnDetached(
          ferretdbBin,
          [
            '-listen',
            `127.0.0.1:${mongoPort}`,
            '-data',
            path.join(ferretDir, 'data'),
            '-log-level',
            'warn',
            '-parent-pid',
            String(process.pid),
          ],
          { cwd: ferretDir, logFile: ferretLog },
        ),
    };
    for (const n of nodes) {
      const child = spawnChild.kafka(n);
      children.kafkaNodes.set(n.id, child);
      children.kafka ??= child;
      liveInstances.add(inst);
      installExitHook();
      await spawned(child, 'Kafka (Java 17+)');
    }
    children.ferretdb = spawnChild.ferretdb();
    await spawned(children.ferretdb, 'FerretDB');

    const watchdogPids = () =>
      [...[...children.kafkaNodes.values()].map((c) => c.pid), children.ferretdb?.pid].filter(
        /** @returns {p is number} */ (p) => p !== undefined,
      );
    children.watchdog = startWatchdog(watchdogPids());
    let ready = false;
    /** Children being restarted on purpose: their exit is neither unexpected nor a reason to stop. */
    /** @type {Set<ChildProcess>} */
    const restarting = new Set();
    /**
     * @param {'kafka' | 'ferretdb'} key
     * @param {ChildProcess} c
     */
    const watch = (key, c, n = first) => {
      c.unref();
      c.on('exit', (code, signal) => {
        if (stopping || !ready || restarting.has(c)) return; // expected, or reported by waitReady
        log(
          `[infra] ${key === 'kafka' ? `Kafka${brokers === 1 ? '' : ` node ${n.id}`}` : 'FerretDB'} exited unexpectedly (${signal ?? `exit code ${code}`}); ` +
            `see ${key === 'kafka' ? n.serverLog : ferretLog}`,
        );
        onUnexpectedExit?.(key, code, signal);
      });
    };
    for (const n of nodes) watch('kafka', started(children.kafkaNodes.get(n.id)), n);
    watch('ferretdb', started(children.ferretdb));

    const pids = { kafka: started(children.kafka).pid, ferretdb: started(children.ferretdb).pid };
    const kafkaNodes = () =>
      nodes.map((n) => ({
        id: n.id,
        port: n.port,
        controllerPort: n.controllerPort,
        pid: started(children.kafkaNodes.get(n.id)).pid,
      }));
    const kafkaBrokers = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    const mongoUrl = `mongodb://127.0.0.1:${mongoPort}/`;
    const writePidfile = () =>
      fsp.writeFile(
        path.join(dataDir, PIDFILE),
        JSON.stringify(
          {
            ownerPid: process.pid,
            startedAt: new Date().toISOString(),
            dataDir,
            kafkaBrokers,
            mongoUrl,
            kafka: {
              pid: pids.kafka,
              port: kafkaPort,
              controllerPort,
              version: KAFKA_VERSION,
              ...(brokers === 1 ? {} : { nodes: kafkaNodes() }),
            },
            ferretdb: { pid: pids.ferretdb, port: mongoPort, version: FERRETDB_VERSION },
            watchdogPid: children.watchdog?.pid,
          },
          null,
          2,
        ),
      );
    await writePidfile();

    /**
     * Fault injection (the chaos suite): stop one of the two with `signal` (SIGTERM: clean shutdown;
     * SIGKILL: crash), keep it down `downMs`, start it again on the same data dir and ports, and
     * wait until it is ready. The other one keeps running; the watchdog is replaced so it covers the
     * new pid; `onUnexpectedExit` is not called for this exit.
     */
    /**
     * @param {'kafka' | 'ferretdb'} key
     * @param {{ signal?: NodeJS.Signals, downMs?: number, node?: number }} [opts]
     */
    const restart = async (key, { signal = 'SIGTERM', downMs = 0, node = 1 } = {}) => {
      if (key !== 'kafka' && key !== 'ferretdb') throw new Error(`[infra] restart: unknown component ${String(key)}`);
      if (stopping) throw new Error('[infra] restart: the instance is stopping');
      const found = nodes.find((x) => x.id === node);
      if (key === 'kafka' && !found) throw new Error(`[infra] restart: no Kafka node ${node} (1–${brokers})`);
      // FerretDB's restart does not use a node; node 1 stands in for the names below.
      const n = found ?? first;
      const old = started(key === 'kafka' ? children.kafkaNodes.get(n.id) : children.ferretdb);
      restarting.add(old);
      if (old.exitCode === null && old.signalCode === null) {
        /** @type {Promise<void>} */
        const gone = new Promise((r) => old.once('exit', () => r()));
        signalProcess(old.pid, signal);
        if (!(await settlesWithin(gone, STOP_GRACE_MS))) {
          signalProcess(old.pid, 'SIGKILL');
          await gone;
        }
      }
      // The port is free only once the kernel let go of it.
      const port = key === 'kafka' ? n.port : mongoPort;
      for (let i = 0; i < 100 && (await isPortOpen(port, '127.0.0.1', 200)); i++) await sleep(100);
      if (downMs > 0) await sleep(downMs);
      const kn = key === 'kafka' ? n : first;
      const offset = fs.existsSync(kn.serverLog) ? fs.statSync(kn.serverLog).size : 0;
      const child = key === 'kafka' ? spawnChild.kafka(n) : spawnChild.ferretdb();
      await spawned(child, key === 'kafka' ? 'Kafka (Java 17+)' : 'FerretDB');
      if (key === 'kafka') {
        children.kafkaNodes.set(n.id, child);
        if (n.id === 1) children.kafka = child;
        pids.kafka = started(children.kafka).pid;
      } else {
        children.ferretdb = child;
        pids.ferretdb = started(child).pid;
      }
      watch(key, child, kn);
      if (children.watchdog?.pid) signalProcess(children.watchdog.pid, 'SIGKILL');
      children.watchdog?.stdin?.destroy();
      children.watchdog = startWatchdog(watchdogPids());
      await writePidfile();
      const t = Date.now();
      await waitReady({
        kafka: started(children.kafkaNodes.get(kn.id)),
        ferret: started(children.ferretdb),
        kafkaPort: kn.port,
        mongoPort,
        serverLog: kn.serverLog,
        serverLogOffset: key === 'kafka' ? offset : fs.statSync(kn.serverLog).size,
        kafkaAlreadyReady: key !== 'kafka',
        timeoutMs,
        log,
      });
      log(
        `[infra] ${key === 'kafka' ? `Kafka${brokers === 1 ? '' : ` node ${n.id}`}` : 'FerretDB'} restarted after ${signal} (ready in ${fmtSecs(Date.now() - t)})`,
      );
    };

    log(
      `[infra] starting Kafka ${KAFKA_VERSION} on ${kafkaBrokers} and FerretDB ${FERRETDB_VERSION} on ${mongoUrl}…`,
    );
    let waiting = first;
    try {
      // A cluster's nodes become ready together (a broker waits for the controllers' quorum): one after another.
      for (const n of nodes) {
        waiting = n;
        await waitReady({
          kafka: started(children.kafkaNodes.get(n.id)),
          ferret: started(children.ferretdb),
          kafkaPort: n.port,
          mongoPort,
          serverLog: n.serverLog,
          serverLogOffset: n.serverLogOffset,
          timeoutMs,
          log,
        });
      }
    } catch (err) {
      const e = /** @type {Error & { which?: string }} */ (err);
      const kafkaTail = `--- ${waiting.serverLog} ---\n${tailFile(waiting.serverLog)}\n--- ${path.join(waiting.dir, 'console.log')} ---\n${tailFile(path.join(waiting.dir, 'console.log'), 20)}`;
      const ferretTail = `--- ${ferretLog} ---\n${tailFile(ferretLog)}`;
      e.message += `\n${e.which === 'ferretdb' ? ferretTail : kafkaTail}`;
      throw e;
    }
    ready = true;
    const readyMs = Date.now() - t0;
    log(`[infra] ready in ${fmtSecs(readyMs)}: KAFKA_BROKERS=${kafkaBrokers} MONGO_URL=${mongoUrl}`);
    return {
      kafkaBrokers,
      mongoUrl,
      stop,
      pids,
      dataDir,
      ports: { kafka: kafkaPort, controller: controllerPort, mongo: mongoPort },
      logs: { kafka: serverLog, ferretdb: ferretLog },
      readyMs,
      kafkaNodes: kafkaNodes(),
      restart,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------------------
// CLI

/** @param {string[]} argv */
function parseCli(argv) {
  const [cmd = 'help', ...rest] = argv;
  /** @type {{ fresh?: boolean, dataDir?: string }} */
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--fresh') opts.fresh = true;
    else if (a === '--data-dir') opts.dataDir = rest[++i];
    else if (a.startsWith('--data-dir=')) opts.dataDir = a.slice('--data-dir='.length);
    else throw new Error(`unknown option ${a}`);
  }
  return { cmd, opts };
}

/** @param {string[]} argv */
async function main(argv) {
  const { cmd, opts } = parseCli(argv);
  switch (cmd) {
    case 'up': {
      const keepAlive = setInterval(() => undefined, 1 << 30); // the children are unref'd
      // onUnexpectedExit is called only after startEmbedded has resolved (a child that exits on its
      // own after a successful start), so `infra` is set by then.
      const infra = await startEmbedded({
        ...opts,
        handleSignals: true,
        onUnexpectedExit() {
          // One of them died on its own: stop the other one too and fail.
          clearInterval(keepAlive);
          void infra.stop().finally(() => process.exit(1));
        },
      });
      console.log(`
  Kafka    ${infra.kafkaBrokers}   (KAFKA_BROKERS)
  MongoDB  ${infra.mongoUrl}   (MONGO_URL, FerretDB)
  data     ${infra.dataDir}
  logs     ${infra.logs.kafka}
           ${infra.logs.ferretdb}

  Running in the foreground; Ctrl-C stops both.
`);
      return;
    }
    case 'fetch': {
      const t = Date.now();
      const a = await ensureArtifacts({});
      console.log(
        `[infra] Kafka ${a.kafkaVersion}: ${a.kafkaLibs}\n[infra] FerretDB ${a.ferretdbVersion}: ${a.ferretdbBin}\n[infra] artifacts ready (${fmtSecs(Date.now() - t)})`,
      );
      return;
    }
    case 'down': {
      const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
      const stopped = await stopEmbedded({ dataDir });
      console.log(stopped ? '[infra] stopped.' : `[infra] nothing running for ${dataDir}.`);
      return;
    }
    case 'status': {
      const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
      const info = readPidfile(dataDir);
      if (!info) {
        console.log(`[infra] no pidfile in ${dataDir}.`);
        process.exitCode = 1;
        return;
      }
      const procs = pidfileProcs(info).map(
        (p) => `${p.name} pid ${p.pid} ${isOurProcess(p) ? 'running' : 'gone'}`,
      );
      const kOpen = await isPortOpen(info.kafka?.port);
      const mOpen = await isPortOpen(info.ferretdb?.port);
      console.log(
        `[infra] ${procs.join(', ')}; owner pid ${info.ownerPid} ${pidAlive(info.ownerPid) ? 'running' : 'gone'}`,
      );
      console.log(
        `[infra] KAFKA_BROKERS=${info.kafkaBrokers} (${kOpen ? 'open' : 'closed'}) MONGO_URL=${info.mongoUrl} (${mOpen ? 'open' : 'closed'})`,
      );
      if (!kOpen || !mOpen) process.exitCode = 1;
      return;
    }
    default:
      console.log(`usage: node tools/infra/embedded.mjs <up|fetch|down|status> [--fresh] [--data-dir DIR]
  up      start Kafka ${KAFKA_VERSION} and FerretDB ${FERRETDB_VERSION}, stay in the foreground (Ctrl-C stops)
  fetch   download/build the artifacts only
  down    stop an instance started earlier for the data dir
  status  show what the pidfile says and whether the ports answer
env: KAFKA_PORT (9092) KAFKA_CONTROLLER_PORT (9093) MONGO_PORT (27017) KAFKA_BROKERS_COUNT (1; node i on ports +2(i-1)) FIRSTMILE_DATA_DIR FIRSTMILE_CACHE_DIR FIRSTMILE_INFRA_VERBOSE=1`);
      if (cmd !== 'help' && cmd !== '--help' && cmd !== '-h') process.exitCode = 2;
  }
}

function invokedAsCli() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(SCRIPT_PATH);
  } catch {
    return false;
  }
}

if (invokedAsCli()) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e?.message ?? e);
    process.exit(1);
  });
}
