import { createOnce, isDuplicateKey } from './errors';

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

describe('createOnce', () => {
  const model = (outcome: unknown) => ({ create: () => (outcome === undefined ? Promise.resolve({}) : Promise.reject(outcome)) });

  it('says whether this call created the document, and throws anything but a duplicate', async () => {
    await expect(createOnce(model(undefined), {})).resolves.toBe(true);
    await expect(createOnce(model({ code: 11000 }), {})).resolves.toBe(false);
    await expect(createOnce(model(new Error('store down')), {})).rejects.toThrow('store down');
  });
});
