#!/usr/bin/env node
// Embedded trace UI for machines without Docker: the Zipkin server's executable jar from Maven
// Central (io.zipkin:zipkin-server, classifier exec), in-memory storage, on 127.0.0.1. `npm start`
// starts it beside the services; the end-to-end trace test starts its own on a test port.
//
//   node tools/infra/zipkin.mjs up      start it, print the URL, stay in the foreground until Ctrl-C
//   node tools/infra/zipkin.mjs fetch   download only
//
// Library:
//   import { startZipkin } from './tools/infra/zipkin.mjs';
//   const zipkin = await startZipkin({ port: 19411 });
//   // zipkin.url === 'http://127.0.0.1:19411', spans go to `${zipkin.url}/api/v2/spans`
//   await zipkin.stop();
//
// Node built-ins only; needs `java` (17+) and `mvn`, like the embedded Kafka (tools/infra/embedded.mjs).
// Cache: Maven's ~/.m2 plus <repo>/.cache/infra/zipkin-<version>/zipkin.jar (git-ignored).
// Environment: ZIPKIN_PORT (9411), FIRSTMILE_CACHE_DIR, FIRSTMILE_ZIPKIN_JVM_OPTS, ZIPKIN_MEM_MAX_SPANS.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultCacheDir,
  envPort,
  fmtSecs,
  isPortOpen,
  pidAlive,
  REPO_ROOT,
  settlesWithin,
  signalProcess,
  sleep,
  tailFile,
} from './embedded.mjs';

const SCRIPT_PATH = fileURLToPath(import.meta.url);
const ZIPKIN_POM = path.join(REPO_ROOT, 'infra', 'zipkin', 'pom.xml');
/** Zipkin version, read from infra/zipkin/pom.xml (the single source of truth). */
export const ZIPKIN_VERSION = readPomVersion() ?? '3.6.1';

