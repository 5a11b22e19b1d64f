import {
  type Attributes,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';

/** The instrumentation scope of every span Firstmile's own code makes. */
export const TRACER_NAME = 'firstmile';

/**
 * Looked up on every call, not cached at import: the SDK (register.ts) may install its provider
 * after a module imported this one, and the API's proxy only forwards to what is installed.
 */
export const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

/** Records a failure on a span the way every backend shows it: an exception event plus status ERROR. */
export function recordFailure(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : new Error(String(err)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Runs `fn` inside a span named `name`, child of the active span: what it logs, stores or stages
 * (outbox events capture the active context) belongs to this step. The span ends when `fn`
 * settles and carries the error when it throws.
 *
 *   return traced('grade lot', () => this.gradeNow(lotId, dto), { 'firstmile.lot_id': lotId });
 */
export function traced<T>(
  name: string,
  fn: (span: Span) => T,
  attributes: Attributes = {},
  links: Link[] = [],
): T {
  return tracer().startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes, links }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      recordFailure(span, err);
      span.end();
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          recordFailure(span, err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/**
 * Method decorator form of `traced`: `@Traced('route order') async route(orderId: string) {…}`.
 * `attributes` may read the call's arguments, e.g. `(orderId) => ({ 'firstmile.order_id': orderId })`.
 */
export function Traced<A extends unknown[] = never[]>(name: string, attributes?: (...args: A) => Attributes) {
  return <M extends (...args: A) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const original = descriptor.value;
    if (!original) throw new Error(`@Traced(${name}) must decorate a method`);
    const wrapped = function (this: unknown, ...args: A): unknown {
      return traced(name, () => original.apply(this, args), attributes ? attributes(...args) : {});
    };
    // Nest reads metadata and the name off the method: keep both.
    Object.defineProperty(wrapped, 'name', { value: original.name });
    for (const key of Reflect.ownKeys(original)) {
      if (key !== 'length' && key !== 'name' && key !== 'prototype') {
        Object.defineProperty(
          wrapped,
          key,
          Object.getOwnPropertyDescriptor(original, key) as PropertyDescriptor,
        );
      }
    }
    descriptor.value = wrapped as M;
  };
}

/** Adds attributes to the active span (e.g. the lot or order id once it is known); no-op without one. */
export function annotate(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

export interface TraceIds {
  trace_id: string;
  span_id: string;
}

/** The active span's ids, as log fields; undefined when nothing is traced. */
export function currentTraceIds(): TraceIds | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
}

/**
 * The W3C `traceresponse` value for the active span (same layout as `traceparent`): lets a client,
 * or an ops engineer with curl, find the trace of the request it just made.
 */
export function currentTraceResponse(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`;
}

/** W3C trace context as it is stored with a document or rides with an event. */
export interface StoredTrace {
  traceparent?: string;
  tracestate?: string;
}

/**
 * The active trace context, to store with an aggregate whose later steps belong to the same trace
 * (grading keeps the lot's; a later HTTP request grading it continues it with `continueTrace`).
 * Empty when nothing is traced.
 */
export function traceCarrier(): StoredTrace {
  const carrier: StoredTrace = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Like `traced`, but the span continues a stored trace instead of the active one: one lot stays
 * ONE trace although a person's HTTP request (its own trace) moved it on. The active span (that
 * request) becomes a link, so each trace leads to the other. Without a stored context it is `traced`.
 *
 *   return continueTrace(lot.trace, 'grade lot', () => this.grade(lot, dto), { 'firstmile.lot_id': lot._id });
 */
export function continueTrace<T>(
  stored: StoredTrace | null | undefined,
  name: string,
  fn: (span: Span) => T,
  attributes: Attributes = {},
): T {
  const parent = stored?.traceparent ? propagation.extract(ROOT_CONTEXT, stored) : undefined;
  const parentSpan = parent ? trace.getSpanContext(parent) : undefined;
  if (!parent || !parentSpan || !isSpanContextValid(parentSpan)) return traced(name, fn, attributes);
  const active = trace.getActiveSpan()?.spanContext();
  const links: Link[] =
    active && isSpanContextValid(active) && active.traceId !== parentSpan.traceId
      ? [{ context: active, attributes: { 'firstmile.link': 'caused_by' } }]
      : [];
  return context.with(parent, () => traced(name, fn, attributes, links));
}

/** Runs `fn` with no active span: background loops whose work should not join a caller's trace. */
export function untraced<T>(fn: () => T): T {
  return context.with(trace.deleteSpan(context.active()), fn);
}
