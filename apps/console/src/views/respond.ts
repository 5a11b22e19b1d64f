import type { FastifyReply } from 'fastify';
import type { Problem, UpstreamReply } from '../upstream';

export const sendHtml = (reply: FastifyReply, body: string, status = 200) => reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

/** Post/redirect/get: a form that worked leads to the page of what it made. */
export const seeOther = (reply: FastifyReply, to: string) => reply.redirect(to, 303);

/** A service's problem, field by field, for the form that caused it. */
export function fieldErrors(res: UpstreamReply): Record<string, string> {
  const problem = res.body as Problem | null;
  const errors: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    // `lines[0].quantityKg` → the form's `lines.0.quantityKg`; `destination.city` stays as it is.
    const key = e.field.replace(/\[(\d+)\]/g, '.$1');
    errors[key] = errors[key] ? `${errors[key]}; ${e.message}` : e.message;
  }
  return errors;
}

export const problemOf = (res: UpstreamReply): Problem | undefined => (res.status >= 400 ? (res.body as Problem) : undefined);

/** Only the filters a view knows are forwarded: a query string is never passed through blindly. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** `datetime-local` values are China time (the chain's clock), sent on as UTC ISO-8601. */
export function chinaLocalToIso(local: string | undefined): string | undefined {
  if (!local || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local)) return local;
  const d = new Date(`${local.length === 16 ? `${local}:00` : local}+08:00`);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

export function isoToChinaLocal(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16);
}
