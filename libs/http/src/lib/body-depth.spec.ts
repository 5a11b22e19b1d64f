import { MAX_BODY_DEPTH, nestedDeeperThan } from './body-depth';

const nested = (depth: number, open = '[', close = ']') => JSON.parse(`${open.repeat(depth)}${close.repeat(depth)}`) as unknown;

describe('nestedDeeperThan', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(nestedDeeperThan(1, 0)).toBe(false);
    expect(nestedDeeperThan('x'.repeat(10), 0)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [1, { b: [] }] }, 3)).toBe(true);
  });

  it('allows exactly the limit and refuses one more', () => {
    expect(nestedDeeperThan(nested(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_BODY_DEPTH + 1), MAX_BODY_DEPTH)).toBe(true);
  });

  it('answers for a body nested far deeper than the stack allows recursion', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`) as unknown;
    expect(nestedDeeperThan(deep, MAX_BODY_DEPTH)).toBe(true);
  });
});
