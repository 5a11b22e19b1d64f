import { ConfigService } from '@nestjs/config';
import type { LotLoggedV1 } from '@firstmile/contracts';
import { leanInsertRecorder } from '@firstmile/testing';
import { StandardsService } from '../standards/standards.service';
import { GradingLotSchema } from './lot.schema';
import { LotsRepository } from './lots.repository';
import { LotsService } from './lots.service';

const logged = (lotId: string, produce: string): LotLoggedV1 => ({
  lotId,
  cooperative: { id: 'COOP-LX', name: 'Lixian Apple Cooperative', county: 'Lixian', province: 'Gansu' },
  growerId: 'GR-1',
  growerName: 'Wang Fang',
  orchard: { id: 'OR-1', name: 'South slope', location: { lat: 34.2, lon: 105.2 } },
  produce,
  variety: 'Fuji',
  harvestedAt: '2026-10-01T08:00:00.000Z',
  quantityKg: 1250.5,
  crates: 60,
  originWarehouseId: 'WH-LIXIAN-ORIGIN',
  loggedAt: '2026-10-01T09:00:00.000Z',
});

describe('LotsService.onLogged', () => {
  // The insert is lean: each lot must already be what mongoose would store.
  it('stores the logged lots as mongoose would, with a standard and without one', async () => {
    const lots = leanInsertRecorder('GradingLot', GradingLotSchema);
    const config = new ConfigService({ GRADING_STANDARDS: '', SHELF_LIFE_DAYS: '', DEFAULT_SHELF_LIFE_DAYS: 14 });
    const service = new LotsService(new LotsRepository(lots.Model, {} as never, {} as never), new StandardsService(config as never), {} as never, {} as never, config as never);
    await service.onLogged([{ command: logged('LOT-1', 'apple') }, { command: logged('LOT-2', 'dragon_fruit') }]);
    expect(lots.inserted).toHaveLength(2);
    expect(lots.notLean()).toEqual([]);
    expect(lots.notStored()).toEqual([]);
    expect(lots.inserted).toMatchObject([{ _id: 'LOT-1', standard: expect.any(String) }, { _id: 'LOT-2', standard: null }]);
  });
});
