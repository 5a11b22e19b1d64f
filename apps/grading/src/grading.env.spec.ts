import { validateEnv } from '@firstmile/config';
import { READ_MODEL_FETCH_MIN_BYTES } from '@firstmile/messaging';
import { GradingEnv } from './grading.env';

describe('GradingEnv', () => {
  const parse = validateEnv(GradingEnv);

  it('reads SEED_REFERENCE_DATA as every service does (`off` was true here)', () => {
    expect(parse({ SEED_REFERENCE_DATA: 'off' }).SEED_REFERENCE_DATA).toBe(false);
    expect(parse({ SEED_REFERENCE_DATA: 'yes' }).SEED_REFERENCE_DATA).toBe(true);
    expect(() => parse({ SEED_REFERENCE_DATA: 'sometimes' })).toThrow(/SEED_REFERENCE_DATA=sometimes/);
  });

  it('fetches its events a quarter of a second at a time under load, unless told otherwise', () => {
    expect(parse({}).KAFKA_FETCH_MIN_BYTES).toBe(READ_MODEL_FETCH_MIN_BYTES);
    expect(parse({ KAFKA_FETCH_MIN_BYTES: '1' }).KAFKA_FETCH_MIN_BYTES).toBe(1);
    expect(() => parse({ KAFKA_FETCH_MIN_BYTES: '0' })).toThrow(/KAFKA_FETCH_MIN_BYTES/);
  });
});
