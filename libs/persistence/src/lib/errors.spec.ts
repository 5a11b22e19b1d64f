import { isDuplicateKey } from './errors';

describe('isDuplicateKey', () => {
  it('knows a single insert that hit a unique index', () => {
    expect(isDuplicateKey({ code: 11000 })).toBe(true);
    expect(isDuplicateKey({ code: 121 })).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });

  it('counts a bulk write as a duplicate only when every write error is one, in either shape', () => {
    expect(isDuplicateKey({ code: 11000, writeErrors: [{ code: 11000 }, { err: { code: 11000 }, index: 1 }] })).toBe(true);
    expect(isDuplicateKey({ code: 11000, writeErrors: { err: { code: 11000 } } })).toBe(true);
    expect(isDuplicateKey({ code: 11000, writeErrors: [{ code: 11000 }, { err: { code: 121 }, index: 1 }] })).toBe(false);
    expect(isDuplicateKey({ code: 11000, writeErrors: [] })).toBe(false);
  });
});
