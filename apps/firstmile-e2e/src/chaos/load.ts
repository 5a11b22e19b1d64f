import { randomUUID } from 'node:crypto';
import { token } from '@firstmile/testing';
import type { ServiceName, Stack } from '../stack';

/**
 * The chaos suite's clients: they behave as real ones do while services crash and the broker and the
 * store bounce. Every creating POST carries an Idempotency-Key, and a request that failed for a
 * reason that is not the caller's (no answer, 5xx, 429, 409 "still in flight") is sent again with
 * the same key and body until it is answered, or the client gives up; not sooner than a
 * `Retry-After` asks.
 */

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  /** What `Retry-After` asked, in seconds (429, 503). */
  retryAfterS?: number;
}

type Claims = Parameters<typeof token>[0];

/** Why a request is worth repeating: nothing the caller could change. */
const retriable = (status: number, body: unknown) =>
  status >= 500 ||
  status === 429 ||
  (status === 409 && String((body as { type?: string })?.type ?? '').endsWith('idempotency-key-in-flight'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChaosClient {
  private readonly auth: string;
  /** Requests sent again after a failure (each repeat counts once). */
  static repeats = 0;

  constructor(
    private readonly stack: Stack,
    claims: Claims,
    /** Repeats stop when this says so (the load has ended and its grace period passed). */
    private readonly giveUp: () => boolean,
  ) {
    this.auth = `Bearer ${token(claims, { expiresIn: '2h' })}`;
  }

  /** One attempt; null when no HTTP answer came (refused, reset, timed out). */
  async once<T>(
    method: string,
    service: ServiceName,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T> | null> {
    try {
      const res = await fetch(this.stack.url(service, path), {
        method,
        headers: {
          authorization: this.auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      const retryAfterS = Number(res.headers.get('retry-after') ?? NaN);
      return { status: res.status, body: parsed as T, ...(retryAfterS >= 0 ? { retryAfterS } : {}) };
    } catch {
      return null;
    }
  }

  /** Sends until a final answer (2xx or a 4xx the caller caused); null if the client gave up. */
  async send<T>(
    method: string,
    service: ServiceName,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T> | null> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.once<T>(method, service, path, body, headers);
      if (r && !retriable(r.status, r.body)) return r;
      if (this.giveUp()) return null;
      ChaosClient.repeats++;
      // As a well-behaved client does: no sooner than the server's Retry-After, when it gave one.
      const backoff = Math.max(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)), (r?.retryAfterS ?? 0) * 1000);
      await sleep(backoff * (0.5 + Math.random()));
    }
  }

  get<T>(service: ServiceName, path: string) {
    return this.send<T>('GET', service, path);
  }

  /** A creating POST with its own Idempotency-Key, kept across repeats. */
  create<T>(service: ServiceName, path: string, body: unknown) {
    return this.send<T>('POST', service, path, body, { 'idempotency-key': randomUUID() });
  }
}

export interface AcceptedLot {
  marker: string;
  id: string;
  quantityKg: number;
  /** Set once the grading was answered 2xx (or found done after a lost answer). */
  graded?: {
    subLots: Array<{ id: string; grade: string; quantityKg: number }>;
    cullKg: number;
    lostAnswer: boolean;
  };
}

export interface AcceptedOrder {
  marker: string;
  id: string;
  quantityKg: number;
}

export interface LoadFigures {
  lotsSent: number;
  lotsAccepted: number;
  lotsRefused: number;
  lotsGivenUp: number;
  gradingsAccepted: number;
  gradingsFoundDone: number;
  gradingsGivenUp: number;
  ordersSent: number;
  ordersAccepted: number;
  ordersRefused: number;
  ordersGivenUp: number;
  /** What each given-up task was doing, and what it last heard: `step: answer` → how many. */
  givenUpAt: Record<string, number>;
  repeats: number;
}

export const WAREHOUSE = 'WH-LIXIAN-ORIGIN';
const BANDS = [
  { grade: 'premium', share: 0.4 },
  { grade: 'grade_1', share: 0.35 },
  { grade: 'grade_2', share: 0.2 },
];

/**
 * A steady load: every `lotEveryMs` a cooperative logs a lot and, once grading knows it, the grading
 * line grades it (so stock keeps appearing at the origin warehouse); every `orderEveryMs` a buyer
 * orders against that stock. Each request runs as its own task, so a stalled one never slows the
 * rate. Everything answered 2xx is recorded.
 */
export class Load {
  readonly lots: AcceptedLot[] = [];
  readonly orders: AcceptedOrder[] = [];
  private readonly tasks = new Set<Promise<void>>();
  /** Tasks at each step now (see `during`), so a slow stop says what it waits for. */
  private readonly underWay = new Map<string, number>();
  private readonly givenUpAt = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private stoppedAt = 0;
  private seq = 0;
  private readonly f = {
    lotsSent: 0,
    lotsRefused: 0,
    lotsGivenUp: 0,
    gradingsGivenUp: 0,
    gradingsFoundDone: 0,
    ordersSent: 0,
    ordersRefused: 0,
    ordersGivenUp: 0,
  };
  private manager!: ChaosClient;
  private line!: ChaosClient;
  private buyer!: ChaosClient;
  private coop!: { id: string; growerId: string; orchardId: string };
  readonly refusals: string[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly opts: {
      lotEveryMs: number;
      orderEveryMs: number;
      graceMs: number;
      runId: string;
      log?: (line: string) => void;
    },
  ) {}

  private readonly giveUp = () => this.stoppedAt > 0 && Date.now() > this.stoppedAt + this.opts.graceMs;

  /** A cooperative with a grower and an orchard, made before any fault. */
  async prepare(): Promise<void> {
    const ops = new ChaosClient(this.stack, { role: 'ops', sub: 'ops-chaos' }, this.giveUp);
    const coop = await ops.create<{ id: string }>('harvest-intake', '/v1/cooperatives', {
      name: 'Lixian Chaos Apple Cooperative',
      county: 'CN-GS-LIXIAN',
      province: 'Gansu',
      location: { lat: 34.19, lon: 105.18 },
    });
    if (coop?.status !== 201) throw new Error(`cooperative: ${JSON.stringify(coop)}`);
    this.manager = new ChaosClient(
      this.stack,
      { role: 'coop_manager', coop: coop.body.id, sub: 'manager-chaos' },
      this.giveUp,
    );
    const grower = await this.manager.create<{ id: string }>(
      'harvest-intake',
      `/v1/cooperatives/${coop.body.id}/growers`,
      { name: 'Li Chaos', phone: '+86 138 0931 0099' },
    );
    const orchard = await this.manager.create<{ id: string }>(
      'harvest-intake',
      `/v1/cooperatives/${coop.body.id}/orchards`,
      {
        growerId: grower?.body.id,
        name: 'Chaos terrace',
        areaMu: 30,
        location: { lat: 34.13, lon: 105.12 },
        produce: 'apple',
        variety: 'Fuji',
      },
    );
    if (grower?.status !== 201 || orchard?.status !== 201)
      throw new Error(`grower/orchard: ${JSON.stringify([grower, orchard])}`);
    this.coop = { id: coop.body.id, growerId: grower.body.id, orchardId: orchard.body.id };
    this.line = new ChaosClient(
      this.stack,
      { role: 'grading_line', warehouses: [WAREHOUSE], sub: 'line-chaos' },
      this.giveUp,
    );
    this.buyer = new ChaosClient(
      this.stack,
      { role: 'buyer', buyer: 'BUYER-CHAOS', sub: 'buyer-chaos' },
      this.giveUp,
    );
  }

  start(): void {
    this.timers = [
      setInterval(() => this.spawn(() => this.lot()), this.opts.lotEveryMs),
      setInterval(() => this.spawn(() => this.order()), this.opts.orderEveryMs),
    ];
  }

  /** Stops starting requests; the ones under way get `graceMs` more to be answered. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.stoppedAt = Date.now();
    while (this.tasks.size > 0) {
      const all = Promise.all([...this.tasks]);
      const tick = new Promise<'tick'>((r) => setTimeout(() => r('tick'), 5000).unref());
      if ((await Promise.race([all, tick])) !== 'tick') continue;
      const steps = [...this.underWay].filter(([, n]) => n > 0).map(([step, n]) => `${step} ${n}`);
      this.opts.log?.(
        `load stopping for ${Math.round((Date.now() - this.stoppedAt) / 1000)} s: ${this.tasks.size} task(s) under way (${steps.join(', ')})`,
      );
    }
  }

  /** Runs one step of a task, counted in `underWay` while it runs. */
  private async during<T>(step: string, f: () => Promise<T>): Promise<T> {
    this.underWay.set(step, (this.underWay.get(step) ?? 0) + 1);
    try {
      return await f();
    } finally {
      this.underWay.set(step, (this.underWay.get(step) ?? 1) - 1);
    }
  }

  private gaveUp(at: string): void {
    this.givenUpAt.set(at, (this.givenUpAt.get(at) ?? 0) + 1);
  }

  figures(): LoadFigures {
    return {
      lotsSent: this.f.lotsSent,
      lotsAccepted: this.lots.length,
      lotsRefused: this.f.lotsRefused,
      lotsGivenUp: this.f.lotsGivenUp,
      gradingsAccepted: this.lots.filter((l) => l.graded && !l.graded.lostAnswer).length,
      gradingsFoundDone: this.f.gradingsFoundDone,
      gradingsGivenUp: this.f.gradingsGivenUp,
      ordersSent: this.f.ordersSent,
      ordersAccepted: this.orders.length,
      ordersRefused: this.f.ordersRefused,
      ordersGivenUp: this.f.ordersGivenUp,
      givenUpAt: Object.fromEntries(this.givenUpAt),
      repeats: ChaosClient.repeats,
    };
  }

  private spawn(task: () => Promise<void>): void {
    const p: Promise<void> = task()
      .catch((err: unknown) => {
        this.refusals.push(`task failed: ${String(err)}`);
      })
      .finally(() => this.tasks.delete(p));
    this.tasks.add(p);
  }

  private async lot(): Promise<void> {
    const n = ++this.seq;
    // A marker per client request, so the store can be searched for two lots made of one request.
    const marker = `chaos-${this.opts.runId}-lot-${n}`;
    const quantityKg = 800 + 10 * Math.floor(Math.random() * 40);
    this.f.lotsSent++;
    const r = await this.during('lot POST', () =>
      this.manager.create<{ id: string }>('harvest-intake', '/v1/lots', {
        cooperativeId: this.coop.id,
        growerId: this.coop.growerId,
        orchardId: this.coop.orchardId,
        produce: 'apple',
        variety: 'Fuji',
        harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
        quantityKg,
        originWarehouseId: WAREHOUSE,
        notes: marker,
      }),
    );
    if (!r) {
      this.gaveUp('lot POST: no final answer');
      return void this.f.lotsGivenUp++;
    }
    if (r.status !== 201) {
      this.f.lotsRefused++;
      this.refusals.push(`lot ${marker}: ${r.status} ${JSON.stringify(r.body)}`);
      return;
    }
    const lot: AcceptedLot = { marker, id: r.body.id, quantityKg };
    this.lots.push(lot);

    // The grading line grades it once grading has heard of it (over Kafka).
    for (;;) {
      const g = await this.during('grading view', () =>
        this.line.get<{ status: string }>('grading', `/v1/lots/${lot.id}/grading`),
      );
      if (!g) {
        this.gaveUp('grading view: no final answer');
        return void this.f.gradingsGivenUp++;
      }
      if (g.status === 200) break;
      if (g.status !== 404) {
        this.refusals.push(`grading view ${lot.id}: ${g.status} ${JSON.stringify(g.body)}`);
        return;
      }
      if (this.giveUp()) {
        this.gaveUp('grading view: 404 (grading has not heard of the lot)');
        return void this.f.gradingsGivenUp++;
      }
      await this.during('grading view: 404, asking again', () => sleep(300));
    }
    const bands = BANDS.map((b) => ({ grade: b.grade, quantityKg: Math.round(quantityKg * b.share) }));
    const graded = await this.during('grading POST', () =>
      this.line.create<{
        subLots: Array<{ id: string; grade: string; quantityKg: number }>;
        cullKg: number;
        type?: string;
      }>('grading', `/v1/lots/${lot.id}/grading`, { bands }),
    );
    if (!graded) {
      this.gaveUp('grading POST: no final answer');
      return void this.f.gradingsGivenUp++;
    }
    if (graded.status === 201) {
      lot.graded = { subLots: graded.body.subLots, cullKg: graded.body.cullKg, lostAnswer: false };
      return;
    }
    // A repeat after a crash that had already graded it: the answer was lost, the grading was not.
    if (graded.status === 409 && String(graded.body.type).endsWith('lot-not-pending')) {
      const view = await this.line.get<{
        status: string;
        subLots: Array<{ id: string; grade: string; quantityKg: number }>;
        cullKg: number;
      }>('grading', `/v1/lots/${lot.id}/grading`);
      if (view?.status === 200 && view.body.status === 'graded') {
        this.f.gradingsFoundDone++;
        lot.graded = { subLots: view.body.subLots, cullKg: view.body.cullKg, lostAnswer: true };
        return;
      }
    }
    this.refusals.push(`grading ${lot.id}: ${graded.status} ${JSON.stringify(graded.body)}`);
  }

  private async order(): Promise<void> {
    const n = ++this.seq;
    const marker = `chaos-${this.opts.runId}-order-${n}`;
    const quantityKg = 20 + 5 * Math.floor(Math.random() * 12);
    this.f.ordersSent++;
    const r = await this.during('order POST', () =>
      this.buyer.create<{ id: string; status: string }>('order-routing', '/v1/orders', {
        channel: 'retail',
        destination: { city: "Xi'an", address: marker, location: { lat: 34.34, lon: 108.94 } },
        lines: [{ produce: 'apple', minGrade: 'grade_2', quantityKg }],
      }),
    );
    if (!r) {
      this.gaveUp('order POST: no final answer');
      return void this.f.ordersGivenUp++;
    }
    if (r.status !== 202) {
      this.f.ordersRefused++;
      this.refusals.push(`order ${marker}: ${r.status} ${JSON.stringify(r.body)}`);
      return;
    }
    this.orders.push({ marker, id: r.body.id, quantityKg });
  }
}
