import { Inject, Injectable } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, RpcException, Server } from '@nestjs/microservices';
import type { Admin, Consumer, ConsumerRunConfig, EachBatchPayload, EachMessagePayload, IHeaders, Kafka, KafkaMessage, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import {
  deadLetterTopic,
  definitionOf,
  EventCatalog,
  fromRecord,
  headerText,
  isEventType,
  parseEvent,
  retryTopic,
} from '@firstmile/contracts';
import { type ConsumerSpan, counter, gauge, histogram, kafkaAttributes, startConsumerSpan, withConsumerSpan } from '@firstmile/telemetry';
import { CommitQueue } from './commit-queue';
import { EventContext, NonRetryableError } from './event-context';
import { EventPublisher } from './event-publisher';
import { KAFKA, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { type BatchFailures, batchPattern, type Delivery, typeOfPattern } from './on-event.decorator';
import { TopicAdmin } from './topic-admin';

export const RetryHeaders = {
  attempt: 'x-retry-attempt',
  notBefore: 'x-retry-not-before',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  error: 'x-error',
  errorKind: 'x-error-kind',
  failedAt: 'x-failed-at',
  consumerGroup: 'x-consumer-group',
} as const;

type FailureKind = 'malformed' | 'contract' | 'handler';

/** A record as read: where from, and the message. */
interface Received {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** What a received record asks of this service. */
type Prepared =
  /** Not this service's business (another group's retry, a type it does not handle). */
  | { kind: 'skip' }
  | { kind: 'reject'; failure: Exclude<FailureKind, 'handler'>; error: string }
  | {
      kind: 'event';
      type: string;
      envelope: EventContext['envelope'];
      value: unknown;
      attributes: Record<string, string | number>;
      /** Handled by an `@OnEvents` batch handler. */
      batch: boolean;
    };

/** What a handler holding a partition needs of its consumer: to stay in the group, and to know when to let go. */
interface Control {
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** The consumer stops or loses the partition while a record waits for the store: leave it uncommitted. */
class ConsumerStopping extends Error {
  override readonly name = 'ConsumerStopping';
  constructor() {
    super('the consumer stopped or lost the partition while the store did not answer');
  }
}

/**
 * Heartbeats while a handler works, as often as the consumer is configured to send them. kafkajs
 * sends one only when asked, and the delivery loop asks between records: a single handler call
 * longer than `KAFKA_SESSION_TIMEOUT_MS` had the member dropped from its group. That happened
 * whenever a held record's try waited out the driver's server selection (10 s) while the store was
 * away: the group rebalanced, the batch's commit was refused ("The coordinator is not aware of this
 * member"), consumers were replaced and batches read again, and under the ten-times chaos load
 * order-routing routed nothing for 80 s after the store came back. A handler that outlasts a
 * rebalance's `KAFKA_REBALANCE_TIMEOUT_MS` still loses its partitions: heartbeats keep a member in
 * its group, only a rejoin keeps it in a new generation. A refused heartbeat (a rebalance under
 * way) is dropped: the work goes on, and kafkajs meets the rebalance at its next heartbeat between
 * records or at the commit, as it did before.
 */
function keepAlive(heartbeat: () => Promise<void>, everyMs: number): () => void {
  let sending = false;
  const timer = setInterval(() => {
    if (sending) return;
    sending = true;
    heartbeat()
      .catch(() => undefined)
      .finally(() => (sending = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * First and longest pause of a partition held while the store does not answer; how often it says so.
 * The longest is short: each try while the store is away costs one failed command, and a partition
 * asleep when the store comes back waits out its pause (15 s before, in the ten-times chaos load,
 * where every second of the recovery counts).
 */
export const HOLD_FIRST_MS = 500;
const HOLD_MAX_MS = 5000;
const HOLD_LOG_EVERY_MS = 30_000;

/** Records of one type handed to an `@OnEvents` handler at once, at most. */
export const MAX_BATCH = 200;

/**
 * Longest a fetch of a main topic waits at the broker: for a first record, or for `fetchMinBytes`
 * of them when more are asked for (KAFKA_FETCH_MIN_BYTES).
 */
const MAIN_MAX_WAIT_MS = 250;

/** What each fetch of a consumer waits for at the broker: kafkajs' `maxWaitTimeInMs` and `minBytes`. */
interface Fetch {
  maxWaitTimeInMs: number;
  minBytes: number;
}

/** One `@OnEvents` handler call that runs of several partitions share (see `callTogether`). */
interface Gathered {
  batch: Array<Delivery<unknown>>;
  answer: Promise<{ failed: BatchFailures; size: number }>;
}

const consumed = () =>
  counter('firstmile_events_consumed_total', 'Events handled successfully, by type and logical topic.', ['type', 'topic'] as const);
const failures = () =>
  counter(
    'firstmile_events_failed_total',
    'Deliveries that failed: handler threw (every attempt counts), or the record was malformed or broke the contract.',
    ['type', 'kind'] as const,
  );
const retried = () => counter('firstmile_events_retried_total', 'Failed events sent to a retry topic, by type and attempt number.', ['type', 'attempt'] as const);
const deadLettered = () =>
  counter('firstmile_events_dead_lettered_total', 'Events parked in a dead-letter topic, by type and failure kind.', ['type', 'kind'] as const);
const skipped = () =>
  counter(
    'firstmile_events_skipped_total',
    'Records passed over: a version of a known event type this build does not know (newer producers are additive), by its family.',
    ['family', 'reason'] as const,
  );
const handlerDuration = () =>
  histogram('firstmile_event_handler_duration_seconds', 'Time an @OnEvent handler took, by type and outcome.', ['type', 'outcome'] as const);
const deliveryDelay = () =>
  histogram(
    'firstmile_event_delivery_delay_seconds',
    "Time from an event's occurrence to the start of its first handling, by type: its time in the producer's outbox, in the broker, in a fetch and behind the records before it (the relay gives a record the event's time as its Kafka timestamp).",
    ['type'] as const,
  );
/** Observes a first delivery's wait (a retry's includes its delay on purpose, and is left out). */
const delivered = (type: string, { message }: Received, attempt: number) => {
  if (attempt === 0) deliveryDelay().observe({ type }, Math.max(0, Date.now() - Number(message.timestamp)) / 1000);
};

/** Servers of this process whose lag the gauge reports (one in a service; several in a test process). */
const lagSources = new Set<KafkaEventServer>();
const LAG_TIMEOUT_MS = 2000;
/** First wait before a consumer that kafkajs gave up on is replaced; doubled on each failed try, up to 30 s. */
export const CONSUMER_RESTART_MS = 1000;

/**
 * Consumer lag, read from the broker on each scrape: for every partition of every subscribed topic,
 * high watermark − committed offset of the group. Correct even when the consumer is stuck, which a
 * value updated from inside the consumer would not be.
 */
const consumerLag = () =>
  gauge('firstmile_consumer_lag', 'Records not yet committed by the consumer group, per topic and partition.', ['group', 'topic', 'partition'] as const, async function () {
    this.reset();
    const all = await Promise.all([...lagSources].map((s) => s.lag().catch(() => [])));
    for (const rows of all) for (const r of rows) this.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
  });

const typeLabel = (type: string | undefined): string => (type && isEventType(type) ? type : 'unknown');

/**
 * The Kafka side of every service, as a Nest transport: `@OnEvent` handlers are found by Nest's
 * microservice router; this server owns delivery.
 *
 * - An offset is committed only after the handler's effect is stored (handlers are idempotent,
 *   so a redelivery after a crash changes nothing).
 * - Each topic is read by a consumer group of its own, `<service>.<topic>`, so a slow topic never
 *   holds back another.
 * - A handler that throws is retried through `<topic>.retry.<n>` (each with its delay, consumed by
 *   the group `<service>.retry.<n>` so waiting never blocks fresh events, nor a shorter delay
 *   behind a longer one), then parked in `<topic>.dlt` with the
 *   error in headers. Malformed or contract-violating records (including an unknown type, or a type
 *   on the wrong topic) go to the dead-letter topic at once. Either way the partition keeps moving.
 * - Retry hops, and replays from the dead-letter topic, carry `x-consumer-group`: every service that
 *   reads a topic reads its retry topics, but only the service that failed takes the record up.
 */
@Injectable()
export class KafkaEventServer extends Server implements CustomTransportStrategy {
  private readonly consumers: Consumer[] = [];
  /** Each consumer's offset commits, sent one request at a time (see CommitQueue). */
  private readonly commits = new WeakMap<Consumer, CommitQueue>();
  /** Group → physical topics, for the lag gauge. */
  private readonly subscriptions = new Map<string, string[]>();
  private admin?: Promise<Admin>;
  /** Set by `close`: a consumer that stops from then on is not replaced. */
  private closing = false;
  /** Handlers by pattern, once listening (see `getHandlerByPattern`). */
  private readonly handlerByPattern = new Map<string, MessageHandler | null>();
  private listening = false;
  /** When a held partition last said so in the log (see `hold`). */
  private lastHoldLog = 0;
  private joinedResolve!: () => void;
  /** How often a consumer heartbeats: a third of the session timeout, once a second at most. */
  private readonly heartbeatMs: number;
  /** Per event type, the handler call that the runs handed over in this turn of the event loop join. */
  private readonly gathering = new Map<string, Gathered>();
  /** Resolves once every consumer of this service has joined its group. */
  readonly joined = new Promise<void>((resolve) => (this.joinedResolve = resolve));

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly publisher: EventPublisher,
    private readonly topics: TopicAdmin,
  ) {
    super();
    this.heartbeatMs = Math.min(1000, Math.floor(options.sessionTimeoutMs / 3));
  }

  /**
   * The service's name on the broker. Retry hops and dead letters are addressed to it
   * (`x-consumer-group`); its consumer groups are named after it (see `start`).
   */
  get groupId(): string {
    return `${this.options.topicPrefix}${this.options.service}`;
  }

  /**
   * Nest's lookup tries `JSON.parse` on every pattern first, and our patterns are not JSON, so each
   * lookup threw and caught an exception: 1.5 % of a consumer's CPU under the order burst. The
   * handlers are fixed once the server listens, and only catalog types are looked up (see `prepare`).
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    let handler = this.handlerByPattern.get(pattern);
    if (handler === undefined) {
      handler = super.getHandlerByPattern(pattern);
      if (this.listening) this.handlerByPattern.set(pattern, handler);
    }
    return handler;
  }

  listen(callback: (err?: unknown) => void): void {
    this.listening = true;
    this.start().then(() => callback(), callback);
  }

  async close(): Promise<void> {
    this.closing = true;
    lagSources.delete(this);
    const admin = this.admin;
    this.admin = undefined;
    await Promise.all([
      ...this.consumers.splice(0).map((c) => c.disconnect()),
      admin?.then((a) => a.disconnect()).catch(() => undefined),
    ]);
  }

  /** Lag per group, topic (logical) and partition; see the `firstmile_consumer_lag` gauge. */
  async lag(): Promise<Array<{ group: string; topic: string; partition: number; lag: number }>> {
    if (this.subscriptions.size === 0) return [];
    const work = async () => {
      const admin = await this.adminClient();
      const rows: Array<{ group: string; topic: string; partition: number; lag: number }> = [];
      // Every group and topic at once: a service has a group per topic and per retry level, and the
      // whole read must fit in LAG_TIMEOUT_MS.
      await Promise.all(
        [...this.subscriptions].map(async ([group, topics]) => {
          const committed = await admin.fetchOffsets({ groupId: group, topics });
          await Promise.all(
            committed.map(async ({ topic, partitions }) => {
              for (const end of await admin.fetchTopicOffsets(topic)) {
                const c = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
                // Nothing committed yet: the group starts from the beginning (fromBeginning: true).
                const from = c === '-1' ? BigInt(end.low) : BigInt(c);
                const lag = BigInt(end.high) - from;
                rows.push({ group, topic: this.topics.logical(topic), partition: end.partition, lag: Number(lag > 0n ? lag : 0n) });
              }
            }),
          );
        }),
      );
      return rows;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('lag read timed out')), LAG_TIMEOUT_MS))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits until this service has handled everything published on `topic` up to now: the end of
   * every partition is read first, then the group's committed offsets (handlers commit after their
   * effect is stored) are polled until they reach those ends. A fence, not "no lag": on a busy
   * topic it returns as soon as what was published before the call is handled. False when that
   * takes longer than `timeoutMs`, or the broker cannot say.
   */
  async caughtUp(topic: string, timeoutMs = 5_000): Promise<boolean> {
    const group = `${this.groupId}.${topic}`;
    if (!this.subscriptions.has(group)) return false;
    try {
      const admin = await this.adminClient();
      const physical = this.topics.physical(topic);
      const ends = await admin.fetchTopicOffsets(physical);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [physical] });
        const behind = ends.some((end) => {
          const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          return (c === '-1' ? BigInt(end.low) : BigInt(c)) < BigInt(end.high);
        });
        if (!behind) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch {
      return false;
    }
  }

  /** One admin client per server, connected on first use (the lag gauge and `caughtUp`). */
  private adminClient(): Promise<Admin> {
    this.admin ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  on(): never {
    throw new Error('KafkaEventServer does not emit transport events');
  }

  unwrap<T>(): T {
    return this.consumers as T;
  }

  private async start(): Promise<void> {
    const types = [...new Set([...this.messageHandlers.keys()].map(typeOfPattern))];
    const unknown = types.filter((t) => !isEventType(t));
    if (unknown.length > 0) throw new Error(`@OnEvent names no event in the catalog: ${unknown.join(', ')}`);
    // A type with a batch handler is handed to its batch handlers only: an @OnEvent of the same type
    // (another module's) would never run, silently. Said at start-up instead.
    const both = types.filter((t) => this.messageHandlers.has(t) && this.messageHandlers.has(batchPattern(t)));
    if (both.length > 0) throw new Error(`both @OnEvent and @OnEvents handle ${both.join(', ')}: the @OnEvent would never run; make them the same kind`);
    const topics = [...new Set(types.map((t) => definitionOf(t as never).topic as string))];
    if (topics.length === 0) return this.joinedResolve();
    await this.topics.ensure(topics);

    const delays = this.options.retryDelaysMs;
    // One consumer, and so one group, per topic: kafkajs fetches from a broker and waits until every
    // batch of the fetch is handled before it fetches again, so one consumer of two topics makes the
    // fast one wait for the slow one. Order-routing's reservation answers waited behind a whole
    // fetch of orders to route (the bench's burst routed 28 of 600 orders in 24 s that way).
    const joins = [
      // Main topics are read a fetched batch at a time: runs of one type go to an `@OnEvents` handler
      // at once, and the batch's offsets are committed once, after every record of it is handled.
      // A fetch of them waits for `fetchMinBytes` (at most MAIN_MAX_WAIT_MS): see KAFKA_FETCH_MIN_BYTES.
      ...topics.map((t) =>
        this.consume(`${this.groupId}.${t}`, [t], (c) => ({ eachBatch: (p) => this.deliverBatch(c, p) }), {
          maxWaitTimeInMs: MAIN_MAX_WAIT_MS,
          minBytes: this.options.fetchMinBytes,
        }),
      ),
      // And one per retry level: its records all wait the same delay, so none waits behind a longer one.
      ...delays.map((_, i) =>
        this.consume(
          `${this.groupId}.retry.${i + 1}`,
          topics.map((t) => retryTopic(t, i + 1)),
          (c) => ({ eachMessage: (p) => this.redeliver(c, p) }),
          // Its records wait out their delay anyway (1 s or more by default): a slower poll costs the broker less.
          { maxWaitTimeInMs: 1000, minBytes: 1 },
        ),
      ),
    ];
    consumerLag();
    lagSources.add(this);
    void Promise.all(joins).then(() => this.joinedResolve());
  }

  /** Starts one consumer; resolves when it first joins its group. */
  private async consume(
    groupId: string,
    logicalTopics: string[],
    each: (consumer: Consumer) => Pick<ConsumerRunConfig, 'eachMessage' | 'eachBatch'>,
    fetch: Fetch,
  ): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      ...fetch,
      sessionTimeout: this.options.sessionTimeoutMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      heartbeatInterval: this.heartbeatMs,
    });
    this.consumers.push(consumer);
    this.commits.set(consumer, new CommitQueue(consumer));
    this.subscriptions.set(groupId, logicalTopics.map((t) => this.topics.physical(t)));
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    // kafkajs starts a crashed consumer again only after a retriable error. After some others ("The
    // coordinator is not aware of this member" when a partition leader or coordinator moves, found by
    // the 3-broker chaos run) it stops for good: the group stays empty while the process looks
    // healthy. Such a consumer is replaced by a new one of the same group.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.closing) return;
      this.logger.warn?.(`${groupId}: kafkajs stopped the consumer after "${payload.error.message}"; starting a new one`);
      const i = this.consumers.indexOf(consumer);
      if (i >= 0) this.consumers.splice(i, 1);
      this.replace(groupId, logicalTopics, each, fetch, CONSUMER_RESTART_MS);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: logicalTopics.map((t) => this.topics.physical(t)), fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.options.concurrency,
        ...each(consumer),
      });
    } catch (err) {
      const i = this.consumers.indexOf(consumer);
      if (i >= 0) this.consumers.splice(i, 1);
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    return joined;
  }

  /**
   * Starts a consumer in place of one that stopped, trying again with a longer wait until it runs.
   * The first failure is said at warn (with what it waits for); the next ones of the same outage at
   * debug, and the start that succeeds after them at info.
   */
  private replace(
    groupId: string,
    logicalTopics: string[],
    each: (consumer: Consumer) => Pick<ConsumerRunConfig, 'eachMessage' | 'eachBatch'>,
    fetch: Fetch,
    waitMs: number,
    failures = 0,
  ): void {
    setTimeout(() => {
      if (this.closing) return;
      this.consume(groupId, logicalTopics, each, fetch).then(
        () => {
          if (failures > 0) this.logger.log(`${groupId}: the new consumer started after ${failures} failed attempts`);
        },
        (err: unknown) => {
          const next = Math.min(waitMs * 2, 30_000);
          const line = `${groupId}: the new consumer did not start (${err instanceof Error ? err.message : String(err)}); waiting for the broker, trying again with a growing pause (30 s at most)`;
          if (failures === 0) this.logger.warn?.(line);
          else this.logger.debug?.(line);
          this.replace(groupId, logicalTopics, each, fetch, next, failures + 1);
        },
      );
    }, waitMs).unref();
  }

  /**
   * A record from a retry topic: wait out its delay, then deliver it as the attempt it is. The
   * attempt comes from the topic's name and the wait is never longer than that attempt's delay,
   * whatever the headers say: a forged or garbled record cannot hold the partition.
   */
  private async redeliver(consumer: Consumer, payload: EachMessagePayload): Promise<void> {
    const { message } = payload;
    const attempt = retryAttemptOf(this.topics.logical(payload.topic)) ?? 1;
    const delay = this.options.retryDelaysMs[attempt - 1] ?? 0;
    const latest = Math.min(Number(message.timestamp), Date.now()) + delay;
    const notBefore = Math.min(Number(headerText(message.headers?.[RetryHeaders.notBefore]) ?? '0'), latest);
    for (let wait = notBefore - Date.now(); wait > 0; wait = notBefore - Date.now()) {
      await new Promise((r) => setTimeout(r, Math.min(wait, 3000)));
      await payload.heartbeat();
    }
    await this.deliver(consumer, payload, attempt);
  }

  /**
   * A fetched batch of one partition of a main topic, in order: runs of one type with an `@OnEvents`
   * handler are handed over together (a record of a type this service does not handle does not end
   * a run), every other record alone. The offsets are committed once, after the last record handled
   * (a rebalance stops the batch early; the rest is read again).
   */
  private async deliverBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const stop = keepAlive(payload.heartbeat, this.heartbeatMs);
    try {
      await this.deliverRuns(consumer, payload);
    } finally {
      stop();
    }
  }

  private async deliverRuns(consumer: Consumer, { batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const control: Control = { heartbeat, isRunning, isStale };
    let run: Array<{ record: Received; item: Extract<Prepared, { kind: 'event' }> }> = [];
    /** The last offset whose record is settled (handled, retried, dead-lettered or skipped). */
    let last: string | undefined;
    /** A record skipped while a run was open: settled once the run before it is. */
    let skipped: string | undefined;
    const flush = async () => {
      if (run.length === 0) return;
      const items = run;
      run = [];
      await this.handleRun(items, 0, control);
      last = items[items.length - 1].record.message.offset;
      if (skipped !== undefined && BigInt(skipped) > BigInt(last)) last = skipped;
      skipped = undefined;
    };
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const record = { topic, partition, message };
        const item = this.prepare(record);
        if (item.kind === 'event' && item.batch) {
          if (run.length > 0 && (run[0].item.type !== item.type || run.length >= MAX_BATCH)) await flush();
          run.push({ record, item });
        } else if (item.kind === 'skip') {
          // Not this service's business: it does not end the run around it (a shared topic's other
          // types would cut a run into runs of one).
          if (run.length > 0) skipped = message.offset;
          else last = message.offset;
        } else {
          await flush();
          await this.handle(record, item, 0, control);
          last = message.offset;
        }
        await heartbeat();
      }
      await flush();
    } catch (err) {
      // Stopping while the store was away: what is settled is committed, the rest is read again.
      if (!(err instanceof ConsumerStopping)) throw err;
    }
    if (last !== undefined) await this.commit(consumer, { topic, partition, offset: (BigInt(last) + 1n).toString() });
  }

  /** One record (first delivery of a record no batch handler takes, or a retry): handled, then committed. */
  private async deliver(consumer: Consumer, payload: EachMessagePayload, attempt: number): Promise<void> {
    const { topic, partition, message } = payload;
    const record = { topic, partition, message };
    const item = this.prepare(record);
    // A retry topic's consumer has no isStale: a rebalance revokes its partition after the call.
    const control: Control = { heartbeat: payload.heartbeat, isRunning: () => !this.closing, isStale: () => false };
    const stop = keepAlive(payload.heartbeat, this.heartbeatMs);
    try {
      if (item.kind === 'event' && item.batch) await this.handleRun([{ record, item }], attempt, control);
      else await this.handle(record, item, attempt, control);
    } finally {
      stop();
    }
    await this.commit(consumer, { topic, partition, offset: (BigInt(message.offset) + 1n).toString() });
  }

  private commit(consumer: Consumer, offset: TopicPartitionOffsetAndMetadata): Promise<void> {
    return this.commits.get(consumer)?.commit(offset) ?? consumer.commitOffsets([offset]);
  }

  /** What a record asks of this service: nothing, a dead letter (malformed, breaks the contract), or a handler. */
  private prepare({ topic, partition, message }: Received): Prepared {
    // Where the record belongs comes from where it was read (`<topic>` or `<topic>.retry.<n>`), never
    // from its headers: a dead letter must land on a topic that exists.
    const originalTopic = baseTopicOf(this.topics.logical(topic));
    const addressedTo = headerText(message.headers?.[RetryHeaders.consumerGroup]);
    // Retry hops and replays are addressed to the one group that failed; the others handled it already.
    if (addressedTo !== undefined && addressedTo !== this.groupId) return { kind: 'skip' };
    const parsed = fromRecord(message.headers, message.value);
    if (!parsed.ok) return { kind: 'reject', failure: 'malformed', error: parsed.error };
    if (!isEventType(parsed.envelope.type)) {
      // Another version of a type this build knows (a producer upgraded first): new versions are
      // additive, so the one this service handles is published beside it. Counted, not dead-lettered.
      const family = familyOf(parsed.envelope.type);
      if (family) {
        skipped().inc({ family, reason: 'unknown_version' });
        return { kind: 'skip' };
      }
      return { kind: 'reject', failure: 'contract', error: `unknown event type ${parsed.envelope.type}: not in the event catalog` };
    }
    if (definitionOf(parsed.envelope.type).topic !== originalTopic) {
      const home = definitionOf(parsed.envelope.type).topic;
      return { kind: 'reject', failure: 'contract', error: `${parsed.envelope.type} belongs on topic ${home}, not ${originalTopic}` };
    }
    const { data, ...envelope } = parsed.envelope;
    const batch = this.getHandlerByPattern(batchPattern(envelope.type)) !== null;
    // Topics are shared by several event types; the ones this service does not handle are not its business.
    if (!batch && !this.getHandlerByPattern(envelope.type)) return { kind: 'skip' };
    const check = parseEvent(envelope.type as never, data);
    if (!check.ok) return { kind: 'reject', failure: 'contract', error: check.errors.join('; ') };
    const attributes = {
      ...kafkaAttributes({
        topic: originalTopic,
        operation: 'process',
        eventType: envelope.type,
        eventId: envelope.id,
        subject: envelope.subject,
        key: message.key?.toString() ?? null,
        partition,
        offset: message.offset,
        group: this.groupId,
      }),
    } as Record<string, string | number>;
    return { kind: 'event', type: envelope.type, envelope, value: check.value, attributes, batch };
  }

  /**
   * A record no batch handler takes: its dead letter, or its `@OnEvent` handler inside the event's
   * consumer span. While the store does not answer, the record is tried again in place (see `hold`).
   */
  private async handle(record: Received, item: Prepared, attempt: number, control: Control): Promise<void> {
    if (item.kind === 'skip') return;
    const originalTopic = baseTopicOf(this.topics.logical(record.topic));
    if (item.kind === 'reject') return this.deadLetter(originalTopic, record, attempt, item.failure, item.error);
    const handler = this.getHandlerByPattern(item.type);
    if (!handler) return;
    const ctx = new EventContext(item.envelope, originalTopic, record.partition, record.message.offset, attempt);
    delivered(item.type, record, attempt);
    for (let held = 0; ; held++) {
      const timer = handlerDuration().startTimer({ type: item.type });
      try {
        // Child of the record's traceparent (the producer's span); outbox events the handler
        // stages capture this span, so the next hop continues the same trace.
        await withConsumerSpan(item.envelope, { ...item.attributes, 'firstmile.attempt': attempt }, async () => {
          await lastValueFrom(this.transformToObservable(await handler(item.value, ctx)), { defaultValue: undefined });
        });
        timer({ outcome: 'ok' });
        consumed().inc({ type: item.type, topic: originalTopic });
        return;
      } catch (thrown) {
        timer({ outcome: 'error' });
        const err = unwrap(thrown);
        if (isTransient(err)) {
          await this.hold(record, held, err, control);
          continue;
        }
        failures().inc({ type: item.type, kind: 'handler' });
        await this.failed(originalTopic, record, attempt, err);
        return;
      }
    }
  }

  /**
   * The store (or another dependency every record needs) did not answer: retrying through the retry
   * topics would only turn a long outage into dead letters. The partition waits instead, trying
   * the record again with a growing pause (heartbeats keep the consumer in its group), and moves on
   * once it answers. A rebalance or shutdown ends the wait: the record is not committed and is read
   * again by whoever owns the partition next.
   */
  private async hold(record: Received, held: number, err: unknown, control: Control): Promise<void> {
    const wait = Math.min(HOLD_MAX_MS, HOLD_FIRST_MS * 2 ** held);
    const now = Date.now();
    if (held === 0 || now - this.lastHoldLog >= HOLD_LOG_EVERY_MS) {
      this.lastHoldLog = now;
      this.logger.warn?.(
        `${this.topics.logical(record.topic)}[${record.partition}] held at offset ${record.message.offset} until the store answers (next try in ${wait} ms): ${describe(err)}`,
      );
    }
    for (const until = Date.now() + wait; Date.now() < until; ) {
      if (!control.isRunning() || control.isStale()) throw new ConsumerStopping();
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, until - Date.now())));
      await control.heartbeat();
    }
    if (!control.isRunning() || control.isStale()) throw new ConsumerStopping();
  }

  /**
   * Records of one type for its `@OnEvents` handler, in one call. Each keeps its own consumer span
   * (the handler makes it active with `ctx.traced`), and each that failed is retried or
   * dead-lettered on its own; those that failed because the store did not answer are handed over
   * again, in place, until it does (see `hold`). The handler's time is shared out evenly among the
   * deliveries in the duration metric.
   */
  private async handleRun(items: Array<{ record: Received; item: Extract<Prepared, { kind: 'event' }> }>, attempt: number, control: Control): Promise<void> {
    const type = items[0].item.type;
    const handler = this.getHandlerByPattern(batchPattern(type));
    if (!handler) return;
    const spans: ConsumerSpan[] = [];
    const deliveries: Array<Delivery<unknown>> = items.map(({ record, item }) => {
      delivered(type, record, attempt);
      const span = startConsumerSpan(item.envelope, { ...item.attributes, 'firstmile.attempt': attempt, 'firstmile.batch_size': items.length });
      spans.push(span);
      const ctx = new EventContext(item.envelope, baseTopicOf(this.topics.logical(record.topic)), record.partition, record.message.offset, attempt, span.run);
      return { event: item.value, ctx };
    });
    let pending = deliveries.map((_, i) => i);
    try {
      for (let held = 0; pending.length > 0; held++) {
        const started = process.hrtime.bigint();
        let failed: BatchFailures;
        let size = pending.length;
        try {
          ({ failed, size } = await this.callTogether(type, handler, pending.map((i) => deliveries[i]), spans[pending[0]].run));
        } catch (err) {
          failed = new Map(pending.map((i) => [deliveries[i], err]));
        }
        const share = Number(process.hrtime.bigint() - started) / 1e9 / size;
        const again: number[] = [];
        for (const i of pending) {
          const d = deliveries[i];
          const outcome = failed.has(d) ? 'error' : 'ok';
          handlerDuration().observe({ type, outcome }, share);
          if (outcome === 'ok') {
            spans[i].end();
            consumed().inc({ type, topic: d.ctx.topic });
            continue;
          }
          const err = unwrap(failed.get(d));
          if (isTransient(err)) {
            again.push(i);
            continue;
          }
          spans[i].end(err);
          failures().inc({ type, kind: 'handler' });
          await this.failed(d.ctx.topic, items[i].record, attempt, err);
        }
        pending = again;
        if (pending.length > 0) await this.hold(items[pending[0]].record, held, unwrap(failed.get(deliveries[pending[0]])), control);
      }
    } finally {
      for (const i of pending) spans[i].end(new ConsumerStopping());
    }
  }

  /**
   * Hands `batch` to its `@OnEvents` handler together with the runs of the same type handed over in
   * the same turn of the event loop: kafkajs hands a fetch's partitions to their workers at once,
   * and each partition's run was a call of its own, so a store write of its own. At half the
   * bench's rate a fetch holds one or two records of each of six partitions: the followers wrote
   * ~2 events per command. A call takes at most `MAX_BATCH` deliveries; each caller reads its own
   * deliveries' failures from the shared answer (it is keyed by delivery), and a call that throws
   * fails every delivery in it, as it did for one run. The call's own work is traced with the first
   * run's first event; each event keeps its span (`ctx.traced`).
   */
  private callTogether(
    type: string,
    handler: MessageHandler,
    batch: Array<Delivery<unknown>>,
    traced: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<{ failed: BatchFailures; size: number }> {
    const open = this.gathering.get(type);
    if (open && open.batch.length + batch.length <= MAX_BATCH) {
      open.batch.push(...batch);
      return open.answer;
    }
    const gathered: Gathered = { batch: [...batch], answer: undefined as never };
    this.gathering.set(type, gathered);
    gathered.answer = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      if (this.gathering.get(type) === gathered) this.gathering.delete(type);
      const all = gathered.batch;
      const answer = await traced(async () => lastValueFrom(this.transformToObservable(await handler(all)), { defaultValue: undefined }));
      return { failed: answer instanceof Map ? (answer as BatchFailures) : new Map(), size: all.length };
    });
    return gathered.answer;
  }

  private async failed(originalTopic: string, payload: Received, attempt: number, err: unknown): Promise<void> {
    const error = describe(err);
    const delays = this.options.retryDelaysMs;
    if (err instanceof NonRetryableError || attempt >= delays.length) {
      await this.deadLetter(originalTopic, payload, attempt, 'handler', error);
      return;
    }
    const next = attempt + 1;
    retried().inc({ type: typeLabel(headerText(payload.message.headers?.['ce_type'])), attempt: String(next) });
    this.logger.warn?.(`${originalTopic}: handler failed (attempt ${attempt + 1}), retrying: ${error}`);
    await this.publisher.forward(this.topics.physical(retryTopic(originalTopic, next)), {
      key: payload.message.key,
      value: payload.message.value,
      headers: {
        ...ownHeaders(payload.message),
        ...origin(originalTopic, payload, attempt > 0),
        [RetryHeaders.attempt]: String(next),
        [RetryHeaders.notBefore]: String(Date.now() + delays[next - 1]),
        [RetryHeaders.error]: error,
        // Every group that reads the topic reads its retry topics: only the one that failed takes it up.
        [RetryHeaders.consumerGroup]: this.groupId,
      },
    });
  }

  private async deadLetter(
    originalTopic: string,
    payload: Received,
    attempt: number,
    kind: FailureKind,
    error: string,
  ): Promise<void> {
    this.logger.error(`${originalTopic}: ${kind} record parked in the dead-letter topic: ${error}`);
    const type = typeLabel(headerText(payload.message.headers?.['ce_type']));
    if (kind !== 'handler') failures().inc({ type, kind });
    deadLettered().inc({ type, kind });
    await this.publisher.forward(this.topics.physical(deadLetterTopic(originalTopic)), {
      key: payload.message.key,
      value: payload.message.value,
      headers: {
        ...ownHeaders(payload.message),
        ...origin(originalTopic, payload, attempt > 0),
        [RetryHeaders.attempt]: String(attempt),
        [RetryHeaders.error]: error,
        [RetryHeaders.errorKind]: kind,
        [RetryHeaders.failedAt]: new Date().toISOString(),
        [RetryHeaders.consumerGroup]: this.groupId,
      },
    });
  }
}

