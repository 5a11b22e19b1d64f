import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { gramsOf } from '@firstmile/contracts';
import { startApp } from '@firstmile/testing';
import { createApp } from '../app';
import { lotChain } from '../epcis/chain.testing';
import { LedgerLot } from './ledger.schema';
import { LedgerService } from './ledger.service';

describe('insights: the ledger writes lots on the store', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApp(createApp);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('inserts logged lots, and keeps what a grading read first stated, also through a redelivery', async () => {
    const ledger = app.get(LedgerService);
    const lots = app.get<Model<LedgerLot>>(getModelToken(LedgerLot.name));
    const [gradedFirst, fresh] = [lotChain(), lotChain()];

    await ledger.onLotGraded(gradedFirst.events.graded);
    await ledger.onLotsLogged([gradedFirst.events.logged, fresh.events.logged]);
    await ledger.onLotsLogged([fresh.events.logged, gradedFirst.events.logged]);

    const stored = new Map((await lots.find({ _id: { $in: [gradedFirst.lotId, fresh.lotId] } }).lean<LedgerLot[]>()).map((l) => [l._id, l]));
    const logged = (e: typeof fresh.events.logged) => ({
      _id: e.lotId,
      cooperativeId: e.cooperative.id,
      cooperativeName: e.cooperative.name,
      county: e.cooperative.county,
      province: e.cooperative.province,
      growerId: e.growerId,
      produce: e.produce,
      harvestedAt: new Date(e.harvestedAt),
      grams: gramsOf(e.quantityKg),
    });
    expect(stored.get(fresh.lotId)).toEqual(logged(fresh.events.logged));
    const { graded } = gradedFirst.events;
    expect(stored.get(gradedFirst.lotId)).toEqual({ ...logged(gradedFirst.events.logged), gradedAt: new Date(graded.gradedAt), cullGrams: gramsOf(graded.cullKg) });
  });
});
