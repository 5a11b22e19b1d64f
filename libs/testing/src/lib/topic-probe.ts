import { randomUUID } from 'node:crypto';
import { type Consumer, type IHeaders, Kafka, logLevel, type Producer } from 'kafkajs';
import { toHeaders } from '@firstmile/contracts';
import type { OutboundEvent } from '@firstmile/messaging';
import { runEnv } from './infra';
import { waitFor } from './wait';

export interface ProbedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  value: string | null;
  json: unknown;
}

const text = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));

/** Reads topics of this run from the beginning with a throw-away group, so a test sees what was published. */
export class TopicProbe {
  readonly records: ProbedRecord[] = [];
  private consumer?: Consumer;

  static kafka(): Kafka {
    return new Kafka({ clientId: 'test-probe', brokers: runEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  }

  static physical(topic: string): string {
    return `${process.env['KAFKA_TOPIC_PREFIX'] ?? ''}${topic}`;
  }

  /** A connected producer that never creates a topic: a test publishes only to what the services declared. */
  static async producer(): Promise<Producer> {
    const p = TopicProbe.kafka().producer({ allowAutoTopicCreation: false });
    await p.connect();
    return p;
  }

  /**
   * Publishes events as their producer would: the catalog's topic and key, the CloudEvents headers,
   * a JSON value, acknowledged by every in-sync replica. `key` overrides the catalog's key (e.g. to
   * spread one sub-lot's commands over partitions).
   */
  static async publish(producer: Producer, events: OutboundEvent[], key?: (e: OutboundEvent) => string): Promise<void> {
    const byTopic = new Map<string, OutboundEvent[]>();
    for (const e of events) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, es]) => ({
        topic: TopicProbe.physical(topic),
        messages: es.map((e) => ({ key: key ? key(e) : e.key, value: JSON.stringify(e.data), headers: toHeaders(e) })),
      })),
    });
  }

  async start(topics: string[]): Promise<this> {
    const kafka = TopicProbe.kafka();
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.map(TopicProbe.physical).filter((t) => !existing.has(t));
    if (missing.length) await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 6 })) });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: `probe-${randomUUID()}`, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: topics.map(TopicProbe.physical), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString('utf8') ?? null;
        let json: unknown;
        try {
          json = value === null ? null : JSON.parse(value);
        } catch {
          json = undefined;
        }
        this.records.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, headers: text(message.headers), value, json });
      },
    });
    await joined;
    return this;
  }

  /** Waits for `count` records matching the predicate and returns them. */
  async expect(predicate: (r: ProbedRecord) => boolean, { count = 1, timeoutMs = 30_000, what = 'records' } = {}): Promise<ProbedRecord[]> {
    return waitFor(
      () => {
        const found = this.records.filter(predicate);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs, what },
    );
  }

  ofType(type: string): ProbedRecord[] {
    return this.records.filter((r) => r.headers['ce_type'] === type);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
