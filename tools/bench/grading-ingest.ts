/**
 * Benchmark (not a test): how many fruit measurements per second grading's HTTP ingest path
 * (`POST /v1/lots/:lotId/measurements`, batches of 10,000) handles on this machine.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register tools/bench/grading-ingest.ts
 *
 * Env: KAFKA_BROKERS, MONGO_URL (default: the embedded ports), BENCH_BATCHES (default 30),
 * BENCH_FRUITS (per batch, default 10000), BENCH_CONCURRENCY (requests in flight, default 2).
 * It starts the grading app in this process on a free port with its own topic and database prefix,
 * logs one lot through Kafka, measures, then drops its database and topics.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { getConnectionToken } from '@nestjs/mongoose';
import { Kafka, logLevel } from 'kafkajs';
import type { Connection } from 'mongoose';
import { LotLoggedV1, toHeaders } from '@firstmile/contracts';
import { GB_T_10651_2008, graderFor, tallyBatch } from '@firstmile/grading-standards';
import { KafkaEventServer, newEvent } from '@firstmile/messaging';
import { token } from '@firstmile/testing';

const runId = `bench${Date.now().toString(36)}`;
process.env['KAFKA_BROKERS'] ??= '127.0.0.1:29092';
process.env['MONGO_URL'] ??= 'mongodb://127.0.0.1:27217/';
process.env['KAFKA_TOPIC_PREFIX'] = `${runId}.`;
process.env['MONGO_DB_PREFIX'] = `${runId}_`;
process.env['LOG_LEVEL'] ??= 'error';
process.env['OUTBOX_POLL_MS'] ??= '200';
// The bench is one caller sending many batches; the per-caller limit is not what it measures.
process.env['RATE_LIMIT_PER_MINUTE'] ??= '1000000';
process.env['BODY_LIMIT_BYTES'] ??= String(4 * 1024 * 1024);

const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 30);
const FRUITS = Number(process.env['BENCH_FRUITS'] ?? 10_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 2);
const WAREHOUSE = 'WH-LIXIAN-ORIGIN';

const out = (line: string) => process.stdout.write(`${line}\n`);
const rnd = (min: number, max: number) => Math.round((min + Math.random() * (max - min)) * 10) / 10;
const DEFECTS = ['bruise_slight', 'hail_mark_slight', 'scab_slight', 'sunburn', 'crack'];

function fruit() {
  const defects = Math.random() < 0.2 ? [DEFECTS[Math.floor(Math.random() * DEFECTS.length)]] : [];
  return { weightG: rnd(120, 320), diameterMm: rnd(55, 90), colorCoveragePct: rnd(10, 100), ...(defects.length ? { defects } : {}) };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  // Imported after the env is set: the app reads it when its modules load.
  const { createApp } = await import('@firstmile/grading/app');
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  await app.get(KafkaEventServer).joined;
  const { port } = app.getHttpServer().address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const kafka = new Kafka({ clientId: 'bench', brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), logLevel: logLevel.NOTHING });

  try {
    const lotId = `LOT-${runId.toUpperCase()}`;
    const lot: LotLoggedV1 = {
      lotId,
      cooperative: { id: 'COOP-BENCH', name: 'Bench Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
      growerId: 'GRW-BENCH',
      orchard: { id: 'ORC-BENCH', name: 'Bench orchard', location: { lat: 34.19, lon: 105.18 } },
      produce: 'apple',
      variety: 'Fuji',
      harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
      quantityKg: 100_000,
      originWarehouseId: WAREHOUSE,
      loggedAt: new Date().toISOString(),
    };
    const producer = kafka.producer();
    await producer.connect();
    const e = newEvent(LotLoggedV1.type, lot, { source: 'bench' });
    await producer.send({ topic: `${runId}.${e.topic}`, acks: -1, messages: [{ key: e.key, value: JSON.stringify(e.data), headers: toHeaders(e) }] });
    await producer.disconnect();

    const auth = { authorization: `Bearer ${token({ role: 'grading_line', warehouses: [WAREHOUSE] })}` };
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/v1/lots/${lotId}/grading`, { headers: auth })).status === 200) break;
      if (i > 300) throw new Error('the lot never arrived');
      await new Promise((r) => setTimeout(r, 100));
    }

    // Bodies are built before the clock starts: the bench measures the service, not the client.
    const bodies = Array.from({ length: BATCHES + 1 }, (_, i) => JSON.stringify({ batchId: `batch-${i}`, fruits: Array.from({ length: FRUITS }, fruit) }));
    const send = async (body: string) => {
      const t0 = performance.now();
      const res = await fetch(`${base}/v1/lots/${lotId}/measurements`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
      return performance.now() - t0;
    };
    await send(bodies[BATCHES]); // warm-up (JIT, connection pool), not counted

    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < BATCHES) latencies.push(await send(bodies[next++]));
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    const view = (await (await fetch(`${base}/v1/lots/${lotId}/grading`, { headers: auth })).json()) as { measurements: { fruits: number } };
    const expected = (BATCHES + 1) * FRUITS;
    if (view.measurements.fruits !== expected) throw new Error(`lot shows ${view.measurements.fruits} fruits, expected ${expected}`);

    // For scale: the grading rules alone, without HTTP, validation or the store.
    const sample = Array.from({ length: 100_000 }, fruit);
    const grader = graderFor(GB_T_10651_2008, 'Fuji');
    const t0 = performance.now();
    tallyBatch(grader, sample);
    const rulesPerSecond = sample.length / ((performance.now() - t0) / 1000);

    out(`grading ingest benchmark (${BATCHES} batches × ${FRUITS} fruits, ${CONCURRENCY} in flight, body ≈ ${(bodies[0].length / 1024).toFixed(0)} KiB)`);
    out(`  ingest:     ${Math.round((BATCHES * FRUITS) / seconds).toLocaleString('en-US')} fruit measurements/s over HTTP (${seconds.toFixed(2)} s)`);
    out(`  per batch:  p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
    out(`  rules only: ${Math.round(rulesPerSecond).toLocaleString('en-US')} fruits/s (GB/T 10651-2008, in-process)`);
    out(`  stored:     ${view.measurements.fruits.toLocaleString('en-US')} fruits tallied for the lot (one insert per batch)`);
  } finally {
    await app.get<Connection>(getConnectionToken()).dropDatabase().catch(() => undefined);
    await app.close();
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
