/**
 * `npm run bench`: Firstmile measured against the limits of the machine it runs on, in one run.
 *
 *   npm run bench                      table on stdout, JSON in .cache/bench/results-<timestamp>.json
 *   npm run bench -- --write-docs=before   also replaces the "before" block of docs/benchmarks.md
 *   npm run bench -- --quick           short loads (a smoke test of the harness, not figures to keep)
 *   npm run bench -- --write-docs=before --from=.cache/bench/results-….json   render a saved run, measure nothing
 *
 * It starts its own embedded Kafka and FerretDB (fresh temp data dir, own ports), measures the
 * baselines, starts the five services and the console as `npm start` does, seeds through the HTTP APIs, loads them
 * and stops everything it started, also on error or Ctrl-C. Load only ever targets 127.0.0.1.
 *
 * Env: BENCH_KAFKA_PORT (39092), BENCH_KAFKA_CONTROLLER_PORT (39093), BENCH_MONGO_PORT (27317),
 * BENCH_PORT_OFFSET (30000: services on 33101…), BENCH_SECONDS (15), BENCH_CONNECTIONS (32),
 * BENCH_ORDERS (3000: the order burst; it must drain within the run), BENCH_GROWTH (1000,10000,100000:
 * the store sizes at which the growth phase times the list pages), BENCH_PHASES (all: a comma-separated
 * subset of baselines, grading, lots, orders, growth to run only those, e.g. `BENCH_PHASES=lots,orders`
 * to iterate on the write path in ~2 minutes; figures of the phases left out are listed as not reached),
 * BENCH_HALF_RATE (half the burst's routed rate: the orders/s of the latency load; fix it to compare
 * the latency of runs whose bursts differ), BENCH_ZIPKIN (1: Zipkin started and the services exporting
 * their traces to it, as `npm start` does; 0: no exporter), BENCH_ZIPKIN_PORT (39411).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { httpBaseline, kafkaBaseline, mongoBaseline, type BenchConfig } from './baselines';
import { lotsLoad, ordersLoad, seed, SERVICES, type ServiceName, type StackHandle } from './firstmile';
import { gradingIngest } from './grading';
import { growth } from './growth';
import { cpuShares, cpuSnapshot, errorText, out, processTicks, RssSampler, rssMiB, sleep } from './lib';
import { markdownTables, phaseTable, Results, textTable, type Section } from './results';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const BUDGET_MS = 16 * 60_000;

interface Infra {
  kafkaBrokers: string;
  mongoUrl: string;
  readyMs: number;
  pids: { kafka: number; ferretdb: number };
  stop(): Promise<void>;
}
interface EmbeddedModule {
  startEmbedded(opts: Record<string, unknown>): Promise<Infra>;
  KAFKA_VERSION: string;
  FERRETDB_VERSION: string;
}
interface Zipkin {
  spansEndpoint: string;
  pid: number;
  readyMs: number;
  stop(): Promise<void>;
}
interface ZipkinModule {
  startZipkin(opts: { port: number; logFile: string; log: (line: string) => void }): Promise<Zipkin>;
}
interface Stack extends StackHandle {
  ready(timeoutMs?: number): Promise<void>;
  restart(name: ServiceName): void;
  stop(): Promise<void>;
}
interface StackModule {
  build(opts: { log: (line: string) => void }): void;
  startServices(opts: {
    env: Record<string, string>;
    portOffset: number;
    logDir: string;
    log: (line: string) => void;
  }): Promise<Stack>;
}

function parseArgs(argv: string[]) {
  let writeDocs: string | undefined;
  let quick = false;
  let from: string | undefined;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a.startsWith('--from=')) from = a.slice('--from='.length);
    else if (a === '--write-docs') writeDocs = 'latest';
    else if (a.startsWith('--write-docs=')) writeDocs = a.slice('--write-docs='.length);
    else
      throw new Error(
        `unknown option ${a} (use --write-docs[=before|after|latest], --quick, --from=<results.json>)`,
      );
  }
  if (from !== undefined && writeDocs === undefined)
    throw new Error('--from only makes sense with --write-docs');
  if (writeDocs !== undefined && !/^[a-z0-9-]+$/.test(writeDocs))
    throw new Error(`--write-docs label must be lower-case words: ${writeDocs}`);
  return { writeDocs, quick, from };
}

const PHASES = ['baselines', 'grading', 'lots', 'orders', 'growth'] as const;
type Phase = (typeof PHASES)[number];

/** The phases BENCH_PHASES asks for (all when unset). */
function phasesToRun(): Set<Phase> {
  const raw = process.env['BENCH_PHASES'];
  if (!raw) return new Set(PHASES);
  const asked = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = asked.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')} (use ${PHASES.join(', ')})`);
  return new Set(asked as Phase[]);
}

