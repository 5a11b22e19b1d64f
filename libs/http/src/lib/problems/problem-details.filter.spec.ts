import type { ArgumentsHost, Logger } from '@nestjs/common';
import { ProblemDetailsFilter, STORE_RETRY_AFTER_S, toProblem } from './problem-details.filter';
import { PROBLEM_CONTENT_TYPE } from './problem';

/** What the driver throws while the store is away (the name is what tells it apart). */
const storeAway = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoServerSelectionError' });

class FakeReply {
  readonly headers = new Map<string, string>();
  statusCode = 200;
  body: unknown;
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  header(name: string, value: string) {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
  hasHeader(name: string) {
    return this.headers.has(name.toLowerCase());
  }
  send(body: unknown) {
    this.body = body;
    return this;
  }
}

const httpHost = (reply: FakeReply) =>
  ({
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => ({ url: '/v1/orders?x=1' }), getResponse: () => reply }),
  }) as unknown as ArgumentsHost;

describe('ProblemDetailsFilter: the store does not answer', () => {
  const logger = { warn: jest.fn(), error: jest.fn() };

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-12-05T15:00:00Z') });
    logger.warn.mockClear();
    logger.error.mockClear();
  });
  afterEach(() => jest.useRealTimers());

  it('answers 503 problem+json with Retry-After, not a 500', () => {
    const reply = new FakeReply();
    const filter = new ProblemDetailsFilter();
    (filter as unknown as { logger: typeof logger }).logger = logger;
    filter.catch(storeAway(), httpHost(reply));
    expect(reply.statusCode).toBe(503);
    expect(reply.headers.get('retry-after')).toBe(String(STORE_RETRY_AFTER_S));
    expect(reply.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(reply.body).toMatchObject({ type: 'urn:firstmile:problem:unavailable', status: 503, instance: '/v1/orders' });
    expect(JSON.stringify(reply.body)).not.toContain('27017');
  });

  it('says so in the log once in a while, with how many requests it refused, never with a stack per request', () => {
    jest.advanceTimersByTime(60_000);
    for (let i = 0; i < 3; i++) expect(toProblem(storeAway(), logger as unknown as Logger).status).toBe(503);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    toProblem(storeAway(), logger as unknown as Logger);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.warn.mock.calls[1][0]).toContain('3 request(s) answered 503');
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('finds the store\'s absence in a bulk write\'s cause too (a group commit that could not connect)', () => {
    const bulk = Object.assign(new Error('bulk write failed'), { name: 'MongoBulkWriteError', cause: storeAway() });
    expect(toProblem(bulk).status).toBe(503);
  });

  it('still answers anything else unexpected with a bare 500, logged with its stack', () => {
    const reply = new FakeReply();
    const filter = new ProblemDetailsFilter();
    (filter as unknown as { logger: typeof logger }).logger = logger;
    filter.catch(new TypeError('x is not a function'), httpHost(reply));
    expect(reply.statusCode).toBe(500);
    expect(reply.hasHeader('retry-after')).toBe(false);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('TypeError: x is not a function'));
  });
});
