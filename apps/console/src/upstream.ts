import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ConsoleEnv } from './console.env';

export type ServiceName = 'harvest-intake' | 'grading' | 'warehouse' | 'order-routing' | 'insights';

export interface UpstreamReply<T = unknown> {
  status: number;
  body: T;
}

/** An RFC 9457 problem as the services answer it; `errors` name the fields of a 400. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/**
 * The services' public HTTP APIs, called with the signed-in caller's token: the console holds no
 * rights of its own, so every rule (roles, object-level access) stays where it is enforced today.
 * A service that does not answer is a 503 reply, never an exception: a view shows what it can.
 */
@Injectable()
export class Upstream {
  private readonly bases: Record<ServiceName, string>;
  private readonly timeoutMs: number;

  constructor(config: ConfigService<ConsoleEnv, true>) {
    this.bases = {
      'harvest-intake': config.get('HARVEST_INTAKE_URL', { infer: true }),
      grading: config.get('GRADING_URL', { infer: true }),
      warehouse: config.get('WAREHOUSE_URL', { infer: true }),
      'order-routing': config.get('ORDER_ROUTING_URL', { infer: true }),
      insights: config.get('INSIGHTS_URL', { infer: true }),
    };
    this.timeoutMs = config.get('UPSTREAM_TIMEOUT_MS', { infer: true });
  }

  url(service: ServiceName, path: string): string {
    return `${this.bases[service].replace(/\/+$/, '')}${path}`;
  }

  async call<T = unknown>(service: ServiceName, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<UpstreamReply<T>> {
    try {
      const res = await fetch(this.url(service, path), {
        method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { status: res.status, title: text.slice(0, 200) };
      }
      return { status: res.status, body: parsed as T };
    } catch (err) {
      const problem: Problem = { status: 503, title: 'Service Unavailable', detail: `${service} did not answer: ${(err as Error).message}` };
      return { status: 503, body: problem as T };
    }
  }

  /** A non-JSON answer (a label, a PDF), passed on as it is. */
  async raw(service: ServiceName, path: string, token: string): Promise<{ status: number; contentType: string; body: Buffer }> {
    try {
      const res = await fetch(this.url(service, path), { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(this.timeoutMs * 4) });
      return { status: res.status, contentType: res.headers.get('content-type') ?? 'application/octet-stream', body: Buffer.from(await res.arrayBuffer()) };
    } catch (err) {
      return { status: 503, contentType: 'text/plain; charset=utf-8', body: Buffer.from(`${service} did not answer: ${(err as Error).message}`) };
    }
  }

  get<T = unknown>(service: ServiceName, path: string, token?: string): Promise<UpstreamReply<T>> {
    return this.call<T>(service, 'GET', path, token);
  }
}