const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.from && args.writeDocs) {
    // Re-render a saved run into the docs without measuring again.
    const saved = new Results({}, {});
    Object.assign(saved.run, JSON.parse(fs.readFileSync(args.from, 'utf8')) as Partial<Results['run']>);
    writeDocs(args.writeDocs, saved, path.relative(REPO_ROOT, path.resolve(args.from)));
    out(`docs/benchmarks.md: the "${args.writeDocs}" block is rendered from ${args.from}`);
    return 0;
  }
  const run = phasesToRun();
  const started = Date.now();
  const req = createRequire(__filename);
  const embedded = req(path.join(REPO_ROOT, 'tools/infra/embedded.mjs')) as EmbeddedModule;
  const stackMod = req(path.join(REPO_ROOT, 'tools/dev/stack.mjs')) as StackModule;
  const zipkinMod = req(path.join(REPO_ROOT, 'tools/infra/zipkin.mjs')) as ZipkinModule;
  // As `npm start` runs the stack: Zipkin beside it, every service exporting its traces there.
  const withZipkin = process.env['BENCH_ZIPKIN'] !== '0';

  const ports = {
    kafka: envInt('BENCH_KAFKA_PORT', 39092),
    controller: envInt('BENCH_KAFKA_CONTROLLER_PORT', 39093),
    mongo: envInt('BENCH_MONGO_PORT', 27317),
  };
  const portOffset = envInt('BENCH_PORT_OFFSET', 30000);
  const httpSeconds = args.quick ? 3 : envInt('BENCH_SECONDS', 15);
  const connections = envInt('BENCH_CONNECTIONS', 32);
  const results = new Results(
    {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      kafka: embedded.KAFKA_VERSION,
      ferretdb: embedded.FERRETDB_VERSION,
      loadAverageAtStart: os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    },
    {
      httpSeconds,
      connections,
      quick: String(args.quick),
      ...ports,
      portOffset,
      phases: [...run].join(','),
      zipkin: String(withZipkin),
    },
  );

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'firstmile-bench-'));
  const logDir = path.join(REPO_ROOT, '.cache', 'bench', 'logs');
  fs.rmSync(logDir, { recursive: true, force: true });
  let infra: Infra | undefined;
  let stack: Stack | undefined;
  let zipkin: Zipkin | undefined;
  let gradingPid: number | undefined;
  let phase = 'infra';
  let phaseCpu = cpuSnapshot();
  /** The processes whose CPU each phase records one by one (filled in once they run). */
  let named: () => Record<string, number | undefined> = () => ({ 'bench (load generator)': process.pid });
  let phaseTicks = processTicks(named());
  const setPhase = (p: string) => {
    const now = cpuSnapshot();
    const shares = cpuShares(phaseCpu, now);
    const ticks = processTicks(named());
    const byProcess = Object.fromEntries(
      Object.entries(ticks).map(([k, t]) => [k, (100 * (t - (phaseTicks[k] ?? t))) / Math.max(1, now.total - phaseCpu.total)]),
    );
    results.run.phases.push({
      name: phase,
      seconds: (now.at - phaseCpu.at) / 1000,
      oursCpuPct: shares.oursPct,
      othersCpuPct: shares.othersPct,
      byProcess,
    });
    if (phase === 'orders-max') {
      for (const [k, pct] of Object.entries(byProcess).sort((a, b) => b[1] - a[1])) {
        results.set({
          key: `time.cpu.${k.replace(/[^a-z0-9]+/gi, '_')}`,
          section: 'Where the order burst spends its time',
          label: `CPU: ${k}`,
          unit: '%',
          value: pct,
          detail: 'share of the whole machine (100 % = all cores) during the burst',
        });
      }
    }
    phaseCpu = now;
    phaseTicks = ticks;
    phase = p;
    out(`[bench] ${p}… (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  };
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      if (gradingPid) {
        try {
          process.kill(gradingPid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await stack?.stop().catch((e: unknown) => out(`[bench] stopping the services: ${errorText(e)}`));
      await zipkin?.stop().catch((e: unknown) => out(`[bench] stopping Zipkin: ${errorText(e)}`));
      await infra?.stop().catch((e: unknown) => out(`[bench] stopping Kafka/FerretDB: ${errorText(e)}`));
      // Keep the infrastructure's own logs beside the services' before the data dir goes.
      for (const [from, to] of [
        [path.join(dataDir, 'ferretdb', 'ferretdb.log'), 'ferretdb.log'],
        [path.join(dataDir, 'kafka', 'server.log'), 'kafka-server.log'],
      ]) {
        try {
          fs.mkdirSync(logDir, { recursive: true });
          fs.copyFileSync(from, path.join(logDir, to));
        } catch {
          /* not started that far */
        }
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  const onSignal = (sig: string) => {
    out(`\n[bench] ${sig}: stopping everything it started…`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // The run must end by itself within the budget, whatever hangs.
  const watchdog = setTimeout(() => {
    out(`[bench] over the ${BUDGET_MS / 60_000}-minute budget during ${phase}: stopping`);
    results.note(
      `stopped by the ${BUDGET_MS / 60_000}-minute watchdog during ${phase}; figures not shown were not reached`,
    );
    void cleanup()
      .then(() => report(results, started, args.writeDocs))
      .finally(() => process.exit(2));
  }, BUDGET_MS);
  watchdog.unref();
  const left = () => BUDGET_MS - (Date.now() - started);

  const mem = (key: string, label: string, value: number | undefined, detail?: string) =>
    value === undefined
      ? results.miss({ key, section: 'Memory (RSS, MiB)', label, unit: 'MiB' }, 'process not running')
      : results.set({ key, section: 'Memory (RSS, MiB)', label, unit: 'MiB', value, detail });

  try {
    phase = 'starting embedded Kafka and FerretDB';
    out(`[bench] ${phase}…`);
    infra = await embedded.startEmbedded({
      dataDir,
      fresh: true,
      kafkaPort: ports.kafka,
      controllerPort: ports.controller,
      mongoPort: ports.mongo,
      log: (line: string) => out(line),
    });
    const cfg: BenchConfig = {
      repoRoot: REPO_ROOT,
      kafkaBrokers: infra.kafkaBrokers,
      mongoUrl: infra.mongoUrl,
      httpSeconds,
      connections,
      quick: args.quick,
    };
    if (withZipkin) {
      fs.mkdirSync(logDir, { recursive: true });
      zipkin = await zipkinMod.startZipkin({
        port: envInt('BENCH_ZIPKIN_PORT', 39411),
        logFile: path.join(logDir, 'zipkin.log'),
        log: (line: string) => out(line),
      });
    }
    await sleep(3000); // let the broker finish its start-up work before its memory is read
    const infraPids = infra.pids;
    const idleInfra = { kafka: rssMiB(infraPids.kafka), ferretdb: rssMiB(infraPids.ferretdb) };

    if (run.has('baselines')) {
      setPhase('baseline: bare NestJS on Fastify');
      await httpBaseline(cfg, results);
      setPhase('baseline: raw kafkajs');
      await kafkaBaseline(cfg, results);
      setPhase('baseline: raw MongoDB driver on FerretDB');
      await mongoBaseline(cfg, results);
    }

    let gradingPeak: number | undefined;
    if (run.has('grading')) {
      setPhase('grading ingest (tools/bench/grading-ingest.ts)');
      const gradingSampler = new RssSampler(() => ({ ingest: gradingPid })).start();
      await gradingIngest(cfg, results, (pid) => (gradingPid = pid));
      gradingPeak = gradingSampler.stop()['ingest'];
    }

    setPhase('starting the five services and the console as npm start does');
    const buildStarted = Date.now();
    stackMod.build({ log: (line) => out(line) });
    const buildMs = Date.now() - buildStarted;
    const servicesStarted = Date.now();
    stack = await stackMod.startServices({
      env: {
        KAFKA_BROKERS: infra.kafkaBrokers,
        MONGO_URL: infra.mongoUrl,
        LOG_LEVEL: 'warn',
        // One bench client is one token subject; the per-caller limit is not what is measured.
        RATE_LIMIT_PER_MINUTE: '100000000',
        ...(zipkin ? { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint } : {}),
      },
      portOffset,
      logDir,
      log: quietLog(logDir),
    });
    let servicesReady = false;
    const restarts: string[] = [];
    try {
      // A service that dies during start-up is restarted (at most twice each), as a supervisor
      // would; the figure says so, since `npm start` itself does not restart anything.
      for (;;) {
        try {
          await stack.ready(120_000);
          break;
        } catch (e) {
          const died = /^(\S+) exited with/.exec(errorText(e))?.[1] as ServiceName | undefined;
          if (!died || restarts.filter((r) => r === died).length >= 2) throw e;
          restarts.push(died);
          out(
            `[bench] ${died} died during start-up (see ${path.join(logDir, `${died}.log`)}): restarting it`,
          );
          stack.restart(died);
        }
      }
      servicesReady = true;
      const readyMs = Date.now() - servicesStarted;
      results.set({
        key: 'startup.warm',
        section: 'Start-up',
        label: 'warm `npm start` equivalent: Kafka+FerretDB, swc build, five services and the console ready',
        unit: 's',
        value: (infra.readyMs + (zipkin?.readyMs ?? 0) + buildMs + readyMs) / 1000,
        detail:
          `infra ${(infra.readyMs / 1000).toFixed(1)} s (cached artifacts, fresh data dir)` +
          (zipkin ? ` + Zipkin ${(zipkin.readyMs / 1000).toFixed(1)} s` : '') +
          ` + build ${(buildMs / 1000).toFixed(1)} s + services ${(readyMs / 1000).toFixed(1)} s` +
          (restarts.length
            ? `; includes restarting ${restarts.join(', ')} after a crash at start-up on the fresh broker`
            : ''),
      });
      results.set({
        key: 'startup.services',
        section: 'Start-up',
        label: 'five services and the console from spawn to all /health/ready',
        unit: 's',
        value: readyMs / 1000,
      });
    } catch (e) {
      results.miss(
        {
          key: 'startup.warm',
          section: 'Start-up',
          label: 'warm `npm start` equivalent: Kafka+FerretDB, swc build, five services and the console ready',
          unit: 's',
        },
        errorText(e),
      );
    }

    const allPids = (): Record<string, number | undefined> => ({
      'Kafka (JVM)': infraPids.kafka,
      FerretDB: infraPids.ferretdb,
      ...Object.fromEntries(SERVICES.map((s) => [s, stack?.pid(s)])),
      console: stack?.pid('console'),
      ...(zipkin ? { 'Zipkin (JVM)': zipkin.pid } : {}),
    });
    named = () => ({ ...allPids(), 'bench (load generator)': process.pid });
    phaseTicks = processTicks(named());

    const alive = (s: ServiceName) => stack?.pid(s) !== undefined && rssMiB(stack.pid(s)) !== undefined;
    const seedMissing = (why: string) => {
      for (const [key, label, unit] of [
        ['firstmile.lots', 'lots logged (POST /v1/lots → 201)', 'lots/s'],
        ['firstmile.orders', 'orders routed end to end (placed → routed, burst)', 'orders/s'],
        ['firstmile.orders.half', 'accept→routed latency at half the maximum rate (p50)', 'ms'],
      ] as const) {
        results.miss({ key, section: 'Firstmile', label, unit }, why);
      }
    };

    let loadPeaks: Record<string, number> = {};
    let loaded = false;
    if (!servicesReady && !SERVICES.some(alive)) {
      seedMissing('the services did not start');
    } else {
      setPhase('seeding through the HTTP APIs');
      const st = stack;
      const seeded = await seed(st, args.quick ? 1 : 4, out).catch(
        (e: unknown) => ({ error: errorText(e) }) as Awaited<ReturnType<typeof seed>>,
      );
      await sleep(5000); // settle: consumers caught up, relays idle
      const idle = Object.fromEntries(Object.entries(allPids()).map(([k, pid]) => [k, rssMiB(pid)]));
      const sampler = new RssSampler(allPids).start();
      try {
        if (!run.has('lots')) {
          // Left out by BENCH_PHASES: listed as not reached.
        } else if (seeded.coopId && seeded.managerToken && seeded.growerId && seeded.orchardId && left() > 90_000) {
          setPhase('Firstmile: lots logged');
          loaded = true;
          await lotsLoad(
            cfg,
            st,
            {
              coopId: seeded.coopId,
              growerId: seeded.growerId,
              orchardId: seeded.orchardId,
              managerToken: seeded.managerToken,
            },
            results,
          );
        } else {
          seedMissing(seeded.error ?? 'out of time');
        }
        if (!run.has('orders')) {
          // Left out by BENCH_PHASES: listed as not reached.
        } else if (seeded.error) {
          for (const [key, label, unit] of [
            ['firstmile.orders', 'orders routed end to end (placed → routed, burst)', 'orders/s'],
            ['firstmile.orders.half', 'accept→routed latency at half the maximum rate (p50)', 'ms'],
          ] as const) {
            results.miss({ key, section: 'Firstmile', label, unit }, `seeding stock failed: ${seeded.error}`);
          }
        } else if (seeded.buyerToken && left() > 150_000) {
          setPhase('Firstmile: orders routed');
          loaded = true;
          await ordersLoad(
            cfg,
            st,
            { buyerToken: seeded.buyerToken, stockKg: seeded.stockKg ?? 0 },
            results,
            setPhase,
            left,
          );
        } else {
          results.miss(
            {
              key: 'firstmile.orders',
              section: 'Firstmile',
              label: 'orders routed end to end (placed → routed, burst)',
              unit: 'orders/s',
            },
            'out of time',
          );
        }
        if (run.has('growth') && seeded.coopId && seeded.managerToken && seeded.buyerToken && !seeded.error && left() > 240_000) {
          setPhase('growth: list pages as the store fills');
          const sizes = (process.env['BENCH_GROWTH'] ?? (args.quick ? '1000,5000' : '1000,10000,100000')).split(',').map(Number);
          await growth(cfg.mongoUrl, st, { coopId: seeded.coopId, managerToken: seeded.managerToken, buyerToken: seeded.buyerToken }, results, sizes).catch(
            (e: unknown) => results.note(`growth phase: ${errorText(e)}`),
          );
        }
      } finally {
        loadPeaks = sampler.stop();
      }
      for (const [name, pid] of Object.entries(allPids())) {
        const key = name
          .toLowerCase()
          .replace(/[^a-z]+/g, '-')
          .replace(/-$/, '');
        mem(
          `memory.idle.${key}`,
          `${name}, idle`,
          idle[name],
          pid ? `pid ${pid}; after seeding, 5 s settled` : undefined,
        );
        if (loaded)
          mem(
            `memory.load.${key}`,
            `${name}, peak under load`,
            loadPeaks[name],
            'sampled every 0.5 s during the lots and orders loads',
          );
      }
    }
    mem(
      'memory.fresh.kafka',
      'Kafka (JVM), fresh broker before any load',
      idleInfra.kafka,
      'not part of the idle total',
    );
    mem(
      'memory.fresh.ferretdb',
      'FerretDB, fresh before any load',
      idleInfra.ferretdb,
      'not part of the idle total',
    );
    if (gradingPeak !== undefined)
      mem('memory.load.grading-ingest', 'grading-ingest.ts (grading app in-process), peak', gradingPeak);
    const idleSum = results.run.figures
      .filter((f) => f.key.startsWith('memory.idle.'))
      .reduce((s, f) => s + (f.value ?? 0), 0);
    if (idleSum > 0)
      mem('memory.idle.total', 'whole stack, idle (sum of the idle rows)', idleSum, 'target ≤ 2048 MiB');

    // Ratios: each Firstmile figure beside the machine's limit it is built on.
    results.ratio('firstmile.lots', 'baseline.http.post', 'bare POST');
    results.ratio('firstmile.lots', 'baseline.http.get', 'bare GET');
    results.ratio('firstmile.lots.published', 'baseline.kafka.single', 'raw kafkajs one-by-one');
    results.ratio('firstmile.events', 'baseline.kafka.batched', 'raw kafkajs batched');
    results.ratio('firstmile.events', 'baseline.kafka.single', 'raw kafkajs one-by-one');
    results.ratio('firstmile.lots.writes', 'baseline.mongo.insertOne.concurrent', 'raw insertOne ×16');
    results.ratio('firstmile.lots.writes', 'baseline.mongo.insertMany', 'raw insertMany');
    results.ratio('firstmile.orders.accepted', 'baseline.http.post', 'bare POST');
  } catch (e) {
    results.note(`run stopped during ${phase}: ${errorText(e)}`);
    out(`[bench] ${phase} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    setPhase('stopping everything the bench started');
    await cleanup();
    setPhase('done');
    results.run.phases = results.run.phases.filter((p) => p.name !== 'done');
    clearTimeout(watchdog);
  }

  report(results, started, args.writeDocs);
  return results.run.notes.length ? 1 : 0;
}

