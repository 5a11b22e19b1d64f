import { type StockItem, type StockLevel, toKg } from '@firstmile/contracts';
import type { Position } from './stock-position';
import type { PositionShell } from './stock.repository';

export const SOURCE = 'firstmile/warehouse';

export const stockLevel = (p: Pick<Position, 'onHandG' | 'reservedG' | 'availableG' | 'version'>): StockLevel => ({
  onHandKg: toKg(p.onHandG),
  reservedKg: toKg(p.reservedG),
  availableKg: toKg(p.availableG),
  version: p.version,
});

/** What every stock event repeats about the sub-lot, with the position's figures after the change. */
export function stockItem(s: PositionShell, p: Pick<Position, 'onHandG' | 'reservedG' | 'availableG' | 'version'>): StockItem {
  return {
    warehouseId: s.warehouseId,
    warehouseLocation: { lat: s.warehouseLocation.lat, lon: s.warehouseLocation.lon },
    subLotId: s.subLotId,
    lotId: s.lotId,
    produce: s.produce,
    variety: s.variety,
    grade: s.grade,
    brand: s.brand ?? null,
    traceCode: s.traceCode,
    bestBefore: s.bestBefore.toISOString(),
    stock: stockLevel(p),
  };
}
