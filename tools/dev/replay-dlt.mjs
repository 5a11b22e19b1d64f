#!/usr/bin/env node
// Puts the records of a dead-letter topic back on the topic they came from, after the cause is fixed.
//   node tools/dev/replay-dlt.mjs <topic>.dlt [--apply] [filters] [--again] [--brokers HOST:PORT] [--prefix P]
// Without --apply it only lists what it would replay (a dry run). See docs/runbook.md, "Dead-letter topics".
//
// - Each record goes back to `<topic>` with its key, value and CloudEvents headers (so its `ce_id`:
//   idempotent consumers ignore what they had applied), addressed to the consumer group that parked
//   it (`x-consumer-group`): the other services that read the topic handled it the first time and skip it.
// - What was replayed is written to `<topic>.dlt.replayed` (one record per dead letter, keyed by its
//   partition/offset). A later run skips those (`--again` replays them anyway), so running the
//   command twice replays nothing twice.
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const USAGE = `usage: node tools/dev/replay-dlt.mjs <topic>.dlt [--apply] [--again]
  [--type CE_TYPE] [--group SERVICE] [--kind handler|contract|malformed] [--id CE_ID]...
  [--partition N] [--offset N]... [--brokers HOST:PORT] [--prefix P]`;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      apply: { type: 'boolean', default: false },
      again: { type: 'boolean', default: false },
      type: { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      kind: { type: 'string', multiple: true },
      id: { type: 'string', multiple: true },
      partition: { type: 'string' },
      offset: { type: 'string', multiple: true },
      brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
      prefix: { type: 'string', default: process.env.KAFKA_TOPIC_PREFIX ?? '' },
      help: { type: 'boolean', default: false },
    },
  });
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const [dlt] = positionals;
if (values.help || !dlt?.endsWith('.dlt') || positionals.length > 1) {
  console.error(USAGE);
  process.exit(values.help ? 0 : 2);
}
if ((values.offset ?? []).some((o) => !/^\d+$/.test(o)) || (values.partition !== undefined && !/^\d+$/.test(values.partition))) {
  console.error(`--partition and --offset take numbers\n${USAGE}`);
  process.exit(2);
}

const prefix = values.prefix;
const source = `${prefix}${dlt}`;
const target = `${prefix}${dlt.slice(0, -'.dlt'.length)}`;
const ledger = `${source}.replayed`;
const text = (v) => (v === undefined || v === null ? undefined : (Array.isArray(v) ? v[0] : v).toString());

/** Does a dead letter pass the filters? Every filter given must match (several values of one filter: any). */
const groups = (values.group ?? []).flatMap((g) => [g, `${prefix}${g}`]);
function selected(partition, message) {
  const h = message.headers ?? {};
  if (values.type && !values.type.includes(text(h.ce_type))) return false;
  if (values.group && !groups.includes(text(h['x-consumer-group']))) return false;
  if (values.kind && !values.kind.includes(text(h['x-error-kind']))) return false;
  if (values.id && !values.id.includes(text(h.ce_id))) return false;
  if (values.partition !== undefined && Number(values.partition) !== partition) return false;
  if (values.offset && !values.offset.includes(message.offset)) return false;
  return true;
}

const kafka = new Kafka({ clientId: 'replay-dlt', brokers: values.brokers.split(','), logLevel: logLevel.NOTHING });

/** Reads a topic from the beginning up to its end as of now; `each(partition, message)` per record. */
async function readAll(admin, topic, each) {
  const existing = new Set(await admin.listTopics());
  if (!existing.has(topic)) return false;
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  if (remaining.size === 0) return true;
  // A throw-away group under the prefix (test runs delete theirs); nothing is committed.
  const consumer = kafka.consumer({ groupId: `${prefix}replay-dlt-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = remaining.get(partition);
            if (end === undefined || BigInt(message.offset) >= end) return;
            await each(partition, message);
            if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return true;
}

const admin = kafka.admin();
await admin.connect();
const done = new Map(); // `${partition}/${offset}` → when it was replayed
let letters = [];
try {
  await readAll(admin, ledger, (_, m) => void done.set(text(m.key), m.value ? JSON.parse(m.value.toString()).at : '?'));
  const found = await readAll(admin, source, (partition, message) => void letters.push({ partition, message }));
  if (!found) {
    console.error(`${source} does not exist (is the prefix right? --prefix ${prefix || '""'})`);
    process.exit(1);
  }
  if (values.apply && !(await admin.listTopics()).includes(ledger)) {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: ledger, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  }
} finally {
  await admin.disconnect();
}

letters = letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
const counts = { replayed: 0, already: 0, leftOut: 0 };
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
if (values.apply) await producer.connect();
try {
  for (const { partition, message } of letters) {
    const h = message.headers ?? {};
    const at = `${partition}/${message.offset}`;
    const what = `${at} ${text(h.ce_type) ?? '(no type)'} ${text(h.ce_id) ?? '(no id)'} [${text(h['x-consumer-group']) ?? '?'}, ${text(h['x-error-kind']) ?? '?'}]`;
    if (!selected(partition, message)) {
      counts.leftOut++;
      continue;
    }
    if (done.has(at) && !values.again) {
      console.log(`already replayed ${what} at ${done.get(at)} (--again to replay it again)`);
      counts.already++;
      continue;
    }
    console.log(`${values.apply ? 'replaying' : 'would replay'} ${what} → ${target}   (${(text(h['x-error']) ?? '').slice(0, 160)})`);
    counts.replayed++;
    if (!values.apply) continue;
    // The CloudEvents headers and trace context as they were; the delivery headers of the failed
    // attempts go, except the group the record is addressed to.
    const headers = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith('x-')));
    const group = text(h['x-consumer-group']);
    if (group) headers['x-consumer-group'] = group;
    headers['x-replayed-from'] = `${source}/${at}`;
    await producer.send({ topic: target, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
    const entry = { ceId: text(h.ce_id) ?? null, type: text(h.ce_type) ?? null, group: group ?? null, to: target, at: new Date().toISOString() };
    await producer.send({ topic: ledger, acks: -1, messages: [{ key: at, value: JSON.stringify(entry) }] });
  }
} finally {
  if (values.apply) await producer.disconnect();
}
const verb = values.apply ? 'replayed' : 'would be replayed (dry run; add --apply)';
console.log(`${source}: ${letters.length} dead letter(s); ${counts.replayed} ${verb}, ${counts.already} already replayed, ${counts.leftOut} left out by the filters`);