/** Writes the JSON, prints the tables, and updates the docs when asked. */
/** Every figure the brief asks for; one a run did not reach is listed as such rather than left out. */
const EXPECTED: Array<[string, Section, string, string]> = [
  ['baseline.http.get', 'Baselines', 'bare Nest+Fastify GET /ping', 'req/s'],
  ['baseline.http.post', 'Baselines', 'bare Nest+Fastify POST /echo (lot-sized JSON, 201)', 'req/s'],
  [
    'baseline.kafka.batched',
    'Baselines',
    'raw kafkajs produce→consume, batched (500/send, eachBatch)',
    'msg/s',
  ],
  [
    'baseline.kafka.single',
    'Baselines',
    'raw kafkajs produce→consume, one-by-one (awaited send, eachMessage)',
    'msg/s',
  ],
  ['baseline.mongo.insertOne', 'Baselines', 'raw driver insertOne, one at a time', 'docs/s'],
  ['baseline.mongo.insertMany', 'Baselines', 'raw driver insertMany (1,000 per call)', 'docs/s'],
  ['firstmile.lots', 'Firstmile', 'lots logged (POST /v1/lots → 201)', 'lots/s'],
  [
    'firstmile.lots.published',
    'Firstmile',
    'lots logged, durable and published (LotLoggedV1 on harvest.lots)',
    'lots/s',
  ],
  [
    'firstmile.grading.ingest',
    'Firstmile',
    'grading ingest (POST measurements, 10,000 fruits a batch)',
    'fruits/s',
  ],
  ['firstmile.orders.accepted', 'Firstmile', 'orders accepted (POST /v1/orders → 202)', 'orders/s'],
  ['firstmile.orders', 'Firstmile', 'orders routed end to end (placed → routed, burst)', 'orders/s'],
  ['firstmile.events', 'Firstmile', 'pipeline events written while routing (all topics)', 'events/s'],
  ['firstmile.orders.half', 'Firstmile', 'accept→routed latency at half the maximum rate (p50)', 'ms'],
  ['firstmile.orders.half.p99', 'Firstmile', 'accept→routed latency at half the maximum rate (p99)', 'ms'],
  ['firstmile.insights.lag', 'Firstmile', "insights' consumer lag under the order burst (peak records)", 'records'],
  [
    'startup.warm',
    'Start-up',
    'warm `npm start` equivalent: Kafka+FerretDB, swc build, five services and the console ready',
    's',
  ],
];

