/**
 * The machine's limits, measured with the same tools Firstmile is built on and nothing of
 * Firstmile: a bare NestJS-on-Fastify endpoint, raw kafkajs, the raw MongoDB driver against the
 * same FerretDB. The Firstmile figures are divided by these.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import mongoose from 'mongoose';
import { errorText, out, rssMiB, sleep } from './lib';
import type { Results } from './results';

export interface BenchConfig {
  repoRoot: string;
  kafkaBrokers: string;
  mongoUrl: string;
  /** Seconds each autocannon load runs. */
  httpSeconds: number;
  /** Connections autocannon keeps open for the maximum-throughput loads. */
  connections: number;
  quick: boolean;
}

/** A lot-shaped JSON body, so the bare POST parses as much as POST /v1/lots does. */
export function lotLikeBody(i: number): Record<string, unknown> {
  return {
    cooperativeId: 'COOP-0000000000BENCH',
    growerId: 'GRW-0000000000BENCH',
    orchardId: 'ORC-0000000000BENCH',
    produce: 'apple',
    variety: 'Fuji',
    harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
    quantityKg: 1000 + (i % 1000),
    originWarehouseId: 'WH-LIXIAN-ORIGIN',
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function startBareNest(
  cfg: BenchConfig,
): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const tsNode = path.join(cfg.repoRoot, 'node_modules', 'ts-node', 'dist', 'bin.js');
  const child = spawn(
    process.execPath,
    [tsNode, '--swc', path.join(cfg.repoRoot, 'tools', 'bench', 'bare-nest.ts')],
    {
      cwd: cfg.repoRoot,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bare Nest app did not start in 60 s')), 60_000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening (\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bare Nest app exited (${code}): ${stderr.slice(0, 500)}`));
    });
  });
  return {
    port,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function httpBaseline(cfg: BenchConfig, results: Results): Promise<void> {
  const get = {
    key: 'baseline.http.get',
    section: 'Baselines' as const,
    label: 'bare Nest+Fastify GET /ping',
    unit: 'req/s',
  };
  const post = {
    key: 'baseline.http.post',
    section: 'Baselines' as const,
    label: 'bare Nest+Fastify POST /echo (lot-sized JSON, 201)',
    unit: 'req/s',
  };
  let app: Awaited<ReturnType<typeof startBareNest>> | undefined;
  try {
    app = await startBareNest(cfg);
    const url = `http://127.0.0.1:${app.port}`;
    out(`[bench] bare Nest endpoint on ${url}`);
    await autocannon({ url: `${url}/ping`, connections: cfg.connections, duration: 2 }); // JIT warm-up, not counted
    const g = await autocannon({
      url: `${url}/ping`,
      connections: cfg.connections,
      duration: cfg.httpSeconds,
    });
    results.set({
      ...get,
      value: g.requests.average,
      detail: `p50 ${g.latency.p50} ms, p99 ${g.latency.p99} ms, ${cfg.connections} connections, ${g.non2xx + g.errors} failed`,
    });
    out(`[bench]   GET  ${Math.round(g.requests.average)} req/s`);
    let i = 0;
    const p = await autocannon({
      url: `${url}/echo`,
      connections: cfg.connections,
      duration: cfg.httpSeconds,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: JSON.stringify(lotLikeBody(i++)) }),
        },
      ],
    });
    results.set({
      ...post,
      value: p.requests.average,
      detail: `p50 ${p.latency.p50} ms, p99 ${p.latency.p99} ms, ${p.non2xx + p.errors} failed; server RSS ${Math.round(rssMiB(app.pid) ?? 0)} MiB`,
    });
    out(`[bench]   POST ${Math.round(p.requests.average)} req/s`);
  } catch (e) {
    results.miss(get, errorText(e));
    results.miss(post, errorText(e));
  } finally {
    await app?.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka

const SMALL_MESSAGE = (i: number) =>
  JSON.stringify({
    lotId: `LOT-${String(i).padStart(12, '0')}`,
    produce: 'apple',
    variety: 'Fuji',
    quantityKg: 1000,
    at: new Date().toISOString(),
  });

async function joinedConsumer(kafka: Kafka, topic: string): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: `${topic}.g`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  return consumer;
}

/** Produce `count` messages (in sends of `batch`), consume them in another client; messages/s from first send to last receive. */
async function produceConsume(
  kafka: Kafka,
  topic: string,
  opts: { batch: number; count: number; maxSeconds: number },
): Promise<{ perSecond: number; count: number }> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();

  const consumer = await joinedConsumer(kafka, topic);
  let received = 0;
  let lastAt = 0;
  let target = Number.POSITIVE_INFINITY;
  let done: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => (done = resolve));
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const count = (n: number) => {
    received += n;
    lastAt = performance.now();
    if (received >= target) done();
  };
  await consumer.run(
    opts.batch > 1
      ? { eachBatch: async ({ batch }) => count(batch.messages.length) }
      : { eachMessage: async () => count(1) },
  );
  await joined;

  // The services' publisher settings: idempotent, one request in flight, acks from all replicas.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1000;
  let sent = 0;
  while (sent < opts.count && performance.now() < deadline) {
    const n = Math.min(opts.batch, opts.count - sent);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, k) => ({
        key: String((sent + k) % 64),
        value: SMALL_MESSAGE(sent + k),
      })),
    });
    sent += n;
  }
  target = sent;
  if (received >= target) done();
  await Promise.race([allIn, sleep(30_000)]);
  await producer.disconnect();
  await consumer.disconnect();
  return { perSecond: received / ((lastAt - started) / 1000), count: received };
}