const PHYSICAL_TOPIC = 'x-original-physical-topic';
const OWN_HEADERS = new Set<string>([...Object.values(RetryHeaders), PHYSICAL_TOPIC]);

/** The record's headers without the delivery headers this server writes (set afresh on every hop). */
function ownHeaders(message: KafkaMessage): IHeaders {
  return Object.fromEntries(Object.entries(message.headers ?? {}).filter(([k]) => !OWN_HEADERS.has(k)));
}

/**
 * The first place a record was read from: where it is now on first delivery (whatever headers it
 * came with), the headers the retry hops carried after that.
 */
function origin(originalTopic: string, { topic, partition, message }: Received, retried: boolean): IHeaders {
  const h = message.headers ?? {};
  const kept = (name: string) => (retried ? headerText(h[name]) : undefined);
  return {
    [RetryHeaders.originalTopic]: originalTopic,
    [RetryHeaders.originalPartition]: kept(RetryHeaders.originalPartition) ?? String(partition),
    [RetryHeaders.originalOffset]: kept(RetryHeaders.originalOffset) ?? message.offset,
    [PHYSICAL_TOPIC]: kept(PHYSICAL_TOPIC) ?? topic,
  };
}

const RETRY_TOPIC = /^(.+)\.retry\.(\d+)$/;
/** `orders.retry.2` → `orders`; a main topic is its own base. */
const baseTopicOf = (logicalTopic: string): string => RETRY_TOPIC.exec(logicalTopic)?.[1] ?? logicalTopic;
/** `orders.retry.2` → 2; undefined for a main topic. */
const retryAttemptOf = (logicalTopic: string): number | undefined => {
  const m = RETRY_TOPIC.exec(logicalTopic);
  return m ? Number(m[2]) : undefined;
};

