import type { EventEnvelope } from '@firstmile/contracts';

/** Where and how an event reached its handler; the second argument of every `@OnEvent` method. */
export class EventContext {
  constructor(
    readonly envelope: Omit<EventEnvelope, 'data'>,
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    /** 0 on first delivery, n on the n-th retry topic. */
    readonly attempt: number,
    private readonly span: <T>(fn: () => T) => T = (fn) => fn(),
  ) {}

  get eventId(): string {
    return this.envelope.id;
  }

  /**
   * Runs `fn` with this event's consumer span active: what it logs or stages in an outbox belongs to
   * the event's trace. An `@OnEvent` handler runs in it already; an `@OnEvents` batch handler calls
   * it around the work it does for one delivery.
   */
  traced<T>(fn: () => T): T {
    return this.span(fn);
  }
}

/** Thrown by a handler when retrying cannot help: the message goes straight to the dead-letter topic. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}
