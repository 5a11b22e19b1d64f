import { Mongoose } from 'mongoose';
import { storedForm } from '@firstmile/persistence';
import { OrderSchema } from '../order.schema';
import { OrdersRepository } from '../orders.repository';
import { PlaceOrder } from './place-order';

/** The order model, its insertMany recording what a (lean) insert would store. */
function recordingModel() {
  const Model = new Mongoose().model('Order', OrderSchema);
  const inserted: object[] = [];
  Object.assign(Model, {
    insertMany: async (docs: object[], options: object) => {
      expect(options).toEqual({ ordered: false, lean: true });
      inserted.push(...docs);
      return docs;
    },
  });
  return { Model, inserted };
}

const buyer = { sub: 'buyer-1', role: 'buyer' as const, buyer: 'BUYER-XA' };
const dto = {
  channel: 'livestream',
  destination: { city: "Xi'an", location: { lat: 34.34, lon: 108.94 } },
  lines: [{ produce: 'apple', minGrade: 'premium', quantityKg: 300 }],
};

describe('PlaceOrder', () => {
  // The insert is lean (GroupCommit): the order placed must already be what mongoose would store.
  it.each([
    ['without the optional fields or a key', dto, undefined],
    [
      'with an address, a brand, a deadline and an Idempotency-Key',
      {
        ...dto,
        destination: { ...dto.destination, address: '1 Yanta Rd' },
        lines: [{ ...dto.lines[0], brand: 'Lixian Apples' }],
        deliverBy: '2026-10-09T00:00:00Z',
      },
      { seed: 'seed-1', bodyHash: 'hash-1' },
    ],
  ])('stores an order placed %s as mongoose would', async (_, body, claim) => {
    const { Model, inserted } = recordingModel();
    await new PlaceOrder(new OrdersRepository(Model)).place(buyer, body as never, claim, new Date('2026-10-02T00:00:00Z'));
    expect(inserted).toHaveLength(1);
    expect(inserted[0]).toStrictEqual(storedForm(Model as never, inserted[0]));
    expect(inserted[0]).toMatchObject({ status: 'received', outboxSize: 1, ...(claim ? { requestHash: 'hash-1' } : {}) });
  });
});
