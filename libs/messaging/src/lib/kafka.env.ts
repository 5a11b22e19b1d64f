import { IsIn, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { EnvInt } from '@firstmile/config';

/** Kafka settings every service shares. */
export class KafkaEnv {
  /** Comma-separated bootstrap brokers. */
  @IsString() @Matches(/^[^,\s]+(,[^,\s]+)*$/) KAFKA_BROKERS = '127.0.0.1:9092';
  /** Prepended to every topic and consumer group (tests use one per run). */
  @IsString() @Matches(/^[A-Za-z0-9._-]*$/) KAFKA_TOPIC_PREFIX = '';
  /** Partitions for topics this service creates: the ceiling on consumer replicas. */
  @EnvInt({ min: 1, max: 256 }) KAFKA_PARTITIONS = 6;
  /** Delays before each retry of a failing handler; their count is the number of retry topics. */
  @Matches(/^\d+(,\d+)*$/) KAFKA_RETRY_DELAYS_MS = '1000,10000,60000';
  /** Partitions handled at once by one consumer. */
  @EnvInt({ min: 1, max: 64 }) KAFKA_CONCURRENCY = 6;
  /**
   * Bytes the broker gathers for a consumer's fetch before it answers, waiting 250 ms at most
   * (Kafka's `fetch.min.bytes`). 1: every record is handed over as soon as it is there, which the
   * services on an order's way need. Grading and insights, whose events feed what people read
   * later, default to `READ_MODEL_FETCH_MIN_BYTES`.
   */
  @EnvInt({ min: 1, max: 52_428_800 }) KAFKA_FETCH_MIN_BYTES = 1;
  /**
   * How long the broker waits for a silent consumer (a crashed process) before it is out of its
   * group. A rebalance waits for every member: with kafkajs' 30 s, a `kill -9` stalled the
   * service's consumption for up to a minute (the chaos suite found it). Heartbeats go every second.
   */
  @EnvInt({ min: 6000, max: 300_000 }) KAFKA_SESSION_TIMEOUT_MS = 10_000;
  /** How long a rebalance waits for the members to rejoin (kafkajs' default is 60 s, see above). */
  @EnvInt({ min: 6000, max: 300_000 }) KAFKA_REBALANCE_TIMEOUT_MS = 15_000;
  /** SASL/SCRAM login (docker-compose gives each service a user of its own); unset: no authentication. */
  @IsOptional() @IsIn(['scram-sha-256', 'scram-sha-512']) KAFKA_SASL_MECHANISM?: 'scram-sha-256' | 'scram-sha-512';
  @ValidateIf((e: KafkaEnv) => e.KAFKA_SASL_MECHANISM !== undefined) @IsString() @Matches(/^\S+$/) KAFKA_SASL_USERNAME?: string;
  @ValidateIf((e: KafkaEnv) => e.KAFKA_SASL_MECHANISM !== undefined) @IsString() @Matches(/^\S{8,}$/) KAFKA_SASL_PASSWORD?: string;
}

/**
 * The fetch size of a service that keeps read models: under load it handles and writes up to a
 * quarter of a second of events at once, not whatever the producer's last send held. Logging lots
 * for 15 s, grading's store commands fell from ~630 to ~115 and insights' from ~2,300 to ~430, and
 * the lots logged rose 8–12 % (docs/benchmarks.md, step 19). At rest a record waits up to 250 ms
 * more before they see it.
 */
export const READ_MODEL_FETCH_MIN_BYTES = 262_144;