const describe = (err: unknown): string =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 2000);

/** What a handler threw, without the RpcException `@OnEvent` wraps it in to get past Nest's filters. */
const unwrap = (err: unknown): unknown => (err instanceof RpcException ? err.getError() : err);

/**
 * The store did not answer, as opposed to refusing the work: the driver found no server, lost the
 * connection or timed out on the network, or mongoose buffered the command until its timeout; or
 * the socket itself failed (Node's own error, which reaches the handler unwrapped when the store
 * closes a connection a command is being written to: "This socket has been ended by the other
 * party", EPIPE, seen when the chaos run stopped FerretDB for 90 s).
 */
export function isTransient(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message, code } = e as { name?: string; message?: string; code?: unknown };
    if (name && TRANSIENT_NAMES.test(name)) return true;
    if (message && TRANSIENT_MESSAGES.test(message)) return true;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}
const TRANSIENT_NAMES = /^Mongo(ose)?(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared)Error$/;
const TRANSIENT_MESSAGES =
  /buffering timed out after|ECONNREFUSED|ECONNRESET|EPIPE|connection \d+ to .* closed|Client must be connected|This socket has been ended by the other party/;
/** Node's socket error codes: the connection to the store failed, whatever wrapped it. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** `firstmile.orders.order.placed.v2` → `firstmile.orders.order.placed` when the catalog has a version of it. */
function familyOf(type: string): string | undefined {
  const m = /^(.+)\.v\d+$/.exec(type);
  return m && catalogFamilies().has(m[1]) ? m[1] : undefined;
}
let families: Set<string> | undefined;
const catalogFamilies = () => (families ??= new Set(Object.keys(EventCatalog).map((t) => t.replace(/\.v\d+$/, ''))));
