import { randomUUID } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import { definitionOf, type EventPayload, type EventType } from '@firstmile/contracts';

/** An event ready to leave: envelope, logical topic, key and the trace that caused it. */
export interface OutboundEvent {
  id: string;
  type: string;
  topic: string;
  key: string;
  source: string;
  time: string;
  subject?: string;
  data: unknown;
  traceparent?: string;
  tracestate?: string;
  /** When it was staged (epoch ms): the relay's publish latency is measured from here. */
  stagedAt?: number;
}

/**
 * Builds the event a state change causes. The active trace context is captured now, so the relay
 * that publishes it later continues the trace of the request or message that caused it.
 */
export function newEvent<T extends EventType>(
  type: T,
  data: EventPayload<T>,
  opts: { source: string; subject?: string; time?: Date },
): OutboundEvent {
  const def = definitionOf(type);
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagation.inject(context.active(), carrier);
  return {
    id: randomUUID(),
    type,
    topic: def.topic,
    key: def.key(data),
    source: opts.source,
    time: (opts.time ?? new Date()).toISOString(),
    subject: opts.subject ?? def.key(data),
    data: JSON.parse(JSON.stringify(data)) as unknown,
    ...carrier,
    stagedAt: Date.now(),
  };
}
