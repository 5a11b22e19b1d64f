import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { ParentBasedSampler, SamplingDecision } from '@opentelemetry/sdk-trace';
import { chooseSampler, DEFAULT_TRACES_PER_SECOND, RateLimitingSampler } from './sampler';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('RateLimitingSampler', () => {
  let clock = 0;
  const now = () => clock;
  const sampledOf = (sampler: RateLimitingSampler, n: number) =>
    Array.from({ length: n }, () => sampler.shouldSample()).filter(
      (r) => r.decision === SamplingDecision.RECORD_AND_SAMPLED,
    ).length;

  beforeEach(() => (clock = 1_000));

  it('traces the first `perSecond` of a burst and records nothing of the rest', () => {
    const sampler = new RateLimitingSampler(10, now);
    expect(sampledOf(sampler, 1_000)).toBe(10);
    expect(sampler.shouldSample().decision).toBe(SamplingDecision.NOT_RECORD);
  });

  it('refills continuously, and holds no more than one second of tokens however long it was quiet', () => {
    const sampler = new RateLimitingSampler(10, now);
    sampledOf(sampler, 10);
    clock += 500;
    expect(sampledOf(sampler, 100)).toBe(5);
    clock += 60_000;
    expect(sampledOf(sampler, 100)).toBe(10);
  });

  it('under a steady load samples `perSecond` a second', () => {
    const sampler = new RateLimitingSampler(100, now);
    sampledOf(sampler, 100);
    let sampled = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      clock += 1; // a thousand spans a second, one every millisecond
      sampled += sampledOf(sampler, 1);
    }
    expect(sampled).toBeGreaterThanOrEqual(999);
    expect(sampled).toBeLessThanOrEqual(1_000);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimitingSampler(0)).toThrow(/perSecond/);
    expect(() => new RateLimitingSampler(Number.NaN)).toThrow(/perSecond/);
  });
});

describe('chooseSampler', () => {
  const parent = (flags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE,
      spanId: 'b7ad6b7169203331',
      traceFlags: flags,
      isRemote: true,
    });
  const decide = (sampler: ReturnType<typeof chooseSampler>, ctx = context.active()) =>
    sampler?.shouldSample(ctx, TRACE, 'POST /v1/lots', SpanKind.SERVER, {}, []).decision;

  it('by default follows the parent and starts at most 10 new traces a second', () => {
    const sampler = chooseSampler({});
    expect(sampler).toBeInstanceOf(ParentBasedSampler);
    expect(sampler?.toString()).toContain(`RateLimitingSampler{${DEFAULT_TRACES_PER_SECOND}/s}`);
    const roots = Array.from({ length: 500 }, () => decide(sampler, ROOT_CONTEXT));
    // Within the same instant (a test runs well under the 100 ms a token takes to come back).
    expect(roots.filter((d) => d === SamplingDecision.RECORD_AND_SAMPLED).length).toBeGreaterThanOrEqual(
      DEFAULT_TRACES_PER_SECOND,
    );
    expect(roots.filter((d) => d === SamplingDecision.RECORD_AND_SAMPLED).length).toBeLessThan(
      DEFAULT_TRACES_PER_SECOND + 2,
    );
    // The bucket is empty, yet a sampled parent's trace goes on whole, and an unsampled one stays out.
    expect(decide(sampler, parent(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, parent(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('takes FIRSTMILE_TRACES_PER_SECOND, 0 leaving the SDK its default (every trace)', () => {
    expect(chooseSampler({ FIRSTMILE_TRACES_PER_SECOND: '5' })?.toString()).toContain(
      'RateLimitingSampler{5/s}',
    );
    expect(chooseSampler({ FIRSTMILE_TRACES_PER_SECOND: '0' })).toBeUndefined();
    expect(() => chooseSampler({ FIRSTMILE_TRACES_PER_SECOND: 'lots' })).toThrow(
      /FIRSTMILE_TRACES_PER_SECOND=lots/,
    );
  });

  it('leaves the choice to the SDK when OTEL_TRACES_SAMPLER names a standard sampler', () => {
    expect(
      chooseSampler({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', FIRSTMILE_TRACES_PER_SECOND: '5' }),
    ).toBeUndefined();
  });
});
