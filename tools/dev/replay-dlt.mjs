#!/usr/bin/env node
// Puts the records of a dead-letter topic back on the topic they came from, after the cause is fixed.
//   node tools/dev/replay-dlt.mjs <topic>.dlt [--apply] [--brokers 127.0.0.1:9092] [--prefix P]
// Without --apply it only lists what it would replay. Records keep their CloudEvents id, so one that
// was in fact applied before is ignored by the idempotent consumer.
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    apply: { type: 'boolean', default: false },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    prefix: { type: 'string', default: process.env.KAFKA_TOPIC_PREFIX ?? '' },
  },
});
const [dlt] = positionals;
if (!dlt?.endsWith('.dlt')) {
  console.error('usage: node tools/dev/replay-dlt.mjs <topic>.dlt [--apply] [--brokers HOST:PORT] [--prefix P]');
  process.exit(2);
}

const kafka = new Kafka({ clientId: 'replay-dlt', brokers: values.brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const source = `${values.prefix}${dlt}`;
const ends = await admin.fetchTopicOffsets(source);
await admin.disconnect();
const remaining = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
if (remaining.size === 0) {
  console.log(`${source} is empty`);
  process.exit(0);
}

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
if (values.apply) await producer.connect();
const consumer = kafka.consumer({ groupId: `replay-dlt-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topics: [source], fromBeginning: true });
let count = 0;
await new Promise((resolve, reject) => {
  consumer
    .run({
      eachMessage: async ({ partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([k]) => !k.startsWith('x-')));
        const target = `${values.prefix}${String(message.headers?.['x-original-topic'] ?? dlt.slice(0, -'.dlt'.length))}`;
        const error = String(message.headers?.['x-error'] ?? '');
        console.log(`${values.apply ? 'replaying' : 'would replay'} ${String(headers.ce_type ?? '?')} ${String(headers.ce_id ?? '?')} → ${target}   (${error.slice(0, 120)})`);
        if (values.apply) await producer.send({ topic: target, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
        count++;
        if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    })
    .catch(reject);
});
await consumer.disconnect();
if (values.apply) await producer.disconnect();
console.log(`${count} record(s) ${values.apply ? 'replayed' : 'listed (dry run; add --apply)'}`);
