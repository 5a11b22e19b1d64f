import { KeyedLock } from './keyed-lock';

describe('KeyedLock', () => {
  it('runs work for one key one at a time, in order, and keys independently', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let inside = 0;
    let most = 0;
    const job = (key: string, n: number) =>
      lock.run(key, async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 2));
        log.push(`${key}${n}`);
        inside--;
        if (n === 2) throw new Error('boom');
        return n;
      });
    const results = await Promise.allSettled([job('a', 1), job('a', 2), job('a', 3), job('b', 1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(log.filter((x) => x.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(most).toBe(2); // a and b overlap, never two a's
    await new Promise((r) => setTimeout(r, 0));
    expect(lock.size).toBe(0);
  });
});