function report(results: Results, started: number, writeDocsLabel: string | undefined): void {
  for (const [key, section, label, unit] of EXPECTED)
    if (!results.get(key)) results.miss({ key, section, label, unit }, 'the run did not get there');
  results.run.finishedAt = new Date().toISOString();
  results.run.durationS = Math.round((Date.now() - started) / 1000);
  const stamp = results.run.startedAt.replace(/[:.]/g, '-');
  const jsonDir = path.join(REPO_ROOT, '.cache', 'bench');
  fs.mkdirSync(jsonDir, { recursive: true });
  const jsonFile = path.join(jsonDir, `results-${stamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(results.run, null, 2)}\n`);

  out(
    `\nFirstmile benchmark — ${results.run.machine['cores']} cores, ${results.run.machine['memoryGiB']} GiB, Node ${results.run.machine['node']}, Kafka ${results.run.machine['kafka']}, FerretDB ${results.run.machine['ferretdb']}; ${results.run.durationS} s`,
  );
  out(textTable(results.run));
  out(
    '\n── Phases: wall time and CPU (100 % = all cores; other processes = everyone else on this shared machine) ──',
  );
  out(phaseTable(results.run, false));
  for (const n of results.run.notes) out(`note: ${n}`);
  out(`\nJSON: ${path.relative(REPO_ROOT, jsonFile)}`);
  if (writeDocsLabel) {
    writeDocs(writeDocsLabel, results, path.relative(REPO_ROOT, jsonFile));
    out(`docs/benchmarks.md: the "${writeDocsLabel}" block is updated`);
  }
}

