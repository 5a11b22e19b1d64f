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
    expect(warn.mock.calls.map(([line]) => line)).toEqual([
      'waiting for the group coordinator to load (kafkajs retries): order-routing.orders answered "The coordinator is loading and hence can\'t process requests for this group"',
      expect.stringMatching(/^Restarting the consumer in 200ms \{.*"groupId":"order-routing.orders"\}$/),
    ]);
  });

  it('keeps every other error an error', () => {
    entry(logLevel.ERROR, 'Crash: KafkaJSNonRetriableError', { groupId: 'grading.harvest.lots', error: 'The coordinator is not aware of this member' });
    entry(logLevel.ERROR, 'Response Produce', { broker: '127.0.0.1:9092', error: 'Topic authorization failed' });
    expect(error).toHaveBeenCalledTimes(2);
    expect(warn).not.toHaveBeenCalled();
  });
});
