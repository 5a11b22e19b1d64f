import type { ICustomPartitioner, Kafka, Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import { EventPublisher } from './event-publisher';
import type { OutboundEvent } from './outbound-event';
import type { TopicAdmin } from './topic-admin';

const PARTITIONS = 6;
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

/**
 * A kafkajs producer as far as the publisher uses it: messages go through the partitioner the
 * publisher gave it, and `answer` decides which partitions a send acknowledges (kafkajs 2.2.4, after
 * a leader moved to a broker that had already answered, acknowledges the send without them).
 */
class FakeProducer {
  readonly sends: Array<Array<{ topic: string; partition: number; key: string }>> = [];
  private readonly partitioner: ReturnType<ICustomPartitioner>;
  answer: (round: number, partitions: Array<{ topic: string; partition: number }>) => Array<{ topic: string; partition: number }> = (_, p) => p;

  constructor(createPartitioner: ICustomPartitioner) {
    this.partitioner = createPartitioner();
  }

  connect = async () => undefined;

  async sendBatch({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    const sent = topicMessages.flatMap(({ topic, messages }) =>
      messages.map((message: Message) => ({ topic, partition: this.partitioner({ topic, partitionMetadata, message }), key: String(message.key) })),
    );
    this.sends.push(sent);
    const partitions = [...new Map(sent.map((s) => [`${s.topic}/${s.partition}`, { topic: s.topic, partition: s.partition }])).values()];
    return this.answer(this.sends.length, partitions).map(({ topic, partition }) => ({ topicName: topic, partition, errorCode: 0, baseOffset: '0' }));
  }
}

const event = (i: number): OutboundEvent => ({
  id: `e${i}`,
  type: 'firstmile.warehouse.stock.reserved.v1',
  topic: 'warehouse.stock',
  key: `SUB-${i}`,
  source: 'warehouse',
  time: new Date(0).toISOString(),
  data: { i },
});

describe('EventPublisher: every record of a send acknowledged', () => {
  let producer: FakeProducer;
  let publisher: EventPublisher;

  beforeEach(() => {
    const kafka = {
      producer: ({ createPartitioner }: { createPartitioner: ICustomPartitioner }) => (producer = new FakeProducer(createPartitioner)),
    } as unknown as Kafka;
    const topics = { ensure: async () => undefined, physical: (t: string) => `p.${t}` } as unknown as TopicAdmin;
    publisher = new EventPublisher(kafka, topics);
  });

  const events = Array.from({ length: 12 }, (_, i) => event(i));

  it('sends again the records of a partition the acknowledgement left out', async () => {
    // The first answer leaves out one partition, as kafkajs does when that partition's leader moved mid-send.
    let dropped: { topic: string; partition: number } | undefined;
    producer.answer = (round, partitions) => {
      if (round > 1) return partitions;
      dropped = partitions[partitions.length - 1];
      return partitions.slice(0, -1);
    };
    await publisher.publish(events);
    expect(producer.sends).toHaveLength(2);
    const first = producer.sends[0];
    expect(first).toHaveLength(events.length);
    expect(producer.sends[1].length).toBeGreaterThan(0);
    // The second send carries exactly the records of the partition left out, to the same partition.
    expect(producer.sends[1]).toEqual(first.filter((s) => s.topic === dropped?.topic && s.partition === dropped?.partition));
  });

  it('sends once when every partition is acknowledged', async () => {
    await publisher.publish(events);
    expect(producer.sends).toHaveLength(1);
    // The records spread over several partitions: the check above has something to check.
    expect(new Set(producer.sends[0].map((s) => s.partition)).size).toBeGreaterThan(1);
  });

  it('fails, so the outbox keeps the events, when the records are never acknowledged', async () => {
    producer.answer = (_, partitions) => partitions.slice(1);
    await expect(publisher.publish(events)).rejects.toThrow(/acknowledged a send without \d+ of its records .*5 times/);
    expect(producer.sends).toHaveLength(5);
  });
});
