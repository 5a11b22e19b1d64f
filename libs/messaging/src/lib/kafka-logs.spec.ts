import { Logger } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { kafkaLogs } from './messaging.module';

describe('kafkajs logs', () => {
  let error: jest.SpyInstance;
  let warn: jest.SpyInstance;
  const log = kafkaLogs(logLevel.INFO);
  const entry = (level: logLevel, message: string, extra: Record<string, unknown>) =>
    log({ namespace: 'Connection', level, label: 'ERROR', log: { timestamp: '', logger: 'kafkajs', message, ...extra } });

  beforeEach(() => {
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('says once, at warn, what a fresh start waits for, instead of an error per retry', () => {
    for (let i = 0; i < 20; i++) {
      entry(logLevel.ERROR, 'Response ListOffsets(key: 2, version: 3)', { broker: '127.0.0.1:9092', error: 'This server is not the leader for that topic-partition' });
    }
    entry(logLevel.ERROR, 'Response FindCoordinator', { broker: '127.0.0.1:9092', error: 'The group coordinator is not available' });
    // A second replica joining the group: each member's heartbeat is told to rejoin.
    for (let i = 0; i < 5; i++) entry(logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', { broker: '127.0.0.1:9092', error: 'The group is rebalancing, so a rejoin is needed' });
    expect(error).not.toHaveBeenCalled();
    expect(warn.mock.calls.map(([line]) => line)).toEqual([
      'waiting for the partition leader to be known (kafkajs retries): 127.0.0.1:9092 answered "This server is not the leader for that topic-partition"',
      'waiting for the group coordinator (kafkajs retries): 127.0.0.1:9092 answered "The group coordinator is not available"',
      'the group is sharing its partitions out again (kafkajs rejoins): 127.0.0.1:9092 answered "The group is rebalancing, so a rejoin is needed"',
    ]);
  });

  it('says at warn that a consumer crashed on a settling answer and is restarted by kafkajs', () => {
    entry(logLevel.ERROR, "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group", {
      groupId: 'order-routing.orders',
      stack: '…',
    });
    entry(logLevel.ERROR, 'Restarting the consumer in 200ms', { retryTime: 200, groupId: 'order-routing.orders' });
    expect(error).not.toHaveBeenCalled();
    // The restart is what the warn line already promised: not a second line.
    expect(warn.mock.calls.map(([line]) => line)).toEqual([
      'waiting for the group coordinator to load (kafkajs retries): order-routing.orders answered "The coordinator is loading and hence can\'t process requests for this group"',
    ]);
  });

  it('says once, at warn, that it waits for a broker that is down or restarting, however many retries and consumers', () => {
    const refused = 'Connection error: connect ECONNREFUSED 127.0.0.1:9092';
    for (let i = 0; i < 30; i++) {
      entry(logLevel.ERROR, refused, { broker: '127.0.0.1:9092', clientId: 'grading', stack: 'Error: connect ECONNREFUSED' });
      entry(logLevel.ERROR, `Failed to connect to seed broker, trying another broker from the list: ${refused}`, { retryCount: i, retryTime: 200 });
      entry(logLevel.ERROR, 'Connection timeout', { broker: '127.0.0.1:9092', clientId: 'grading' });
    }
    for (const groupId of ['grading.harvest.lots', 'grading.retry.1']) {
      entry(logLevel.ERROR, `Crash: KafkaJSNonRetriableError: ${refused}`, { groupId, stack: '…' });
      entry(logLevel.ERROR, 'Restarting the consumer in 1000ms', { retryTime: 1000, groupId });
      entry(logLevel.ERROR, 'Crash: KafkaJSNonRetriableError: Failed to find group coordinator', { groupId, stack: '…' });
    }
    expect(error).not.toHaveBeenCalled();
    expect(warn.mock.calls.map(([line]) => line)).toEqual([
      `waiting for the broker to accept connections (kafkajs connects again): 127.0.0.1:9092 answered "${refused}"`,
      'waiting for the group coordinator (the consumer is started again): grading.harvest.lots answered "Failed to find group coordinator"',
    ]);
  });

  it('says it again after a minute if it still waits', () => {
    const fresh = kafkaLogs(logLevel.INFO);
    const timeout = () =>
      fresh({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: '', logger: 'kafkajs', message: 'Connection timeout', broker: '127.0.0.1:9092' } });
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    timeout();
    now.mockReturnValue(1_059_000);
    timeout();
    now.mockReturnValue(1_061_000);
    timeout();
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('keeps kafkajs restarting a consumer after an unknown crash at warn, after its error', () => {
    entry(logLevel.ERROR, 'Crash: KafkaJSError: something new', { groupId: 'grading.harvest.lots' });
    entry(logLevel.ERROR, 'Restarting the consumer in 200ms', { retryTime: 200, groupId: 'grading.harvest.lots' });
    expect(error).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls.map(([line]) => line)).toEqual([expect.stringMatching(/^Restarting the consumer in 200ms/)]);
  });

  it('keeps every other error an error', () => {
    entry(logLevel.ERROR, 'Crash: KafkaJSNonRetriableError', { groupId: 'grading.harvest.lots', error: 'The coordinator is not aware of this member' });
    entry(logLevel.ERROR, 'Response Produce', { broker: '127.0.0.1:9092', error: 'Topic authorization failed' });
    expect(error).toHaveBeenCalledTimes(2);
    expect(warn).not.toHaveBeenCalled();
  });
});
