import { Kafka, logLevel } from 'kafkajs';
import mongoose from 'mongoose';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { databaseName } from '@firstmile/persistence';
import { E2E_STACKS, REPO_ROOT, RUN_DATABASES, runEnv } from './lib/infra';

/** Leaves nothing behind: the run's topics and databases on user-given infra, or the whole embedded stack. */
export default async function globalTeardown(): Promise<void> {
  const infra = globalThis.__FIRSTMILE_INFRA__;
  const runId = process.env['FM_RUN_ID'];
  if (!infra || !runId) return;
  if (infra.userGiven) {
    await dropRunData(runId);
  } else {
    await infra.stop();
    await fs.rm(path.join(REPO_ROOT, '.cache', 'data', `test-${runId}`), { recursive: true, force: true });
  }
}

async function dropRunData(runId: string): Promise<void> {
  const kafka = new Kafka({ brokers: runEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
    if (topics.length) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${runId}.`));
    // A group whose last member left a moment ago may still count as non-empty: best effort, said aloud.
    if (groups.length) {
      await admin.deleteGroups(groups).catch((err: Error) => process.stderr.write(`[test] consumer groups left: ${err.message}\n`));
    }
  } finally {
    await admin.disconnect();
  }
  // Dropped by name: FerretDB 1.24's listDatabases can hang for minutes on a busy store.
  const conn = await mongoose.createConnection(runEnv('MONGO_URL')).asPromise();
  try {
    for (const prefix of [`${runId}_`, ...E2E_STACKS.map((s) => `${runId}_${s}_`)]) {
      for (const name of RUN_DATABASES) await conn.useDb(databaseName(prefix, name)).dropDatabase();
    }
  } finally {
    await conn.close();
  }
}