/** Echoes a few warn/error lines per service, then only points at its log file (a load can log thousands). */
function quietLog(logDir: string): (line: string) => void {
  const seen = new Map<string, number>();
  return (line) => {
    const who = /^\[([a-z-]+)\]/.exec(line)?.[1] ?? 'stack';
    const n = (seen.get(who) ?? 0) + 1;
    seen.set(who, n);
    if (who === 'stack' || n <= 5) out(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    else if (n === 6) out(`[${who}] … more warnings in ${path.join(logDir, `${who}.log`)}`);
  };
}

/** Replaces the block between `<!-- bench:<label> -->` and `<!-- /bench:<label> -->`, or appends one. */
function writeDocs(label: string, results: Results, jsonFile: string): void {
  const file = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
  const m = results.run.machine;
  const block = [
    `<!-- bench:${label} -->`,
    `Run of ${results.run.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.run.durationS} s: ${m['cores']} × ${m['cpu']}, ${m['memoryGiB']} GiB, Node ${m['node']}, Kafka ${m['kafka']}, FerretDB ${m['ferretdb']}; load average at start ${m['loadAverageAtStart']}; ` +
      `${results.run.settings['connections']} connections, ${results.run.settings['httpSeconds']} s per load (\`${jsonFile}\`).`,
    '',
    markdownTables(results.run),
    '',
    '#### Phases (CPU: 100 % = both cores; "other processes" = everything on the machine outside this run)',
    '',
    phaseTable(results.run, true),
    ...(results.run.notes.length ? ['', ...results.run.notes.map((n) => `- ${n}`)] : []),
    `<!-- /bench:${label} -->`,
  ].join('\n');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = new RegExp(`<!-- bench:${label} -->[\\s\\S]*?<!-- /bench:${label} -->`);
  fs.writeFileSync(
    file,
    re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n## Run: ${label}\n\n${block}\n`,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
