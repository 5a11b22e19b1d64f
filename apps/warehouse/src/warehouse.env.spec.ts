import { validateEnv } from '@firstmile/config';
import { WarehouseEnv } from './warehouse.env';

describe('WarehouseEnv', () => {
  const parse = validateEnv(WarehouseEnv);

  it('reads SEED_REFERENCE_DATA as every service does (`yes` was false here)', () => {
    expect(parse({ SEED_REFERENCE_DATA: 'yes' }).SEED_REFERENCE_DATA).toBe(true);
    expect(parse({ SEED_REFERENCE_DATA: 'off' }).SEED_REFERENCE_DATA).toBe(false);
    expect(() => parse({ SEED_REFERENCE_DATA: 'sometimes' })).toThrow(/SEED_REFERENCE_DATA=sometimes: one of true, 1, yes, on, false, 0, no, off/);
  });
});
