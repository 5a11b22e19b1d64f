import { Ctx, EventPattern, Payload, RpcException } from '@nestjs/microservices';
import type { EventPayload, EventType } from '@firstmile/contracts';
import type { EventContext } from './event-context';

/**
 * Marks a consumer method as the handler of one event type. The method's signature is checked
 * against the catalog: `@OnEvent(LotLoggedV1.type) onLogged(e: LotLoggedV1, ctx: EventContext)`.
 *
 * The handler receives the validated payload and its EventContext. Its errors reach the Kafka
 * server as they were thrown (Nest's RPC filters would otherwise flatten them into "Internal server
 * error"), so retries and dead letters say what really failed.
 */
export function OnEvent<T extends EventType>(type: T) {
  return <M extends (payload: EventPayload<T>, ctx: EventContext) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    rethrowAsIs(descriptor, `@OnEvent(${type})`);
    Payload()(target, key, 0);
    Ctx()(target, key, 1);
    EventPattern(type)(target, key, descriptor);
  };
}

/** One event of a batch, with where it came from. */
export interface Delivery<T> {
  readonly event: T;
  readonly ctx: EventContext;
}

/** What a batch handler answers: the deliveries that failed, each with its error. The others succeeded. */
export type BatchFailures<T = unknown> = Map<Delivery<T>, unknown>;

/**
 * What a service acts on: an event or command and, when a delivery brought it, that delivery's
 * context (what acting on it stages runs in `ctx.traced`, so it continues the delivery's trace).
 */
export interface Command<T> {
  readonly command: T;
  readonly ctx?: Pick<EventContext, 'traced'>;
}

/** Runs `fn` in the trace of the delivery that brought the command, if any. */
export const withinTrace = <R>(c: Command<unknown>, fn: () => R): R => (c.ctx ? c.ctx.traced(fn) : fn());

/** Hands a batch to a service as commands and answers the deliveries whose command failed. */
export async function failuresOf<T>(
  batch: ReadonlyArray<Delivery<T>>,
  run: (commands: Array<Command<T>>) => Promise<ReadonlyMap<Command<T>, unknown>>,
): Promise<BatchFailures<T>> {
  const commands = batch.map((d) => ({ command: d.event, ctx: d.ctx, delivery: d }));
  const failed = await run(commands);
  return new Map(commands.filter((c) => failed.has(c)).map((c) => [c.delivery, failed.get(c)]));
}

/** The pattern a batch handler of `type` is registered under. */
export const batchPattern = (type: string): string => `${type}[]`;
/** The event type of a handler pattern, batch or single. */
export const typeOfPattern = (pattern: string): string => (pattern.endsWith('[]') ? pattern.slice(0, -2) : pattern);

/**
 * Marks a consumer method as the handler of runs of one event type: the server hands it the
 * consecutive records of that type it fetched from one partition, in partition order, at most
 * `MAX_BATCH` at a time: `@OnEvents(ReserveStockV1.type) onReserve(batch: Delivery<ReserveStockV1>[])`.
 *
 * A batch lets the handler read what all of them need at once, decide in turn in memory and write
 * once. It answers the deliveries that failed (retried, then dead-lettered, one by one as with
 * `@OnEvent`); throwing fails all of them. Whatever the handler stages in an outbox while running
 * `ctx.traced(fn)` of a delivery continues that delivery's trace.
 */
export function OnEvents<T extends EventType>(type: T) {
  return <M extends (batch: Array<Delivery<EventPayload<T>>>) => Promise<BatchFailures<EventPayload<T>> | void>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    rethrowAsIs(descriptor, `@OnEvents(${type})`);
    Payload()(target, key, 0);
    EventPattern(batchPattern(type))(target, key, descriptor);
  };
}

function rethrowAsIs<M>(descriptor: TypedPropertyDescriptor<M>, name: string): void {
  const original = descriptor.value as ((...args: unknown[]) => unknown) | undefined;
  if (!original) throw new Error(`${name} must decorate a method`);
  const handler = async function (this: unknown, ...args: unknown[]) {
    try {
      return await original.apply(this, args);
    } catch (err) {
      throw new RpcException(err instanceof Error ? err : new Error(String(err)));
    }
  };
  Object.defineProperty(handler, 'name', { value: original.name });
  descriptor.value = handler as M;
}
