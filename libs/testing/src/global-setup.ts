import * as path from 'node:path';
import { embedded, REPO_ROOT, type EmbeddedInfra } from './lib/infra';

declare global {
  var __FIRSTMILE_INFRA__: { stop(): Promise<void>; userGiven: boolean } | undefined;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Starts the real broker and store once per run. Order of preference: what the user gave
 * (KAFKA_BROKERS and MONGO_URL), then containers where a container runtime answers, then the
 * project's embedded Kafka and FerretDB on test ports of their own (so a running `npm start` is
 * left alone). Every run gets its own topic and database prefix.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `t${Date.now().toString(36)}`;
  process.env['FM_RUN_ID'] = runId;
  process.env['KAFKA_TOPIC_PREFIX'] = `${runId}.`;
  process.env['MONGO_DB_PREFIX'] = `${runId}_`;
  process.env['LOG_LEVEL'] ??= 'warn';
  // Retries in tests should not take minutes.
  process.env['KAFKA_RETRY_DELAYS_MS'] ??= '200,500';
  process.env['OUTBOX_POLL_MS'] ??= '200';

  if (process.env['KAFKA_BROKERS'] && process.env['MONGO_URL']) {
    log(`[test] using KAFKA_BROKERS=${process.env['KAFKA_BROKERS']} MONGO_URL=${process.env['MONGO_URL']}`);
    globalThis.__FIRSTMILE_INFRA__ = { stop: async () => undefined, userGiven: true };
    return;
  }

  const infra = (await containers()) ?? (await embeddedForTests(runId));
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers;
  process.env['MONGO_URL'] = infra.mongoUrl;
  globalThis.__FIRSTMILE_INFRA__ = { stop: () => infra.stop(), userGiven: false };
}

async function containers(): Promise<EmbeddedInfra | null> {
  if (process.env['FM_TEST_INFRA'] === 'embedded') return null;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    log('[test] no container runtime answers: using the embedded Kafka and FerretDB');
    return null;
  }
  log('[test] starting Kafka and MongoDB containers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const [kafka, mongo] = await Promise.all([
    new KafkaContainer('apache/kafka:3.9.1').withKraft().start(),
    new MongoDBContainer('mongo:7').start(),
  ]);
  return {
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    mongoUrl: `${mongo.getConnectionString()}/?directConnection=true`,
    stop: async () => {
      await Promise.all([kafka.stop(), mongo.stop()]);
    },
  };
}

async function embeddedForTests(runId: string): Promise<EmbeddedInfra> {
  const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return embedded().startEmbedded({
    kafkaPort: port('TEST_KAFKA_PORT', 19092),
    controllerPort: port('TEST_KAFKA_CONTROLLER_PORT', 19093),
    mongoPort: port('TEST_MONGO_PORT', 27117),
    dataDir: path.join(REPO_ROOT, '.cache', 'data', `test-${runId}`),
    fresh: true,
    log,
  });
}
