import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { KafkaEnv } from './kafka.env';

const errorsOf = (env: Record<string, string>) =>
  validateSync(plainToInstance(KafkaEnv, env)).map((e) => e.property);

describe('KafkaEnv: the SASL login', () => {
  it('needs nothing without a mechanism (the embedded broker and tests)', () => {
    expect(errorsOf({})).toEqual([]);
  });

  it('needs a user and a password of at least 8 characters once a mechanism is set', () => {
    expect(errorsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' }).sort()).toEqual(['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
    expect(errorsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'grading', KAFKA_SASL_PASSWORD: 'short' })).toEqual(['KAFKA_SASL_PASSWORD']);
    expect(errorsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'grading', KAFKA_SASL_PASSWORD: 'a-long-secret' })).toEqual([]);
  });

  it('refuses mechanisms other than SCRAM', () => {
    expect(errorsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p4ssw0rd!' })).toEqual(['KAFKA_SASL_MECHANISM']);
  });
});

describe('KafkaEnv: the fetch size', () => {
  it('hands each record over as soon as it is there unless a service asks for more', () => {
    expect(plainToInstance(KafkaEnv, {}, { exposeDefaultValues: true }).KAFKA_FETCH_MIN_BYTES).toBe(1);
    expect(errorsOf({ KAFKA_FETCH_MIN_BYTES: '0' })).toEqual(['KAFKA_FETCH_MIN_BYTES']);
  });
});
