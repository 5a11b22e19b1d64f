import {
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';

/**
 * Samples at most `perSecond` new traces a second: a token bucket that refills continuously and
 * holds one second's worth, so a quiet service traces every request and a burst traces the first
 * `perSecond` of each second. What a trace costs (its spans recorded, queued, serialised, sent, and
 * held by the trace store) then stays bounded however hard a live-stream sale pushes, where a ratio
 * would grow with the load. The decision rides in `traceparent`, so a trace is whole or absent.
 */
export class RateLimitingSampler implements Sampler {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0)) throw new Error(`RateLimitingSampler: perSecond must be > 0 (${perSecond})`);
    this.tokens = perSecond;
    this.last = now();
  }

  shouldSample(): SamplingResult {
    const at = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((at - this.last) / 1000) * this.perSecond);
    this.last = at;
    if (this.tokens < 1) return { decision: SamplingDecision.NOT_RECORD };
    this.tokens -= 1;
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  toString(): string {
    return `RateLimitingSampler{${this.perSecond}/s}`;
  }
}

/** New traces a second each process starts when neither variable below says otherwise. */
export const DEFAULT_TRACES_PER_SECOND = 10;

export type Env = Record<string, string | undefined>;

/**
 * The sampler, unless `OTEL_TRACES_SAMPLER` names one of the standard ones (then the SDK builds it
 * from the environment: undefined here). Otherwise: follow the parent's decision (a request's
 * `traceparent`, an event's headers, a lot's stored trace), and start at most
 * `FIRSTMILE_TRACES_PER_SECOND` new traces a second (default 10; 0 means every one). Ten a second is
 * more than a person clicking through the console or curl makes. Under `npm run bench`, exporting
 * to Zipkin as `npm start` does, 100 a second gave 1,084 lots/s and a half-rate p99 of 380 ms, ten
 * 1,111/s and 345 ms (one run each; docs/benchmarks.md, step 18).
 */
export function chooseSampler(env: Env): Sampler | undefined {
  if (env['OTEL_TRACES_SAMPLER']) return undefined;
  const raw = env['FIRSTMILE_TRACES_PER_SECOND'];
  const perSecond = raw === undefined || raw.trim() === '' ? DEFAULT_TRACES_PER_SECOND : Number(raw);
  if (!Number.isFinite(perSecond) || perSecond < 0) {
    throw new Error(
      `FIRSTMILE_TRACES_PER_SECOND=${raw}: a number of traces a second (0: every trace) is needed`,
    );
  }
  if (perSecond === 0) return undefined;
  return new ParentBasedSampler({ root: new RateLimitingSampler(perSecond) });
}
