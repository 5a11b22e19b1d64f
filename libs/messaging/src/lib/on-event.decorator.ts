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
    const original = descriptor.value;
    if (!original) throw new Error(`@OnEvent(${type}) must decorate a method`);
    const handler = async function (this: unknown, payload: EventPayload<T>, ctx: EventContext) {
      try {
        return await original.call(this, payload, ctx);
      } catch (err) {
        throw new RpcException(err instanceof Error ? err : new Error(String(err)));
      }
    };
    Object.defineProperty(handler, 'name', { value: original.name });
    descriptor.value = handler as unknown as M;
    Payload()(target, key, 0);
    Ctx()(target, key, 1);
    EventPattern(type)(target, key, descriptor);
  };
}
