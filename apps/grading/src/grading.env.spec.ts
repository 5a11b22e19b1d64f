import { validateEnv } from '@firstmile/config';
import { GradingEnv } from './grading.env';

describe('GradingEnv', () => {
  const parse = validateEnv(GradingEnv);

  it('reads SEED_REFERENCE_DATA as every service does (`off` was true here)', () => {
    expect(parse({ SEED_REFERENCE_DATA: 'off' }).SEED_REFERENCE_DATA).toBe(false);
    expect(parse({ SEED_REFERENCE_DATA: 'yes' }).SEED_REFERENCE_DATA).toBe(true);
    expect(() => parse({ SEED_REFERENCE_DATA: 'sometimes' })).toThrow(/SEED_REFERENCE_DATA=sometimes/);
  });
});
