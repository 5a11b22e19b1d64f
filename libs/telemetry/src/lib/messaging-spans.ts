import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { recordFailure, tracer } from './tracing';

/** W3C trace context as it rides with an event: in the outbox entry, then in the Kafka headers. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** Semantic-convention attributes of a Kafka send or receive (OpenTelemetry messaging conventions). */
export function kafkaAttributes(a: {
  topic: string;
  operation: 'send' | 'process';
  eventType?: string;
  eventId?: string;
  /** CloudEvents subject: the lot, order or shipment id. Searchable as a tag in Zipkin and Jaeger. */
  subject?: string;
  key?: string | null;
  partition?: number;
  offset?: string;
  group?: string;
}): Attributes {
  const attrs: Attributes = {
    'messaging.system': 'kafka',
    'messaging.destination.name': a.topic,
    'messaging.operation.type': a.operation,
    'messaging.operation.name': a.operation,
  };
  if (a.eventId) attrs['messaging.message.id'] = a.eventId;
  if (a.eventType) attrs['cloudevents.event_type'] = a.eventType;
  if (a.subject) attrs['firstmile.subject'] = a.subject;
  if (a.key) attrs['messaging.kafka.message.key'] = a.key;
  if (a.partition !== undefined) attrs['messaging.destination.partition.id'] = String(a.partition);
  if (a.offset !== undefined) attrs['messaging.kafka.offset'] = Number(a.offset);
  if (a.group) attrs['messaging.consumer.group.name'] = a.group;
  return attrs;
}

/**
 * Starts the PRODUCER span of one outgoing event as a child of the context stored with it (the
 * request or handler that staged it, possibly in another process before a restart), and returns
 * the headers that make the consumer's span its child. The caller ends the span when the send
 * settles. Without a stored context the send starts a trace of its own.
 */
export function startProducerSpan(
  stored: TraceCarrier,
  attributes: Attributes,
): { span: Span; headers: TraceCarrier } {
  const parent = propagation.extract(ROOT_CONTEXT, stored);
  const topic = String(attributes['messaging.destination.name'] ?? 'kafka');
  const span = tracer().startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, parent);
  const headers: TraceCarrier = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  return { span, headers };
}

/**
 * Runs a handler inside the CONSUMER span of a received event, child of the record's
 * `traceparent`: what the handler stores, logs and stages in an outbox belongs to the same trace.
 * The span records the handler's error and rethrows it.
 */
export async function withConsumerSpan<T>(
  received: TraceCarrier,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, received);
  const topic = String(attributes['messaging.destination.name'] ?? 'kafka');
  const span = tracer().startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** A CONSUMER span started for one event of a batch; `run` makes it the active span, `end` closes it. */
export interface ConsumerSpan {
  run<T>(fn: () => T): T;
  end(err?: unknown): void;
}

/**
 * The CONSUMER span of one event handled as part of a batch: child of the record's `traceparent`,
 * like `withConsumerSpan`, but open until `end`, so the batch handler can make each event's span
 * active while it decides for that event (what it stages then continues that event's trace).
 */
export function startConsumerSpan(received: TraceCarrier, attributes: Attributes): ConsumerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, received);
  const topic = String(attributes['messaging.destination.name'] ?? 'kafka');
  const span = tracer().startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  const active = trace.setSpan(parent, span);
  return {
    run: (fn) => context.with(active, fn),
    end: (err) => {
      if (err !== undefined) recordFailure(span, err);
      span.end();
    },
  };
}