// Small heap and the C1 compiler only: it is a development UI on a 2-core machine shared with
// Kafka, FerretDB and four services, and it starts noticeably faster this way.
const JVM_OPTS = [
  '-Xms64m',
  '-Xmx384m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];
/**
 * Spans kept in memory (`ZIPKIN_MEM_MAX_SPANS`); past it Zipkin drops the oldest traces. A span of
 * ours takes ~3.7 KiB in its in-memory store (~6.7 KiB with the SDK's default resource), so this is
 * ~150 MiB of the 384 MiB heap; Zipkin's default of 500,000, or 200,000, ends in an OutOfMemoryError
 * under load.
 */
const MEM_MAX_SPANS = 40_000;
const DEFAULT_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;


function readPomVersion() {
  try {
    return fs.readFileSync(ZIPKIN_POM, 'utf8').match(/<zipkin\.version>\s*([^<\s]+)\s*</)?.[1];
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// the jar

function jarPaths(cacheDir) {
  const home = path.join(cacheDir, `zipkin-${ZIPKIN_VERSION}`);
  return { home, jar: path.join(home, 'zipkin.jar') };
}

/** Bytes Maven has written so far for the artifact (its partial download sits beside the final name). */
function downloadedBytes() {
  const dir = path.join(os.homedir(), '.m2', 'repository', 'io', 'zipkin', 'zipkin-server', ZIPKIN_VERSION);
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.includes('exec'))
      .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** `mvn dependency:copy` with a progress line every few seconds; rejects with the tail of its output. */
function mvnCopy(outputDir, log) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tail = [];
    const child = spawn(
      'mvn',
      ['-B', '-f', ZIPKIN_POM, 'dependency:copy', `-DoutputDirectory=${outputDir}`],
      {
        cwd: path.dirname(ZIPKIN_POM),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (chunk) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) tail.push(line);
      tail.splice(0, Math.max(0, tail.length - 40));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setInterval(() => {
      log(
        `[zipkin]   mvn: ${(downloadedBytes() / 1e6).toFixed(1)} MB downloaded (${fmtSecs(Date.now() - started)})`,
      );
    }, 5000);
    child.once('error', (e) => {
      clearInterval(timer);
      reject(
        e.code === 'ENOENT'
          ? new Error('[zipkin] `mvn` was not found on the PATH (fetching Zipkin needs it)')
          : e,
      );
    });
    child.once('close', (code, signal) => {
      clearInterval(timer);
      if (code === 0) resolve(Date.now() - started);
      else
        reject(
          new Error(
            `[zipkin] mvn dependency:copy failed (${signal ?? `exit code ${code}`}). Last output:\n${tail.join('\n')}`,
          ),
        );
    });
  });
}

/** A directory as a cross-process lock, so parallel starts download once; a dead owner's lock is taken over. */
async function withLock(lockDir, log, fn) {
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8')) || 0;
    } catch {
      /* being created, or just released */
    }
    if (owner && !pidAlive(owner)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced)
      log(`[zipkin] waiting for another process (pid ${owner || '?'}) that is fetching Zipkin…`);
    announced = true;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** The exec jar, downloaded on first use (about 130 MB), then reused from the cache. */
export async function ensureZipkinJar({ cacheDir = defaultCacheDir(), log = console.log } = {}) {
  const { home, jar } = jarPaths(path.resolve(cacheDir));
  if (fs.existsSync(jar)) return jar;
  await fsp.mkdir(home, { recursive: true });
  return withLock(path.join(home, '.lock'), log, async () => {
    if (fs.existsSync(jar)) return jar; // another process finished meanwhile
    log(
      `[zipkin] fetching io.zipkin:zipkin-server:${ZIPKIN_VERSION} (exec jar, ~130 MB) from Maven Central (first run only)…`,
    );
    const tmp = path.join(home, `tmp-${process.pid}`);
    await fsp.rm(tmp, { recursive: true, force: true });
    const ms = await mvnCopy(tmp, log);
    const got = path.join(tmp, 'zipkin.jar');
    if (!fs.existsSync(got)) throw new Error(`[zipkin] mvn finished but ${got} is missing`);
    await fsp.rename(got, jar);
    await fsp.rm(tmp, { recursive: true, force: true });
    log(`[zipkin] Zipkin ${ZIPKIN_VERSION}: ${jar} (${fmtSecs(ms)})`);
    return jar;
  });
}

// ---------------------------------------------------------------------------
// start / stop

/**
 * A tiny `sh` blocked reading a pipe from this process: when this process dies in any way (even
 * SIGKILL) the pipe closes and it stops Zipkin, so the JVM never outlives its parent.
 */
function startWatchdog(pid) {
  const script = `read _ignored; kill -TERM -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null; sleep ${STOP_GRACE_MS / 1000}; kill -KILL -${pid} 2>/dev/null || kill -KILL ${pid} 2>/dev/null`;
  const wd = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  wd.on('error', () => undefined);
  wd.stdin.on('error', () => undefined);
  wd.unref();
  wd.stdin.unref?.();
  return wd;
}

async function healthy(url) {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts Zipkin (in-memory storage) on 127.0.0.1:port and waits until /health answers.
 *
 * @param {object} [opts]
 * @param {number} [opts.port=9411]        env ZIPKIN_PORT
 * @param {string} [opts.cacheDir]         default env FIRSTMILE_CACHE_DIR or <repo>/.cache/infra
 * @param {string} [opts.logFile]          default <repo>/.cache/logs/zipkin-<port>.log
 * @param {number} [opts.timeoutMs=90000]
 * @param {(line: string) => void} [opts.log=console.log]
 * @returns {Promise<{url: string, spansEndpoint: string, port: number, pid: number, logFile: string, readyMs: number, stop: () => Promise<void>}>}
 */
export async function startZipkin({
  port = envPort('ZIPKIN_PORT', 9411),
  cacheDir = defaultCacheDir(),
  logFile,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  log = console.log,
} = {}) {
  const t0 = Date.now();
  const jar = await ensureZipkinJar({ cacheDir, log });
  if (await isPortOpen(port)) {
    throw new Error(
      `[zipkin] port ${port} on 127.0.0.1 is already in use. Set ZIPKIN_PORT=<free port>, or stop what listens there.`,
    );
  }
  logFile ??= path.join(REPO_ROOT, '.cache', 'logs', `zipkin-${port}.log`);
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'w');
  const extraJvm = (process.env.FIRSTMILE_ZIPKIN_JVM_OPTS || '').split(/\s+/).filter(Boolean);
  let child;
  try {
    // detached: its own process group, so the terminal's Ctrl-C reaches the parent, which stops it in order.
    child = spawn(
      'java',
      [
        ...JVM_OPTS,
        ...extraJvm,
        '-jar',
        jar,
        '--server.address=127.0.0.1',
        `--server.port=${port}`,
        '--logging.level.root=WARN',
      ],
      {
        cwd: path.dirname(jar),
        env: {
          ...process.env,
          STORAGE_TYPE: 'mem',
          MEM_MAX_SPANS: process.env.ZIPKIN_MEM_MAX_SPANS || String(MEM_MAX_SPANS),
          COLLECTOR_SCRIBE_ENABLED: 'false',
        },
        detached: true,
        stdio: ['ignore', fd, fd],
      },
    );
  } finally {
    fs.closeSync(fd);
  }
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) =>
      reject(e.code === 'ENOENT' ? new Error('[zipkin] `java` (17+) was not found on the PATH') : e),
    );
  });
  child.on('error', () => undefined);
  child.unref();
  const watchdog = startWatchdog(child.pid);

  let stopPromise;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = () => {
    stopPromise ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        signalProcess(child.pid, 'SIGTERM');
        if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
          signalProcess(child.pid, 'SIGKILL');
          await settlesWithin(exited, 3000);
        }
      }
      signalProcess(watchdog.pid, 'SIGKILL');
      watchdog.stdin?.destroy();
    })();
    return stopPromise;
  };

  const url = `http://127.0.0.1:${port}`;
  log(`[zipkin] starting Zipkin ${ZIPKIN_VERSION} on ${url} (in-memory storage)…`);
  const deadline = Date.now() + timeoutMs;
  while (!(await healthy(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `[zipkin] Zipkin exited during startup (${child.signalCode ?? `exit code ${child.exitCode}`}); ${logFile}:\n${tailFile(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`[zipkin] not healthy after ${fmtSecs(timeoutMs)}; ${logFile}:\n${tailFile(logFile)}`);
    }
    await sleep(300);
  }
  const readyMs = Date.now() - t0;
  log(`[zipkin] ready in ${fmtSecs(readyMs)}: ${url}`);
  return { url, spansEndpoint: `${url}/api/v2/spans`, port, pid: child.pid, logFile, readyMs, stop };
}

// ---------------------------------------------------------------------------
// CLI

async function main([cmd = 'help']) {
  switch (cmd) {
    case 'up': {
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const zipkin = await startZipkin();
      // The process exits once Zipkin is stopped, whatever stop() ends with.
      const onSignal = () => void zipkin.stop().finally(() => process.exit(0));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      console.log(
        `\n  Zipkin   ${zipkin.url}   (OTEL_TRACES_EXPORTER=zipkin OTEL_EXPORTER_ZIPKIN_ENDPOINT=${zipkin.spansEndpoint})\n  log      ${zipkin.logFile}\n\n  Running in the foreground; Ctrl-C stops it.\n`,
      );
      void keepAlive;
      return;
    }
    case 'fetch': {
      console.log(`[zipkin] ${await ensureZipkinJar()}`);
      return;
    }
    default:
      console.log(`usage: node tools/infra/zipkin.mjs <up|fetch>
  up      start Zipkin ${ZIPKIN_VERSION} (in-memory) on 127.0.0.1:$ZIPKIN_PORT (9411), stay in the foreground (Ctrl-C stops)
  fetch   download the exec jar only`);
      if (cmd !== 'help' && cmd !== '--help' && cmd !== '-h') process.exitCode = 2;
  }
}

function invokedAsCli() {
  try {
    return Boolean(process.argv[1]) && fs.realpathSync(process.argv[1]) === fs.realpathSync(SCRIPT_PATH);
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
