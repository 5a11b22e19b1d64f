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
  ) {}

  get eventId(): string {
    return this.envelope.id;
  }
}

/** Thrown by a handler when retrying cannot help: the message goes straight to the dead-letter topic. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}
