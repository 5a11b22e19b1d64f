/**
 * patches/kafkajs+2.2.4.patch: an idle request queue schedules no check of its pending requests.
 * Unpatched, every check scheduled the next one 1 ms later for as long as the connection lived.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  destroy(): void;
};

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () =>
  new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'localhost:9092', logger, isConnected: () => true });

describe('kafkajs RequestQueue (patched)', () => {
  it('schedules no check while nothing waits and nothing is throttled', () => {
    const q = queue();
    q.checkPendingRequests();
    const scheduled = q.throttleCheckTimeoutId;
    q.destroy(); // unpatched, the 1 ms loop would keep the test running
    expect(scheduled).toBeNull();
  });

  it('still checks again when the broker throttles, or a request waits', () => {
    const throttled = queue();
    throttled.throttledUntil = Date.now() + 1_000;
    throttled.checkPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    throttled.destroy();

    const waiting = queue();
    waiting.throttledUntil = Date.now() + 1_000;
    waiting.pending.push({});
    waiting.checkPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    waiting.destroy();
  });
});
