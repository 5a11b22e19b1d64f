import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CompressionTypes, type IHeaders, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { toHeaders } from '@firstmile/contracts';
import { counter, kafkaAttributes, recordFailure, startProducerSpan } from '@firstmile/telemetry';
import { KAFKA } from './messaging.options';
import type { OutboundEvent } from './outbound-event';
import { TopicAdmin } from './topic-admin';

/** Sends of the records a send's acknowledgement left out before `publish` fails (the outbox keeps them). */
const MAX_SEND_ROUNDS = 5;

const published = () =>
  counter('firstmile_events_published_total', 'Events published to Kafka (outbox relay), by type and logical topic.', ['type', 'topic'] as const);

/**
 * The only writer to Kafka. Idempotent producer with acks=all: a retried send never duplicates
 * a record within a partition, and a send resolves only once every in-sync replica has it.
 */
@Injectable()
export class EventPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly producer: Producer;
  private connecting?: Promise<void>;
  /** The partition kafkajs' partitioner gave each message of a send last (see `sendAll`). */
  private readonly partitionOf = new WeakMap<Message, number>();

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    private readonly topics: TopicAdmin,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // kafkajs' own partitioner, noting where each message goes: the acknowledgement must cover it.
      createPartitioner: () => {
        const partitioner = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = partitioner(args);
          this.partitionOf.set(args.message, partition);
          return partition;
        };
      },
      // An idempotent producer must not give up on a send it may have half-made: the relay and the
      // consumer simply wait for the broker to come back.
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
    });
  }

  private connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /** Publishes events (as the outbox relay hands them over), grouped into one request per call. */
  async publish(events: OutboundEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.connect();
    const logical = [...new Set(events.map((e) => e.topic))];
    await this.topics.ensure(logical);
    const byTopic = new Map<string, Message[]>();
    // One PRODUCER span per event, child of the context stored with it: the batch mixes traces.
    const spans = events.map((e) => {
      const topic = this.topics.physical(e.topic);
      const { span, headers } = startProducerSpan(
        { traceparent: e.traceparent, tracestate: e.tracestate },
        kafkaAttributes({ topic: e.topic, operation: 'send', eventType: e.type, eventId: e.id, subject: e.subject, key: e.key }),
      );
      const messages = byTopic.get(topic) ?? [];
      // The record carries the producer span's context, so the consumer's span is its child.
      messages.push({ key: e.key, value: JSON.stringify(e.data), headers: toHeaders({ ...e, ...headers }), timestamp: String(Date.parse(e.time)) });
      byTopic.set(topic, messages);
      return span;
    });
    try {
      await this.sendAll([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    } catch (err) {
      spans.forEach((s) => recordFailure(s, err));
      throw err;
    } finally {
      spans.forEach((s) => s.end());
    }
    for (const e of events) published().inc({ type: e.type, topic: e.topic });
  }

  /**
   * One send of messages to several partitions, resolved only when every partition acknowledged its
   * messages. kafkajs (2.2.4) keeps the answers of the brokers that succeeded across its retries: when
   * a partition's leader fails with NOT_LEADER and the partition moves to a broker that already
   * answered for its own partitions, the retry sends nothing there and `sendBatch` resolves without
   * those messages (kafkajs issue 1303, pull request 1798). The 3-broker chaos run lost 21
   * `stock.reserved` events that way when a leader was stopped. The answer lists every partition
   * written; the messages of a partition missing from it are sent again (the producer is idempotent,
   * and every consumer too).
   */
  private async sendAll(topicMessages: Array<{ topic: string; messages: Message[] }>): Promise<void> {
    let pending = topicMessages;
    for (let round = 1; ; round++) {
      const answers = await this.producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: pending });
      const written = new Set(answers.filter((a) => a.errorCode === 0).map((a) => `${a.topicName}/${a.partition}`));
      const missing = pending
        .map(({ topic, messages }) => ({ topic, messages: messages.filter((m) => !written.has(`${topic}/${this.partitionOf.get(m)}`)) }))
        .filter(({ messages }) => messages.length > 0);
      if (missing.length === 0) return;
      const where = missing.map(({ topic, messages }) => `${topic} [${[...new Set(messages.map((m) => this.partitionOf.get(m)))].join(',')}]`).join(', ');
      const count = missing.reduce((n, { messages }) => n + messages.length, 0);
      if (round >= MAX_SEND_ROUNDS) throw new Error(`the broker acknowledged a send without ${count} of its records (${where}), ${round} times`);
      this.logger.warn(`the broker acknowledged a send without ${count} of its records (${where}): sending them again`);
      pending = missing;
    }
  }

  /** Forwards a record as it is (retry and dead-letter topics), with extra headers. */
  async forward(physicalTopic: string, record: { key: Buffer | null; value: Buffer | null; headers: IHeaders }): Promise<void> {
    await this.connect();
    await this.producer.send({ topic: physicalTopic, acks: -1, messages: [record] });
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.connecting) return;
    await this.producer.disconnect().catch((err: unknown) => this.logger.warn(`producer disconnect: ${String(err)}`));
  }
}
