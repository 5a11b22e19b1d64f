import { newTraceCode } from './trace-code';

describe('newTraceCode', () => {
  it('is 12 URL-safe Crockford base32 characters', () => {
    for (let i = 0; i < 1000; i++) expect(newTraceCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
  });

  it('does not repeat and uses the whole alphabet', () => {
    const codes = Array.from({ length: 20_000 }, newTraceCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(codes.join('')).size).toBe(32);
  });
});
