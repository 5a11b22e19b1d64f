import * as net from 'node:net';
import type { Kafka } from 'kafkajs';
import { pinnedTo } from './messaging.module';
import type { KafkaOfBroker, MessagingOptions } from './messaging.options';
import { TopicAdmin } from './topic-admin';

/**
 * A KRaft cluster as its clients see it: the broker that takes a CreateTopics request knows the
 * topics at once, the others learn them from the metadata log a few requests later, and a partition
 * may be without a leader for a while. kafkajs' own admin asks whichever broker it likes: here, the
 * one that created them (the answer that let order-routing subscribe too early in the chaos run).
 */
class FakeCluster {
  readonly nodes = [1, 2, 3].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 39000 + nodeId }));
  /** Per node: topic → leader of each partition (-1: none yet). */
  readonly view = new Map<number, Map<string, number[]>>(this.nodes.map((n) => [n.nodeId, new Map()]));
  /** Metadata requests a node still answers from before the topics were created. */
  readonly delay = new Map<number, number>([
    [1, 0],
    [2, 3],
    [3, 6],
  ]);
  /** Requests before a node elects leaders for the partitions it knows. */
  leaderlessFor = 0;
  created: string[] = [];
  connectedAdmins = 0;
  asked: string[] = [];

  constructor(readonly partitions = 3) {}

  /** What `node` knows after this request (it learns the topics once its delay has passed). */
  private tick(node: number): Map<string, number[]> {
    const v = this.view.get(node) ?? new Map<string, number[]>();
    const left = this.delay.get(node) ?? 0;
    if (left > 0) {
      this.delay.set(node, left - 1);
      return v;
    }
    for (const t of this.created) if (!v.has(t)) v.set(t, Array.from({ length: this.partitions }, () => -1));
    if (this.leaderlessFor-- <= 0) for (const [t, leaders] of v) v.set(t, leaders.map(() => node));
    return v;
  }

  metadataOf(node: number, topics: string[]) {
    const v = this.tick(node);
    const unknown = topics.filter((t) => !v.has(t));
    // As kafkajs' metadata parse does: a topic error is thrown.
    if (unknown.length > 0) throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    return {
      topics: topics.map((name) => ({
        name,
        partitions: (v.get(name) ?? []).map((leader, partitionId) => ({ partitionId, leader, partitionErrorCode: 0, replicas: [1, 2, 3], isr: [1, 2, 3] })),
      })),
    };
  }

  /** Does every node serve these topics, with a leader for every partition, right now (without a request)? */
  servedEverywhere(topics: string[]): boolean {
    return [...this.view.values()].every((v) => topics.every((t) => v.get(t)?.length === this.partitions && v.get(t)?.every((l) => l >= 0)));
  }

  /** The service's client: its admin's metadata requests are answered by node 1. */
  kafka(): Kafka {
    return {
      admin: () => ({
        connect: async () => void this.connectedAdmins++,
        disconnect: async () => void this.connectedAdmins--,
        listTopics: async () => [...this.created],
        createTopics: async ({ topics }: { topics: Array<{ topic: string }> }) => {
          this.created.push(...topics.map((t) => t.topic));
          return true;
        },
        describeCluster: async () => ({ brokers: this.nodes, controller: 1, clusterId: 'fake' }),
        fetchTopicMetadata: async ({ topics }: { topics: string[] }) => this.metadataOf(1, topics),
      }),
    } as unknown as Kafka;
  }

  /** A client of one broker (KAFKA_OF_BROKER): asked, that broker answers. */
  kafkaOf: KafkaOfBroker = (address) => {
    const node = this.nodes.find((n) => `${n.host}:${n.port}` === address)?.nodeId;
    if (node === undefined) throw new Error(`no broker at ${address}`);
    return {
      admin: () => ({
        connect: async () => void this.connectedAdmins++,
        disconnect: async () => void this.connectedAdmins--,
        fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
          this.asked.push(address);
          return this.metadataOf(node, topics);
        },
      }),
    } as unknown as Kafka;
  };
}

const options = { service: 'order-routing', topicPrefix: 't.', partitions: 3, retryDelaysMs: [200, 500] } as MessagingOptions;
const family = ['t.orders', 't.orders.retry.1', 't.orders.retry.2', 't.orders.dlt'];

describe('TopicAdmin on a cluster', () => {
  it('calls new topics ready only once every broker serves them', async () => {
    const cluster = new FakeCluster();
    await new TopicAdmin(cluster.kafka(), options, cluster.kafkaOf).ensure(['orders']);
    expect(cluster.created.sort()).toEqual([...family].sort());
    expect(cluster.servedEverywhere(family)).toBe(true);
    // Each broker was asked itself, and every client it opened is closed again.
    expect(new Set(cluster.asked)).toEqual(new Set(['127.0.0.1:39001', '127.0.0.1:39002', '127.0.0.1:39003']));
    expect(cluster.connectedAdmins).toBe(0);
  });

  it('waits for a leader of every partition on every broker', async () => {
    const cluster = new FakeCluster();
    cluster.delay.set(2, 0).set(3, 0);
    cluster.leaderlessFor = 8;
    await new TopicAdmin(cluster.kafka(), options, cluster.kafkaOf).ensure(['orders']);
    expect(cluster.servedEverywhere(family)).toBe(true);
  });

  it('gives up, naming the broker that does not serve them, when one never learns of them', async () => {
    jest.useFakeTimers();
    try {
      const cluster = new FakeCluster();
      cluster.delay.set(3, Number.MAX_SAFE_INTEGER);
      const done = expect(new TopicAdmin(cluster.kafka(), options, cluster.kafkaOf).ensure(['orders'])).rejects.toThrow(
        /not served by every broker after 30 attempts \(not yet: 127\.0\.0\.1:39003 \(This server does not host this topic-partition\)\)/,
      );
      await jest.advanceTimersByTimeAsync(60_000);
      await done;
      expect(cluster.connectedAdmins).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('asks again about topics only until they are known', async () => {
    const cluster = new FakeCluster();
    const admin = new TopicAdmin(cluster.kafka(), options, cluster.kafkaOf);
    await admin.ensure(['orders']);
    const asked = cluster.asked.length;
    await admin.ensure(['orders']);
    expect(cluster.asked.length).toBe(asked);
  });
});

describe('pinnedTo: a client of one broker', () => {
  it('connects to that broker whichever node kafkajs means to reach', async () => {
    const listen = async () => {
      const accepted: net.Socket[] = [];
      const server = net.createServer((s) => accepted.push(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, accepted, port: (server.address() as net.AddressInfo).port };
    };
    const [pinned, other] = await Promise.all([listen(), listen()]);
    try {
      const socket = await new Promise<net.Socket>((resolve) => {
        const s = pinnedTo(`127.0.0.1:${pinned.port}`)({ host: '127.0.0.1', port: other.port, ssl: undefined as never, onConnect: () => resolve(s) });
      });
      expect(socket.remotePort).toBe(pinned.port);
      socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(pinned.accepted).toHaveLength(1);
      expect(other.accepted).toHaveLength(0);
    } finally {
      for (const l of [pinned, other]) {
        l.accepted.forEach((s) => s.destroy());
        await new Promise((r) => l.server.close(r));
      }
    }
  });

  it('refuses an address without a port', () => {
    expect(() => pinnedTo('kafka-0')).toThrow('not a host:port');
  });
});
