import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import { LotLoggedV1 } from '@firstmile/contracts';
import { newEvent } from '@firstmile/messaging';
import { bearer, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { createApp } from '../app';

const line = (...warehouses: string[]) => bearer({ role: 'grading_line', warehouses });

describe('GET /v1/lots: what a grading line has to grade', () => {
  let app: NestFastifyApplication;
  let producer: Producer;
  // A warehouse id of this run only, so lots of other suites do not show up in what is asserted.
  const wh = `WH-T${randomUUID().slice(0, 6).toUpperCase()}`;

  beforeAll(async () => {
    app = await startApp(createApp);
    producer = await TopicProbe.producer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
  });

  async function logLot(quantityKg: number, warehouse = wh): Promise<string> {
    const lot: LotLoggedV1 = {
      lotId: `LOT-${randomUUID().slice(0, 8).toUpperCase()}`,
      cooperative: { id: 'COOP-LL', name: 'List Test Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
      growerId: 'GRW-LL',
      orchard: { id: 'ORC-LL', name: 'North slope', location: { lat: 34.2, lon: 105.2 } },
      produce: 'apple',
      variety: 'Fuji',
      harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
      quantityKg,
      originWarehouseId: warehouse,
      loggedAt: new Date().toISOString(),
    };
    const e = newEvent(LotLoggedV1.type, lot, { source: 'test' });
    await TopicProbe.publish(producer, [e]);
    await waitFor(async () => (await app.inject({ method: 'GET', url: `/v1/lots/${lot.lotId}/grading`, headers: bearer({ role: 'ops' }) })).statusCode === 200, { what: 'the lot' });
    return lot.lotId;
  }

  const list = (q: string, headers: Record<string, string>) => app.inject({ method: 'GET', url: `/v1/lots${q}`, headers });

  it('lists the lots at the line\'s warehouses, newest first, pending or graded, page by page', async () => {
    const first = await logLot(100);
    const second = await logLot(200);
    await logLot(300, 'WH-XUNWU-ORIGIN');
    const graded = await app.inject({ method: 'POST', url: `/v1/lots/${first}/grading`, headers: line(wh), payload: { bands: [{ grade: 'premium', quantityKg: 100 }] } });
    expect(graded.statusCode).toBe(201);

    const all = await list('', line(wh));
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((l: { lotId: string; status: string }) => [l.lotId, l.status])).toEqual([
      [second, 'pending'],
      [first, 'graded'],
    ]);
    expect(all.json().items[0]).toMatchObject({ produce: 'apple', quantityKg: 200, originWarehouseId: wh, cooperative: { id: 'COOP-LL', name: 'List Test Cooperative' } });
    expect((await list('?status=pending', line(wh))).json().items.map((l: { lotId: string }) => l.lotId)).toEqual([second]);

    const page1 = await list('?limit=1', line(wh));
    expect(page1.json().items.map((l: { lotId: string }) => l.lotId)).toEqual([second]);
    const page2 = await list(`?limit=1&cursor=${page1.json().nextCursor}`, line(wh));
    expect(page2.json()).toMatchObject({ items: [{ lotId: first }], nextCursor: null });
  });

  it('shows a line only its own warehouses; ops may pick any; other roles and bad queries are refused', async () => {
    expect((await list(`?warehouseId=${wh}`, line('WH-XUNWU-ORIGIN'))).json().items).toEqual([]);
    expect((await list(`?warehouseId=${wh}`, bearer({ role: 'ops' }))).json().items).toHaveLength(2);
    expect((await list('', bearer({ role: 'buyer', buyer: 'B1' }))).statusCode).toBe(403);
    expect((await list('', {})).statusCode).toBe(401);
    for (const q of ['?status=lost', '?limit=0', '?warehouseId=lower-case', '?colour=red']) {
      const bad = await list(q, line(wh));
      expect([q, bad.statusCode, bad.headers['content-type']]).toEqual([q, 400, expect.stringContaining('application/problem+json')]);
    }
  });
});
