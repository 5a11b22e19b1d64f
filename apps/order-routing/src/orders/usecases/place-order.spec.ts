import { leanInsertRecorder } from '@firstmile/testing';
import { OrderSchema } from '../order.schema';
import { OrdersRepository } from '../orders.repository';
import { PlaceOrder } from './place-order';

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
    const orders = leanInsertRecorder('Order', OrderSchema);
    await new PlaceOrder(new OrdersRepository(orders.Model)).place(buyer, body as never, claim, new Date('2026-10-02T00:00:00Z'));
    const { inserted } = orders;
    expect(inserted).toHaveLength(1);
    expect(orders.notLean()).toEqual([]);
    expect(orders.notStored()).toEqual([]);
    expect(inserted[0]).toMatchObject({ status: 'received', outboxSize: 1, ...(claim ? { requestHash: 'hash-1' } : {}) });
  });
});
