import { EventPattern } from '@nestjs/microservices';
import type { EventPayload, EventType } from '@firstmile/contracts';
import type { EventContext } from './event-context';

/**
 * Marks a consumer method as the handler of one event type. The method's signature is checked
 * against the catalog: `@OnEvent(LotLoggedV1.type) onLogged(e: LotLoggedV1, ctx: EventContext)`.
 */
export function OnEvent<T extends EventType>(type: T) {
  return <M extends (payload: EventPayload<T>, ctx: EventContext) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    EventPattern(type)(target, key, descriptor);
  };
}
