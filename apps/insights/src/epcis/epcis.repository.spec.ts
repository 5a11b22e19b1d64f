import { ConfigService } from '@nestjs/config';
import { DEV_COMPANY_PREFIX } from '@firstmile/gs1';
import { leanInsertRecorder } from '@firstmile/testing';
import { lotChain } from './chain.testing';
import { EpcisEventSchema } from './epcis-event.schema';
import { EpcisRepository } from './epcis.repository';
import { EpcisService } from './epcis.service';
import { LotFactSchema, ShipmentFactSchema, SubLotFactSchema } from './facts.schema';
import { EpcisMapper } from './mapping';
import { Identifiers } from './identifiers';

const BASE = 'http://127.0.0.1:3100';
let n = 0;
const meta = () => ({ eventId: `ce-${++n}`, time: '2026-12-01T00:00:00.000Z' });
const ctx = () => ({ eventId: `ce-${++n}`, envelope: { time: '2026-12-01T00:00:00.000Z' } });

describe('EpcisRepository inserts', () => {
  // The inserts are lean: every fact and EPCIS event must already be what mongoose would store.
  it('stores the facts and the EPCIS events of a lot from harvest to delivery as mongoose would', async () => {
    // rememberLots also gives earlier events their cooperative: nothing waits for one here.
    const events = leanInsertRecorder('EpcisEventDoc', EpcisEventSchema, { updateMany: async () => ({ matchedCount: 0, modifiedCount: 0 }) });
    const lots = leanInsertRecorder('LotFact', LotFactSchema);
    const subLots = leanInsertRecorder('SubLotFact', SubLotFactSchema);
    const shipments = leanInsertRecorder('ShipmentFact', ShipmentFactSchema);
    const repo = new EpcisRepository(events.Model as never, lots.Model as never, subLots.Model as never, shipments.Model as never);
    const config = new ConfigService({ DIGITAL_LINK_BASE: BASE, GS1_COMPANY_PREFIX: DEV_COMPANY_PREFIX, EPCIS_TIMEZONE_OFFSET: '+08:00' });
    const service = new EpcisService(repo, config as never);
    const chain = lotChain({ start: new Date('2026-11-20T00:00:00Z') });
    const e = chain.events;

    await service.onLotsLogged([{ event: e.logged, ctx: ctx() } as never]);
    await service.onLotGraded(e.graded, ctx() as never);
    await service.onShipmentsCreated([e.shipmentCreated]);
    // The events that need facts read back: mapped as the service would, with the facts it stored.
    const mapper = new EpcisMapper(new Identifiers({ base: BASE, companyPrefix: DEV_COMPANY_PREFIX }), '+08:00');
    const premium = { ...chain.premium, lotId: chain.lotId, cooperativeId: chain.coop, produce: 'apple' };
    await repo.insertEvents([
      ...mapper.stockReceived(e.received, null, meta()),
      mapper.transferDispatched(e.transferDispatched, chain.coop, meta()),
      mapper.transferReceived(e.transferReceived, chain.coop, meta()),
      ...mapper.stockDispatched(e.stockDispatched, () => chain.coop, meta()),
      ...mapper.shipmentStatusChanged(e.delivered, [{ sub: premium, quantityKg: 20 }], meta()),
    ]);

    expect([events, lots, subLots, shipments].map((m) => m.inserted.length)).toEqual([7, 2, 2, 1]);
    for (const kind of [events, lots, subLots, shipments]) {
      expect(kind.notLean()).toEqual([]);
      expect(kind.notStored()).toEqual([]);
    }
  });
});
