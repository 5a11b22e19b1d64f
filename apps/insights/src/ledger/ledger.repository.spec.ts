import { gramsOf } from '@firstmile/contracts';
import { leanInsertRecorder } from '@firstmile/testing';
import { lotChain } from '../epcis/chain.testing';
import { LedgerLotSchema } from './ledger.schema';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

const serviceOver = (lots: unknown) => new LedgerService(new LedgerRepository(lots as never, {} as never, {} as never, {} as never, {} as never));

describe('LedgerService.onLotsLogged', () => {
  // The insert is lean: each lot must already be what mongoose would store.
  it('inserts each lot of the batch once, as mongoose would store it', async () => {
    const lots = leanInsertRecorder('LedgerLot', LedgerLotSchema);
    const a = { ...lotChain().events.logged, growerName: 'Wang Jianguo' };
    const b = lotChain().events.logged;

    await serviceOver(lots.Model).onLotsLogged([a, b, a]);

    expect(lots.inserted.map((d) => (d as { _id: string })._id)).toEqual([a.lotId, b.lotId]);
    expect(lots.inserted[0]).toMatchObject({ cooperativeId: a.cooperative.id, county: a.cooperative.county, growerName: a.growerName, harvestedAt: new Date(a.harvestedAt) });
    expect(lots.inserted[1]).not.toHaveProperty('growerName');
    expect(lots.notLean()).toEqual([]);
    expect(lots.notStored()).toEqual([]);
  });

  it('sets the same fields on the lots that are there already, and only on those', async () => {
    const [a, b, c] = [lotChain(), lotChain(), lotChain()].map((chain) => chain.events.logged);
    const bulkWrites: unknown[][] = [];
    const lots = {
      // As the driver reports an unordered insert that met two existing ids (b: graded first; c: a redelivery).
      insertMany: async () => {
        throw Object.assign(new Error('E11000 duplicate key error'), { writeErrors: [{ index: 1, code: 11000 }, { index: 2, code: 11000 }] });
      },
      bulkWrite: async (ops: unknown[]) => void bulkWrites.push(ops),
    };

    await serviceOver(lots).onLotsLogged([a, b, c]);

    const upserted = bulkWrites.flat() as Array<{ updateOne: { filter: { _id: string }; update: { $set: Record<string, unknown> }; upsert: boolean } }>;
    expect(upserted.map((op) => op.updateOne.filter._id)).toEqual([b.lotId, c.lotId]);
    expect(upserted[0].updateOne).toMatchObject({ upsert: true, update: { $set: { cooperativeId: b.cooperative.id, produce: b.produce, grams: gramsOf(b.quantityKg) } } });
    expect(upserted[0].updateOne.update.$set).not.toHaveProperty('_id');
  });

  it('sets the fields on every lot of the batch when the refusal does not say which were there', async () => {
    const [a, b] = [lotChain(), lotChain()].map((chain) => chain.events.logged);
    const bulkWrites: unknown[][] = [];
    const lots = {
      insertMany: async () => {
        throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
      },
      bulkWrite: async (ops: unknown[]) => void bulkWrites.push(ops),
    };

    await serviceOver(lots).onLotsLogged([a, b]);

    expect((bulkWrites.flat() as Array<{ updateOne: { filter: { _id: string } } }>).map((op) => op.updateOne.filter._id)).toEqual([a.lotId, b.lotId]);
  });

  it('fails the batch on any other refusal, writing nothing more', async () => {
    const bulkWrite = jest.fn();
    const lots = {
      insertMany: async () => {
        throw Object.assign(new Error('write error'), { writeErrors: [{ index: 0, code: 11000 }, { index: 1, code: 2 }] });
      },
      bulkWrite,
    };

    await expect(serviceOver(lots).onLotsLogged([lotChain().events.logged, lotChain().events.logged])).rejects.toThrow('write error');
    expect(bulkWrite).not.toHaveBeenCalled();
  });
});
