import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { deadLetterTopic, retryTopic } from '@firstmile/contracts';
import { KAFKA, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';

/** Creates the topics a service uses (with their retry and dead-letter topics) before it uses them. */
@Injectable()
export class TopicAdmin {
  private readonly logger = new Logger(TopicAdmin.name);
  private readonly known = new Set<string>();

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  physical(topic: string): string {
    return `${this.options.topicPrefix}${topic}`;
  }

  logical(physicalTopic: string): string {
    const p = this.options.topicPrefix;
    return p && physicalTopic.startsWith(p) ? physicalTopic.slice(p.length) : physicalTopic;
  }

  /** The logical topic plus its retry and dead-letter topics. */
  family(topic: string): string[] {
    return [topic, ...this.options.retryDelaysMs.map((_, i) => retryTopic(topic, i + 1)), deadLetterTopic(topic)];
  }

  async ensure(logicalTopics: string[]): Promise<void> {
    const wanted = [...new Set(logicalTopics.flatMap((t) => this.family(t)).map((t) => this.physical(t)))].filter(
      (t) => !this.known.has(t),
    );
    if (wanted.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: this.options.partitions })),
        });
        this.logger.log(`created topics ${missing.join(', ')}`);
      }
      wanted.forEach((t) => this.known.add(t));
    } finally {
      await admin.disconnect();
    }
  }
}
