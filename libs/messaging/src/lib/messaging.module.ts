import * as net from 'node:net';
import * as tls from 'node:tls';
import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type ISocketFactory, Kafka, type KafkaConfig, type SASLOptions, type logCreator, logLevel } from 'kafkajs';
import { EventPublisher } from './event-publisher';
import { KafkaEnv } from './kafka.env';
import { KafkaEventServer } from './kafka-event.server';
import { KAFKA, KAFKA_OF_BROKER, type KafkaOfBroker, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { TopicAdmin } from './topic-admin';

/**
 * kafkajs logs through the service's logger, so they are JSON lines like everything else.
 *
 * Broker answers that every fresh start and broker restart produces while the broker comes up and
 * topics, leaders and coordinators settle: kafkajs retries them on its own (their `retriable` flag
 * in kafkajs' error table; a refused or timed-out connection is retried too), restarts a consumer
 * that gave up on one, or, for topics another service created first, goes on with them (a real
 * creation failure is thrown by TopicAdmin). They are not errors of ours: each kind is logged at
 * warn, once a minute at most, saying what is awaited — not as an error per retry, which taught
 * operators to ignore errors (issue 20.4).
 */
const SETTLING: ReadonlyArray<readonly [RegExp, string]> = [
  [/^This server does not host this topic-partition$/, 'waiting for the broker to serve a new topic (kafkajs retries)'],
  [
    /^There is no leader for this topic-partition as we are in the middle of a leadership election$/,
    'waiting for a partition leader to be elected (kafkajs retries)',
  ],
  [/^This server is not the leader for that topic-partition$/, 'waiting for the partition leader to be known (kafkajs retries)'],
  [/^The coordinator is loading and hence can't process requests for this group$/, 'waiting for the group coordinator to load (kafkajs retries)'],
  [/^The group coordinator is not available$/, 'waiting for the group coordinator (kafkajs retries)'],
  [/^Failed to find group coordinator$/, 'waiting for the group coordinator (the consumer is started again)'],
  [/^This is not the correct coordinator for this group$/, 'waiting for the group coordinator to be found (kafkajs retries)'],
  [/^Topic creation errors$/, 'another service created some of these topics first (they are used as they are)'],
  // A member joined or left (a replica started, stopped or died): the heartbeat or SyncGroup that
  // learns of it is answered this, and kafkajs rejoins; with REPLICAS > 1 every start does this.
  [/^The group is rebalancing, (so a rejoin is needed|re-joining)$/, 'the group is sharing its partitions out again (kafkajs rejoins)'],
  // The broker is starting, restarting or too busy to accept a connection yet: kafkajs connects again.
  [
    /^(Failed to connect to seed broker, trying another broker from the list: )?(Connection error: (connect |read )?(ECONNREFUSED|ECONNRESET)|Connection timeout|Closed connection)\b/,
    'waiting for the broker to accept connections (kafkajs connects again)',
  ],
];
const SETTLING_EVERY_MS = 60_000;
const CRASH = /^Crash: \w+: (.+)$/;

const settlingOf = (answer: string) => SETTLING.find(([pattern]) => pattern.test(answer))?.[1];

export const kafkaLogs: logCreator = () => {
  const logger = new Logger('kafkajs');
  const lastSaid = new Map<string, number>();
  /** Groups whose consumer last crashed on a settling answer: kafkajs' "Restarting the consumer" is expected. */
  const settlingCrash = new Set<string>();
  return ({ level, log: { message, ...extra } }) => {
    // A consumer that crashed on a settling answer (a group joined while its coordinator loads, the
    // broker gone) says so as "Crash: <name>: <answer>", and kafkajs or our server starts it again.
    const crash = CRASH.exec(message)?.[1];
    const answer = typeof extra['error'] === 'string' ? extra['error'] : (crash ?? message);
    const settling = level <= logLevel.WARN ? settlingOf(answer) : undefined;
    const group = typeof extra['groupId'] === 'string' ? extra['groupId'] : undefined;
    if (crash !== undefined && group !== undefined) {
      if (settling) settlingCrash.add(group);
      else settlingCrash.delete(group);
    }
    if (settling) {
      const now = Date.now();
      if (now - (lastSaid.get(settling) ?? -Infinity) < SETTLING_EVERY_MS) return;
      lastSaid.set(settling, now);
      const where = extra['broker'] ?? group ?? /\d+\.\d+\.\d+\.\d+:\d+|\[[\w:]+\]:\d+/.exec(answer)?.[0] ?? 'the broker';
      logger.warn(`${settling}: ${String(where)} answered "${answer}"`);
      return;
    }
    // What follows a crash kafkajs recovers from: said with the crash when that was a settling answer;
    // an unknown crash was logged as an error just before.
    if (level <= logLevel.WARN && message.startsWith('Restarting the consumer')) {
      if (group !== undefined && settlingCrash.has(group)) logger.debug?.(`${message} ${JSON.stringify(extra)}`);
      else logger.warn(`${message} ${JSON.stringify(extra)}`);
      return;
    }
    const line = `${message} ${JSON.stringify(extra)}`;
    if (level === logLevel.ERROR) logger.error(line);
    else if (level === logLevel.WARN) logger.warn(line);
    else logger.debug?.(line);
  };
};

@Global()
@Module({})
export class MessagingModule {
  /** Kafka for one service: its publisher, its topics and its consumer transport. */
  static forRoot({ service }: { service: string }): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          inject: [ConfigService],
          useFactory: (config: ConfigService<KafkaEnv, true>): MessagingOptions => ({
            service,
            brokers: config.get('KAFKA_BROKERS', { infer: true }).split(','),
            topicPrefix: config.get('KAFKA_TOPIC_PREFIX', { infer: true }),
            partitions: config.get('KAFKA_PARTITIONS', { infer: true }),
            retryDelaysMs: config.get('KAFKA_RETRY_DELAYS_MS', { infer: true }).split(',').map(Number),
            concurrency: config.get('KAFKA_CONCURRENCY', { infer: true }),
            fetchMinBytes: config.get('KAFKA_FETCH_MIN_BYTES', { infer: true }),
            sessionTimeoutMs: config.get('KAFKA_SESSION_TIMEOUT_MS', { infer: true }),
            rebalanceTimeoutMs: config.get('KAFKA_REBALANCE_TIMEOUT_MS', { infer: true }),
            ...saslOf(config),
          }),
        },
        {
          provide: KAFKA,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingOptions) => new Kafka(kafkaConfig(o)),
        },
        {
          provide: KAFKA_OF_BROKER,
          inject: [MESSAGING_OPTIONS],
          useFactory:
            (o: MessagingOptions): KafkaOfBroker =>
            (address) =>
              new Kafka({
                ...kafkaConfig(o),
                brokers: [address],
                socketFactory: pinnedTo(address),
                // The caller asks again (TopicAdmin polls): one try each, so a broker that is down costs a second, not minutes.
                retry: { retries: 0 },
                logLevel: logLevel.NOTHING,
              }),
        },
        TopicAdmin,
        EventPublisher,
        KafkaEventServer,
      ],
      exports: [MESSAGING_OPTIONS, KAFKA, KAFKA_OF_BROKER, TopicAdmin, EventPublisher, KafkaEventServer],
    };
  }
}

