import { validateEnv } from '@firstmile/config';
import { READ_MODEL_FETCH_MIN_BYTES } from '@firstmile/messaging';
import { InsightsEnv } from './insights.env';

describe('InsightsEnv', () => {
  const parse = validateEnv(InsightsEnv);

  it('fetches its events a quarter of a second at a time under load, unless told otherwise', () => {
    expect(parse({}).KAFKA_FETCH_MIN_BYTES).toBe(READ_MODEL_FETCH_MIN_BYTES);
    expect(parse({ KAFKA_FETCH_MIN_BYTES: '65536' }).KAFKA_FETCH_MIN_BYTES).toBe(65_536);
  });
});
