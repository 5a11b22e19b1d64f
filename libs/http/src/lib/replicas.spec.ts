import { isReplica, replicasWanted } from './replicas';

describe('REPLICAS', () => {
  it('is one process unless a count above one is given', () => {
    expect([undefined, '', ' ', '1'].map((v) => replicasWanted(v))).toEqual([1, 1, 1, 1]);
    expect(replicasWanted('2')).toBe(2);
  });

  it('refuses at start-up what is not a whole number from 1 to 64', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '65'])
      expect(() => replicasWanted(bad)).toThrow(`REPLICAS=${bad}`);
  });

  it('is not a replica outside a cluster worker (jest, Kubernetes pods)', () => {
    expect(isReplica()).toBe(false);
  });
});
