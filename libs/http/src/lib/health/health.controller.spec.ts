import type { ConfigService } from '@nestjs/config';
import { HealthCheckService, HealthIndicatorService, type MongooseHealthIndicator } from '@nestjs/terminus';
// Terminus' own executor (not exported from its index): the check runs as in a service.
import { HealthCheckExecutor } from '@nestjs/terminus/dist/health-check/health-check-executor.service';
import type { Kafka } from 'kafkajs';
import { HealthController } from './health.controller';

/** Terminus' own check service and indicators; MongoDB and Kafka stubbed, counting what a probe costs. */
function controller(readyCacheMs: number, mongoUp = true, connect: () => Promise<void> = async () => undefined) {
  const calls = { mongo: 0, kafka: 0 };
  const indicators = new HealthIndicatorService();
  const mongo = {
    pingCheck: async (key: string) => {
      calls.mongo += 1;
      await new Promise((r) => setTimeout(r, 20));
      return mongoUp ? indicators.check(key).up() : indicators.check(key).down({ message: 'no answer' });
    },
  } as unknown as MongooseHealthIndicator;
  const kafka = {
    admin: () => ({
      connect,
      disconnect: async () => undefined,
      describeCluster: async () => {
        calls.kafka += 1;
        return { brokers: [{}] };
      },
    }),
  } as unknown as Kafka;
  const health = new HealthCheckService(new HealthCheckExecutor(), { getErrorMessage: (m: string) => m } as never, { log: () => undefined, error: () => undefined } as never);
  const config = { get: () => readyCacheMs } as unknown as ConfigService<never, true>;
  return { health: new HealthController(health, mongo, indicators, kafka, config), calls };
}

// Issue 22.4: /health/ready is public and not rate-limited, and every probe pinged MongoDB and Kafka.
describe('GET /health/ready', () => {
  it('answers a flood of probes with one ping of each', async () => {
    const { health, calls } = controller(1_000);
    const answers = await Promise.all(Array.from({ length: 50 }, () => health.ready()));
    expect(answers.every((a) => a.status === 'ok')).toBe(true);
    expect(calls).toEqual({ mongo: 1, kafka: 1 });
    await health.ready();
    expect(calls).toEqual({ mongo: 1, kafka: 1 });
  });

  it('asks again once the answer is READY_CACHE_MS old', async () => {
    const { health, calls } = controller(50);
    await health.ready();
    await new Promise((r) => setTimeout(r, 80));
    await health.ready();
    expect(calls).toEqual({ mongo: 2, kafka: 2 });
  });

  it('keeps a down answer too: every probe in the window gets 503, for one ping', async () => {
    const { health, calls } = controller(1_000, false);
    const answers = await Promise.allSettled(Array.from({ length: 10 }, () => health.ready()));
    expect(answers.every((a) => a.status === 'rejected' && (a.reason as { getStatus(): number }).getStatus() === 503)).toBe(true);
    expect(calls.mongo).toBe(1);
  });

  it('says down within 2 s when the broker does not take the connection (kafkajs retries a connect for a minute)', async () => {
    jest.useFakeTimers();
    try {
      const { health } = controller(0, true, () => new Promise<void>(() => undefined));
      const answer = health.ready().then(
        () => 'up',
        (err: { getResponse(): { details: { kafka: { status: string; message: string } } } }) => err.getResponse().details.kafka,
      );
      await jest.advanceTimersByTimeAsync(2_000);
      await expect(answer).resolves.toEqual({ status: 'down', message: 'timed out' });
    } finally {
      jest.useRealTimers();
    }
  });
});