export async function kafkaBaseline(cfg: BenchConfig, results: Results): Promise<void> {
  const batched = {
    key: 'baseline.kafka.batched',
    section: 'Baselines' as const,
    label: 'raw kafkajs produce→consume, batched (500/send, eachBatch)',
    unit: 'msg/s',
  };
  const single = {
    key: 'baseline.kafka.single',
    section: 'Baselines' as const,
    label: 'raw kafkajs produce→consume, one-by-one (awaited send, eachMessage)',
    unit: 'msg/s',
  };
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: cfg.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const suffix = Date.now().toString(36);
  try {
    const b = await produceConsume(kafka, `bench.raw.batched.${suffix}`, {
      batch: 500,
      count: cfg.quick ? 20_000 : 100_000,
      maxSeconds: 30,
    });
    results.set({
      ...batched,
      value: b.perSecond,
      detail: `${b.count.toLocaleString('en-US')} messages of ~130 B, 6 partitions, acks=all, idempotent producer`,
    });
    out(`[bench]   kafka batched ${Math.round(b.perSecond)} msg/s`);
  } catch (e) {
    results.miss(batched, errorText(e));
  }
  try {
    const s = await produceConsume(kafka, `bench.raw.single.${suffix}`, {
      batch: 1,
      count: cfg.quick ? 1000 : 20_000,
      maxSeconds: cfg.quick ? 3 : 8,
    });
    results.set({
      ...single,
      value: s.perSecond,
      detail: `${s.count.toLocaleString('en-US')} messages, each send awaited before the next`,
    });
    out(`[bench]   kafka one-by-one ${Math.round(s.perSecond)} msg/s`);
  } catch (e) {
    results.miss(single, errorText(e));
  }
}

// ---------------------------------------------------------------------------------------------
// MongoDB (FerretDB)

/** A document the size and shape of a logged lot with its outbox entry. */
function lotDocument(i: number) {
  const now = new Date();
  return {
    _id: `LOT-BENCH-${i}-${Math.random().toString(36).slice(2)}`,
    cooperativeId: 'COOP-0000000000BENCH',
    growerId: 'GRW-0000000000BENCH',
    orchardId: 'ORC-0000000000BENCH',
    produce: 'apple',
    variety: 'Fuji',
    harvestedAt: now,
    quantityKg: 1000,
    originWarehouseId: 'WH-LIXIAN-ORIGIN',
    status: 'logged',
    createdAt: now,
    outbox: [
      {
        id: `evt-${i}`,
        type: 'firstmile.harvest.lot.logged.v1',
        topic: 'harvest.lots',
        key: `LOT-${i}`,
        data: { lotId: `LOT-${i}`, quantityKg: 1000 },
      },
    ],
    outboxSize: 1,
  };
}

export async function mongoBaseline(cfg: BenchConfig, results: Results): Promise<void> {
  const seq = {
    key: 'baseline.mongo.insertOne',
    section: 'Baselines' as const,
    label: 'raw driver insertOne, one at a time',
    unit: 'docs/s',
  };
  const conc = {
    key: 'baseline.mongo.insertOne.concurrent',
    section: 'Baselines' as const,
    label: 'raw driver insertOne, 16 in flight',
    unit: 'docs/s',
  };
  const many = {
    key: 'baseline.mongo.insertMany',
    section: 'Baselines' as const,
    label: 'raw driver insertMany (1,000 per call)',
    unit: 'docs/s',
  };
  const conn = await mongoose
    .createConnection(cfg.mongoUrl, { dbName: `bench_raw_${Date.now().toString(36)}`, maxPoolSize: 32 })
    .asPromise();
  try {
    const db = conn.db;
    if (!db) throw new Error('no database handle');
    const coll = db.collection<ReturnType<typeof lotDocument>>('lots');
    await coll.insertOne(lotDocument(-1)); // creates the collection (FerretDB: a SQLite table) outside the clock

    const timed = async (seconds: number, inFlight: number) => {
      let n = 0;
      const started = performance.now();
      const until = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (performance.now() < until) {
            await coll.insertOne(lotDocument(n++));
          }
        }),
      );
      return n / ((performance.now() - started) / 1000);
    };
    try {
      const v = await timed(cfg.quick ? 2 : 5, 1);
      results.set({
        ...seq,
        value: v,
        detail: 'lot-shaped document (~600 B) with an outbox entry; write concern default',
      });
      out(`[bench]   mongo insertOne ${Math.round(v)} docs/s`);
    } catch (e) {
      results.miss(seq, errorText(e));
    }
    try {
      const v = await timed(cfg.quick ? 2 : 5, 16);
      results.set({
        ...conc,
        value: v,
        detail: 'what a loaded service does: many single-document writes at once',
      });
      out(`[bench]   mongo insertOne ×16 ${Math.round(v)} docs/s`);
    } catch (e) {
      results.miss(conc, errorText(e));
    }
    try {
      const total = cfg.quick ? 5_000 : 30_000;
      const started = performance.now();
      for (let i = 0; i < total; i += 1000) {
        await coll.insertMany(
          Array.from({ length: 1000 }, (_, k) => lotDocument(1_000_000 + i + k)),
          { ordered: false },
        );
      }
      const v = total / ((performance.now() - started) / 1000);
      results.set({ ...many, value: v, detail: `${total.toLocaleString('en-US')} documents` });
      out(`[bench]   mongo insertMany ${Math.round(v)} docs/s`);
    } catch (e) {
      results.miss(many, errorText(e));
    }
    await db.dropDatabase().catch(() => undefined);
  } finally {
    await conn.close();
  }
}
