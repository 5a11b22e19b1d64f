/**
 * Integration-test helpers for the warehouse: build events and LotGradedV1 / ReserveStockV1
 * payloads (published with `TopicProbe.publish`, as the other services publish them).
 */
import { randomUUID } from 'node:crypto';
import { type EventPayload, type EventType, LotGradedV1, toGrams, toKg } from '@firstmile/contracts';
import { newEvent, type OutboundEvent } from '@firstmile/messaging';

export const DAY_MS = 86_400_000;

export const event = <T extends EventType>(type: T, data: EventPayload<T>): OutboundEvent => newEvent(type, data, { source: 'test' });

export function graded(opts: { warehouseId: string; subLots: Array<{ grade: string; quantityKg: number; bestBefore?: string; brand?: string | null }> }): LotGradedV1 {
  const lotId = `LOT-${randomUUID().slice(0, 8).toUpperCase()}`;
  const total = toKg(opts.subLots.reduce((s, x) => s + toGrams(x.quantityKg), 0));
  return {
    lotId,
    cooperativeId: 'COOP-TEST',
    originWarehouseId: opts.warehouseId,
    produce: 'apple',
    variety: 'Fuji',
    standard: 'GB/T 10651-2008',
    lotQuantityKg: total,
    cullKg: 0,
    gradedAt: new Date().toISOString(),
    subLots: opts.subLots.map((s, i) => ({
      subLotId: `${lotId}-S${i + 1}`,
      grade: s.grade,
      quantityKg: s.quantityKg,
      brand: s.brand ?? null,
      traceCode: `TC-${lotId}-${i + 1}`,
      bestBefore: s.bestBefore ?? new Date(Date.now() + 120 * DAY_MS).toISOString(),
    })),
  };
}

export const json = <T>(r: { body: string }): T => JSON.parse(r.body) as T;
