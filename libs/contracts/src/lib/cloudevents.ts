/**
 * CloudEvents 1.0, Kafka protocol binding, binary content mode: attributes travel as `ce_*`
 * headers, the value is the JSON payload. W3C trace context rides beside them.
 */
export const CE_SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  data: T;
  traceparent?: string;
  tracestate?: string;
}

export type HeaderValue = string | Buffer | (string | Buffer)[] | undefined;

export function toHeaders(e: Omit<EventEnvelope, 'data'>): Record<string, string> {
  const headers: Record<string, string> = {
    ce_specversion: CE_SPEC_VERSION,
    ce_id: e.id,
    ce_type: e.type,
    ce_source: e.source,
    ce_time: e.time,
    'content-type': JSON_CONTENT_TYPE,
  };
  if (e.subject) headers['ce_subject'] = e.subject;
  if (e.traceparent) headers['traceparent'] = e.traceparent;
  if (e.tracestate) headers['tracestate'] = e.tracestate;
  return headers;
}

export const headerText = (value: HeaderValue): string | undefined => {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined ? undefined : v.toString();
};

export type EnvelopeResult = { ok: true; envelope: EventEnvelope } | { ok: false; error: string };

/** Reads an envelope from a Kafka record; any defect is reported, never thrown. */
export function fromRecord(headers: Record<string, HeaderValue> | undefined, value: Buffer | null): EnvelopeResult {
  const h = headers ?? {};
  const id = headerText(h['ce_id']);
  const type = headerText(h['ce_type']);
  const source = headerText(h['ce_source']);
  const time = headerText(h['ce_time']);
  const spec = headerText(h['ce_specversion']);
  if (!id || !type || !source || !time) return { ok: false, error: 'missing CloudEvents headers (ce_id, ce_type, ce_source, ce_time)' };
  if (spec !== CE_SPEC_VERSION) return { ok: false, error: `unsupported ce_specversion ${spec ?? '(none)'}` };
  if (!value) return { ok: false, error: 'empty value' };
  let data: unknown;
  try {
    data = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `value is not JSON: ${(err as Error).message}` };
  }
  return {
    ok: true,
    envelope: {
      id,
      type,
      source,
      time,
      subject: headerText(h['ce_subject']),
      traceparent: headerText(h['traceparent']),
      tracestate: headerText(h['tracestate']),
      data,
    },
  };
}
