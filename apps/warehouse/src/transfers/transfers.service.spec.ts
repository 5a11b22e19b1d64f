import type { Mutation, StockService } from '../stock/stock.service';
import type { WarehousesService } from '../warehouses/warehouses.service';
import type { Transfer, TransferStatus } from './transfer.schema';
import type { TransfersRepository } from './transfers.repository';
import { TransfersService } from './transfers.service';

const pending = (id: string): Transfer => ({
  _id: id,
  subLotId: 'SL-1',
  fromWarehouseId: 'WH-A',
  toWarehouseId: 'DC-B',
  quantityG: 5000,
  status: 'pending',
  lotId: 'LOT-1',
  produce: 'apple',
  variety: 'Fuji',
  grade: 'premium',
  brand: null,
  traceCode: 'TC-1',
  bestBefore: new Date('2027-01-01T00:00:00Z'),
  createdBy: 'op',
  createdAt: new Date('2026-11-01T00:00:00Z'),
});

describe('TransfersService.resumePending', () => {
  it('completes transfers a crash left pending: in transit when the source leg is (or was) done, failed when refused', async () => {
    const advanced: Array<[string, TransferStatus, TransferStatus]> = [];
    const repo = {
      findPending: async () => [pending('TRF-DONE'), pending('TRF-NEW'), pending('TRF-SHORT')],
      advance: async (id: string, from: TransferStatus, to: TransferStatus) => {
        advanced.push([id, from, to]);
        return null;
      },
    } as unknown as TransfersRepository;
    const outcomes: Record<string, Mutation['kind']> = { 'TRF-DONE': 'duplicate', 'TRF-NEW': 'applied', 'TRF-SHORT': 'refused' };
    const legs: string[] = [];
    const stock = {
      transferOut: async (sourceId: string, transferId: string) => {
        legs.push(`${sourceId} ${transferId}`);
        return { kind: outcomes[transferId], refusal: 'insufficient_stock' } as unknown as Mutation;
      },
    } as unknown as StockService;
    const service = new TransfersService(repo, stock, {} as WarehousesService);

    expect(await service.resumePending(new Date('2026-11-01T01:00:00Z'))).toBe(3);
    expect(legs).toEqual(['WH-A:SL-1 TRF-DONE', 'WH-A:SL-1 TRF-NEW', 'WH-A:SL-1 TRF-SHORT']);
    expect(advanced).toEqual([
      ['TRF-DONE', 'pending', 'in_transit'],
      ['TRF-NEW', 'pending', 'in_transit'],
      ['TRF-SHORT', 'pending', 'failed'],
    ]);
  });
});
