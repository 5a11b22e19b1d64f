import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CompressionTypes, type IHeaders, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { toHeaders } from '@firstmile/contracts';
import { counter, kafkaAttributes, recordFailure, startProducerSpan } from '@firstmile/telemetry';
import { KAFKA } from './messaging.options';
import type { OutboundEvent } from './outbound-event';
import { TopicAdmin } from './topic-admin';

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

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    private readonly topics: TopicAdmin,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
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
      await this.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      spans.forEach((s) => recordFailure(s, err));
      throw err;
    } finally {
      spans.forEach((s) => s.end());
    }
    for (const e of events) published().inc({ type: e.type, topic: e.topic });
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