/** The client every part of a service shares. */
function kafkaConfig(o: MessagingOptions): KafkaConfig {
  return {
    clientId: o.service,
    brokers: o.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogs,
    retry: { initialRetryTime: 200, retries: 10 },
    ...(o.sasl ? { sasl: o.sasl } : {}),
  };
}

/**
 * Sockets that all go to one broker, whichever node kafkajs means to reach. kafkajs sends a request
 * to any broker of the cluster it likes (a metadata request to a random one), and its API cannot
 * name one; a client whose every connection lands on one broker hears that broker alone.
 */
export function pinnedTo(address: string): ISocketFactory {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  if (!host || !Number.isInteger(port) || port <= 0) throw new Error(`not a host:port: ${address}`);
  // As kafkajs' own socket factory does, but to that one address.
  return ({ ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(typeof ssl === 'object' ? ssl : {}) }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

/** The SASL login when a mechanism is set (the env class makes user and password required then). */
function saslOf(config: ConfigService<KafkaEnv, true>): Pick<MessagingOptions, 'sasl'> {
  const mechanism = config.get('KAFKA_SASL_MECHANISM', { infer: true });
  const username = config.get('KAFKA_SASL_USERNAME', { infer: true });
  const password = config.get('KAFKA_SASL_PASSWORD', { infer: true });
  if (!mechanism || !username || !password) return {};
  // kafkajs types the login as a union per mechanism; this one object is right for either SCRAM.
  return { sasl: { mechanism, username, password } as SASLOptions };
}
