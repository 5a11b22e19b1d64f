import { DEV_COMPANY_PREFIX } from '@firstmile/gs1';
import type { ShipmentStatusChangedV1 } from '@firstmile/contracts';
import type { JourneyStepDoc, Provenance } from './provenance.schema';
import type { ProvenanceRepository, StepUpdate } from './provenance.repository';
import { ProvenanceService } from './provenance.service';

const CODE = '0123456789AB';

/** The repository's contract in memory: what the service stores, and what it reads back. */
class MemoryRepository {
  readonly steps = new Map<string, JourneyStepDoc>();
  readonly cities = new Map<string, string>();
  readonly doc = {
    _id: CODE,
    subLotId: 'SL-1',
    orchard: { name: 'South slope', location: { lat: 34.2, lon: 105.2 } },
    cooperative: { name: 'Coop', county: 'CN-GS-LIXIAN', province: 'Gansu' },
    harvestedAt: new Date('2026-11-01T00:00:00Z'),
    gradedAt: new Date('2026-11-01T02:00:00Z'),
    bestBefore: new Date('2027-01-01T00:00:00Z'),
    originWarehouseId: 'WH-LIXIAN-ORIGIN',
  } as unknown as Provenance;

  async addSteps(updates: StepUpdate[]) {
    for (const u of updates) {
      const id = `${CODE}/${u.key}`;
      if (!this.steps.has(id)) this.steps.set(id, { _id: id, traceCode: CODE, ...u.entry });
    }
  }
  async addShipmentCities(cities: Array<{ _id: string; city: string }>) {
    for (const c of cities) if (!this.cities.has(c._id)) this.cities.set(c._id, c.city);
  }
  async shipmentCities(ids: string[]) {
    return new Map(ids.filter((id) => this.cities.has(id)).map((id) => [id, this.cities.get(id) as string]));
  }
  async findByTraceCode() {
    return this.doc;
  }
  async journey() {
    return [...this.steps.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}

// Issue 22.10: the public journey copied the tracking checkpoint's name and coordinates — usually the buyer's door.
/** Only the GS1 company prefix is read from the settings. */
const config = { get: () => DEV_COMPANY_PREFIX } as unknown as ConstructorParameters<typeof ProvenanceService>[1];

describe('the public journey after the warehouse', () => {
  const door = { name: '18 Wensan Rd, flat 502, Xihu', location: { lat: 30.2791, lon: 120.1408 } };
  const status = (s: ShipmentStatusChangedV1['status'], at: string): ShipmentStatusChangedV1 => ({
    shipmentId: 'SHP-1',
    orderId: 'ORD-1',
    warehouseId: 'DC-HANGZHOU',
    status: s,
    subLotIds: ['SL-1'],
    at,
    location: door,
    eta: at,
  });

  it('shows the destination city for in_transit and delivered, never the checkpoint', async () => {
    const repo = new MemoryRepository();
    const service = new ProvenanceService(repo as unknown as ProvenanceRepository, config);
    await service.onShipmentCreated([{ shipmentId: 'SHP-1', destination: { city: 'Hangzhou', location: door.location, address: door.name } } as never]);
    await service.onShipmentStatus([status('in_transit', '2026-11-02T10:00:00Z')]);
    await service.onShipmentStatus([status('delivered', '2026-11-02T12:00:00Z')]);

    const story = await service.get(CODE);
    const after = story.journey.filter((j) => j.step === 'in_transit' || j.step === 'delivered');
    expect(after.map((j) => [j.step, j.place])).toEqual([
      ['in_transit', { city: 'Hangzhou' }],
      ['delivered', { city: 'Hangzhou' }],
    ]);
    const text = JSON.stringify(story);
    expect(text).not.toContain('Wensan');
    expect(text).not.toContain('30.2791');
    // Nothing of the checkpoint is stored either.
    expect(JSON.stringify([...repo.steps.values()])).not.toContain('Wensan');
  });

  it('hides what older steps stored of a checkpoint, and says nothing when the city is not known', async () => {
    const repo = new MemoryRepository();
    repo.steps.set(`${CODE}/delivered:SHP-9`, { _id: `${CODE}/delivered:SHP-9`, traceCode: CODE, step: 'delivered', at: new Date('2026-11-03T00:00:00Z'), place: door });
    const service = new ProvenanceService(repo as unknown as ProvenanceRepository, config);
    expect((await service.get(CODE)).journey.find((j) => j.step === 'delivered')?.place).toEqual({});
    await service.onShipmentCreated([{ shipmentId: 'SHP-9', destination: { city: 'Shanghai', location: { lat: 31.2, lon: 121.5 } } } as never]);
    expect((await service.get(CODE)).journey.find((j) => j.step === 'delivered')?.place).toEqual({ city: 'Shanghai' });
  });

  it('keeps the warehouse as the place of a dispatch', async () => {
    const repo = new MemoryRepository();
    const service = new ProvenanceService(repo as unknown as ProvenanceRepository, config);
    await service.onShipmentStatus([status('dispatched', '2026-11-02T09:00:00Z')]);
    expect((await service.get(CODE)).journey.find((j) => j.step === 'dispatched')?.place).toMatchObject({ warehouseId: 'DC-HANGZHOU', name: 'Hangzhou distribution center' });
  });
});
