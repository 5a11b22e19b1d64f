import type { SASLOptions } from 'kafkajs';

export interface MessagingOptions {
  /** The service name: CloudEvents `ce_source` and the consumer group. */
  service: string;
  brokers: string[];
  topicPrefix: string;
  partitions: number;
  retryDelaysMs: number[];
  concurrency: number;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  sasl?: SASLOptions;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const KAFKA = Symbol('KAFKA');
