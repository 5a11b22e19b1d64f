import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Admin, ITopicMetadata, Kafka } from 'kafkajs';
import { deadLetterTopic, retryTopic } from '@firstmile/contracts';
import { KAFKA, KAFKA_OF_BROKER, type KafkaOfBroker, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';

/** Looks at the cluster this many times (about 25 s in all) before a topic that is not served is an error. */
const SERVED_ATTEMPTS = 30;

/** Creates the topics a service uses (with their retry and dead-letter topics) before it uses them. */
@Injectable()
export class TopicAdmin {
  private readonly logger = new Logger(TopicAdmin.name);
  private readonly known = new Set<string>();

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    @Inject(KAFKA_OF_BROKER) private readonly kafkaOf: KafkaOfBroker,
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
   * Waits until every broker of the cluster serves every partition of the topics with a leader. The
   * services of a fresh system start together and create the same topics at the same moment; the
   * ones that lose the race (or find them half-created) would otherwise subscribe before the
   * metadata exists and crash on UNKNOWN_TOPIC_OR_PARTITION. In a cluster, a broker learns of a new
   * topic from the metadata log a moment after the controller: one broker's answer says nothing of
   * the next one, and kafkajs asks any of them (the 3-broker chaos run crashed order-routing at start
   * that way). So each broker is asked, by a client of its own (`KAFKA_OF_BROKER`).
   */
  private async untilServed(admin: Admin, topics: string[]): Promise<void> {
    const ofBroker = new Map<string, Promise<Admin>>();
    const ask = async (address: string): Promise<ITopicMetadata[]> => {
      let one = ofBroker.get(address);
      if (!one) {
        const a = this.kafkaOf(address).admin();
        one = a.connect().then(() => a);
        ofBroker.set(address, one);
      }
      try {
        return (await (await one).fetchTopicMetadata({ topics })).topics;
      } catch (err) {
        // A broker restarting or a dead connection: a new client next time.
        ofBroker.delete(address);
        void one.then((a) => a.disconnect()).catch(() => undefined);
        throw err;
      }
    };
    try {
      let missing = 'no answer yet';
      for (let attempt = 1; ; attempt++) {
        try {
          const { brokers } = await admin.describeCluster();
          const answers = await Promise.all(
            brokers.map(async ({ host, port }) => {
              const address = `${host}:${port}`;
              return ask(address).then(
                (meta) => ({ address, partitions: servedPartitions(meta, topics) }),
                (err: unknown) => ({ address, partitions: undefined, error: err instanceof Error ? err.message : String(err) }),
              );
            }),
          );
          // Every broker has every topic with a leader for each partition, and all count the same partitions.
          const reference = answers.find((a) => a.partitions)?.partitions;
          const behind = answers.filter(
            ({ partitions }) => !partitions || !reference || topics.some((t) => partitions.get(t) !== reference.get(t)),
          );
          if (answers.length > 0 && behind.length === 0) return;
          missing = behind.map((b) => `${b.address}${'error' in b ? ` (${b.error})` : ''}`).join(', ') || 'no brokers';
        } catch (err) {
          missing = err instanceof Error ? err.message : String(err);
        }
        if (attempt >= SERVED_ATTEMPTS) {
          throw new Error(`topics not served by every broker after ${attempt} attempts (not yet: ${missing}): ${topics.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
      }
    } finally {
      await Promise.all([...ofBroker.values()].map((one) => one.then((a) => a.disconnect()).catch(() => undefined)));
    }
  }
}

/**
 * Topic → partition count, from one broker's metadata, when it has every topic with a leader for
 * every partition; undefined when it lacks one.
 */
function servedPartitions(meta: ITopicMetadata[], topics: string[]): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const t of topics) {
    const m = meta.find((x) => x.name === t);
    if (!m || m.partitions.length === 0 || m.partitions.some((p) => p.leader < 0)) return undefined;
    out.set(t, m.partitions.length);
  }
  return out;
}
