import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import type { ConsoleEnv } from '../console.env';
import { html } from '../pages/html';
import { type ServiceName, Upstream } from '../upstream';
import { field, page } from './layout';
import { sendHtml, str } from './respond';
import { type Caller, CurrentCaller, ForRoles, SignedInGuard } from './session';

const SERVICES: ServiceName[] = ['harvest-intake', 'grading', 'warehouse', 'order-routing', 'insights'];

/** Sums every series of each metric in a Prometheus text exposition. */
export function sumMetrics(text: string, names: string[]): Record<string, number> {
  const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] in sums && Number.isFinite(Number(m[3]))) sums[m[1]] += Number(m[3]);
  }
  return sums;
}

interface ServiceHealth {
  name: ServiceName;
  ready: boolean;
  detail: string;
  lag?: number;
  backlog?: number;
  deadLetters?: number;
}

/** Ops: each service's readiness, consumer lag, outbox backlog and dead letters; trace links. */
@Controller('ops')
@UseGuards(SignedInGuard)
@ForRoles('ops')
export class OpsController {
  private readonly zipkin: string | undefined;

  constructor(
    private readonly upstream: Upstream,
    config: ConfigService<ConsoleEnv, true>,
  ) {
    this.zipkin = config.get('ZIPKIN_URL', { infer: true });
  }

  @Get()
  async system(@CurrentCaller() caller: Caller, @Query('subject') subject: string | undefined, @Res() reply: FastifyReply) {
    const rows = await Promise.all(SERVICES.map((s) => this.health(s)));
    const id = str(subject);
    const traceLink = id && this.zipkin ? `${this.zipkin.replace(/\/+$/, '')}/zipkin/?annotationQuery=${encodeURIComponent(`firstmile.subject=${id}`)}&lookback=604800000&limit=10` : undefined;
    const num = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString('en-US'));
    return sendHtml(
      reply,
      page('The system at a glance', caller, [
        html`<div class="table-wrap"><table><thead><tr><th scope="col">Service</th><th scope="col">Ready</th><th scope="col" class="num">Consumer lag</th><th scope="col" class="num">Outbox backlog</th><th scope="col" class="num">Dead letters</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.name}</td><td><span class="badge ${r.ready ? 'good' : 'bad'}">${r.ready ? 'ready' : 'not ready'}</span> <span class="hint">${r.detail}</span></td><td class="num">${num(r.lag)}</td><td class="num">${num(r.backlog)}</td><td class="num">${r.deadLetters ? html`<span class="badge bad">${num(r.deadLetters)}</span>` : num(r.deadLetters)}</td></tr>`)}
</tbody></table></div>
<p class="hint">Lag: records not yet committed by the service's consumer groups. Backlog: events staged in outboxes, not yet on Kafka. Dead letters: events parked since the process started (see docs/runbook.md, replaying them).</p>`,
        html`<form class="card" method="get" action="/ops"><h2>Trace of an order or a lot</h2>
${field('subject', 'Order or lot id', { value: id, attrs: 'required maxlength="64" autocomplete="off"' })}
<button type="submit">Find</button>
${id ? html`<p>${traceLink ? html`<a href="${traceLink}" rel="noopener">Open the trace of ${id} in Zipkin</a>` : 'No Zipkin is configured (ZIPKIN_URL).'} · <a href="/orders/${id}">order</a> · <a href="/lots/${id}">lot</a></p>` : ''}</form>`,
      ]),
    );
  }

  private async health(name: ServiceName): Promise<ServiceHealth> {
    const ready = await this.upstream.get<{ status?: string; error?: Record<string, { message?: string }> }>(name, '/health/ready');
    const detail = ready.status === 200 ? '' : Object.entries(ready.body?.error ?? {}).map(([k, v]) => `${k}: ${v.message ?? 'down'}`).join('; ') || `HTTP ${ready.status}`;
    const metrics = await this.upstream.raw(name, '/metrics', '');
    if (metrics.status !== 200) return { name, ready: ready.status === 200, detail };
    const sums = sumMetrics(metrics.body.toString('utf8'), ['firstmile_consumer_lag', 'firstmile_outbox_backlog', 'firstmile_events_dead_lettered_total']);
    return { name, ready: ready.status === 200, detail, lag: sums['firstmile_consumer_lag'], backlog: sums['firstmile_outbox_backlog'], deadLetters: sums['firstmile_events_dead_lettered_total'] };
  }
}
