import { ConfigService } from '@nestjs/config';
import { leanInsertRecorder } from '@firstmile/testing';
import type { CooperativesService } from '../cooperatives/cooperatives.service';
import { LotSchema } from './lot.schema';
import { LotsRepository } from './lots.repository';
import { LotsService } from './lots.service';

const coop = {
  _id: 'COOP-LX',
  name: 'Lixian Apple Cooperative',
  county: 'Lixian',
  province: 'Gansu',
  location: { lat: 34.19, lon: 105.17 },
  growers: [{ id: 'GR-1', name: 'Wang Fang' }],
  orchards: [{ id: 'OR-1', name: 'South slope', growerId: 'GR-1', location: { lat: 34.2, lon: 105.2 } }],
  createdAt: new Date('2026-01-01T00:00:00Z'),
};
const config = new ConfigService({ PRODUCE_CATALOG: 'apple,passion_fruit', MAX_HARVEST_AGE_DAYS: 30 });
const manager = { sub: 'manager-1', role: 'coop_manager' as const, coop: coop._id };
const dto = {
  cooperativeId: coop._id,
  growerId: 'GR-1',
  orchardId: 'OR-1',
  produce: 'apple',
  variety: 'Fuji',
  harvestedAt: '2026-10-01T08:00:00Z',
  quantityKg: 1250.5,
  originWarehouseId: 'WH-LIXIAN-ORIGIN',
};

describe('LotsRepository.insert', () => {
  // The insert is lean (GroupCommit): what the service logs must already be what mongoose would store.
  it.each([
    ['without the optional fields or a key', dto, undefined],
    ['with crates, notes and an Idempotency-Key', { ...dto, crates: 60, notes: 'north rows' }, { seed: 'seed-1', bodyHash: 'hash-1' }],
  ])('stores a logged lot %s as mongoose would', async (_, body, claim) => {
    const lots = leanInsertRecorder('Lot', LotSchema);
    const service = new LotsService(new LotsRepository(lots.Model), { get: async () => coop } as unknown as CooperativesService, config as never);
    await service.log(manager, body, claim, new Date('2026-10-02T00:00:00Z'));
    const { inserted } = lots;
    expect(inserted).toHaveLength(1);
    expect(lots.notLean()).toEqual([]);
    expect(lots.notStored()).toEqual([]);
    expect(inserted[0]).toMatchObject({ outboxSize: 1, appliedEvents: [], status: 'logged', ...(claim ? { requestHash: 'hash-1' } : {}) });
  });
});
