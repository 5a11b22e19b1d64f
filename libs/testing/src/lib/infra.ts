import { createRequire } from 'node:module';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export interface EmbeddedInfra {
  kafkaBrokers: string;
  mongoUrl: string;
  stop(): Promise<void>;
}

interface EmbeddedModule {
  startEmbedded(options: {
    kafkaPort?: number;
    controllerPort?: number;
    mongoPort?: number;
    dataDir?: string;
    fresh?: boolean;
    log?: (line: string) => void;
  }): Promise<EmbeddedInfra>;
}

/** The project's own embedded Kafka + FerretDB (tools/infra/embedded.mjs), the default on machines without Docker. */
export function embedded(): EmbeddedModule {
  // An ES module required from CommonJS: supported by the Node 24 the project runs on.
  return createRequire(__filename)(path.join(REPO_ROOT, 'tools/infra/embedded.mjs')) as EmbeddedModule;
}

/** Values every test process reads: which infrastructure, and this run's prefix for topics and databases. */
export interface RunEnv {
  KAFKA_BROKERS: string;
  MONGO_URL: string;
  KAFKA_TOPIC_PREFIX: string;
  MONGO_DB_PREFIX: string;
  FM_RUN_ID: string;
}

/** A variable the global setup provides; a clear failure when a test runs without it. */
export function runEnv(name: keyof RunEnv): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set: run integration tests through jest.int.config.js`);
  return value;
}

/**
 * Every database a test run may create (suffixes of `<prefix>firstmile_`), so teardown can drop
 * them by name on user-given infrastructure. A test that opens another one adds it here.
 */
export const RUN_DATABASES = ['harvest', 'grading', 'warehouse', 'orders', 'insights', 'outbox_test', 'write_lock_test'] as const;

/** End-to-end stacks; each runs under `<run prefix><name>.` topics and `<run prefix><name>_` databases. */
export const E2E_STACKS = ['slice', 'traces', 'hostile', 'poison', 'chaos', 'console', 'replicas', 'contract', 'quiet', 'season'] as const;
export type E2EStack = (typeof E2E_STACKS)[number];
