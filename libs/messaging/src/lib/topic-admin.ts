import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
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
          // Not kafkajs's waitForLeaders: its poll throws UNKNOWN_TOPIC_OR_PARTITION as an unhandled
          // rejection (a crash) when another service is creating the same topics; untilServed waits instead.
          waitForLeaders: false,
          topics: missing.map((topic) => ({ topic, numPartitions: this.options.partitions })),
        });
        this.logger.log(`created topics ${missing.join(', ')}`);
      }
      await this.untilServed(admin, wanted);
      wanted.forEach((t) => this.known.add(t));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until the broker serves every partition of the topics. The services of a fresh system
   * start together and create the same topics at the same moment; the ones that lose the race
   * (or find them half-created) would otherwise subscribe before the metadata exists and crash on
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  private async untilServed(admin: Admin, topics: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (err) {
        if (attempt >= 30) throw err;
      }
      if (attempt >= 30) throw new Error(`topics not served after ${attempt} attempts: ${topics.join(', ')}`);
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
    }
  }
}
