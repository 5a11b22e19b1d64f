import type { Kafka, SASLOptions } from 'kafkajs';

export interface MessagingOptions {
  /** The service name: CloudEvents `ce_source` and the consumer group. */
  service: string;
  brokers: string[];
  topicPrefix: string;
  partitions: number;
  retryDelaysMs: number[];
  concurrency: number;
  /** Bytes a fetch of a main topic waits for, up to 250 ms (KAFKA_FETCH_MIN_BYTES). */
  fetchMinBytes: number;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  sasl?: SASLOptions;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const KAFKA = Symbol('KAFKA');

/**
 * A client of one broker of the cluster (its advertised `host:port`): every connection it opens goes
 * to that broker, so what it is answered is what that broker knows (TopicAdmin asks each in turn).
 */
export type KafkaOfBroker = (address: string) => Kafka;
export const KAFKA_OF_BROKER = Symbol('KAFKA_OF_BROKER');
