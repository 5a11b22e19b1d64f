import { validateEnv } from '@firstmile/config';
import { MongoEnv } from './mongo.env';
import { OutboxRelayModule } from './outbox-relay.module';

describe('OUTBOX_POLL_MS', () => {
  const saved = process.env['OUTBOX_POLL_MS'];
  afterEach(() => {
    if (saved === undefined) delete process.env['OUTBOX_POLL_MS'];
    else process.env['OUTBOX_POLL_MS'] = saved;
  });

  it('stops the start when it is not a whole number of at least 10 ms (abc was NaN: a scan every millisecond)', () => {
    process.env['OUTBOX_POLL_MS'] = 'abc';
    expect(() => OutboxRelayModule.forModels([], [])).toThrow('OUTBOX_POLL_MS=abc: a whole number is needed');
    expect(() => validateEnv(MongoEnv)({ OUTBOX_POLL_MS: 'abc' })).toThrow('OUTBOX_POLL_MS=abc: a whole number is needed');
  });

  it('is 5 s unless set', () => {
    delete process.env['OUTBOX_POLL_MS'];
    expect(() => OutboxRelayModule.forModels([], [])).not.toThrow();
    expect(validateEnv(MongoEnv)({}).OUTBOX_POLL_MS).toBe(5000);
  });
});
