import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import fc from 'fast-check';
import { Destination, GeoPoint, Place, SHIPMENT_STATUSES, toGrams, toKg, TRACKING_STATUSES } from './common';

function fields(e: ValidationError, prefix = ''): string[] {
  const field = `${prefix}${e.property}`;
  return [...(e.constraints ? [field] : []), ...(e.children ?? []).flatMap((c) => fields(c, `${field}.`))];
}

const refused = <T extends object>(cls: new () => T, plain: unknown) => validateSync(plainToInstance(cls, plain) as object).flatMap((e) => fields(e));

// Issue 22.12: event payloads took numeric strings for coordinates, and a Place's location could be an array.
describe('shared payload parts', () => {
  it('GeoPoint takes numbers only', () => {
    expect(refused(GeoPoint, { lat: 34.2, lon: 105.2 })).toEqual([]);
    expect(refused(GeoPoint, { lat: '34.2', lon: '105.2' })).toEqual(['lat', 'lon']);
  });

  it('a Place or Destination location is an object, not an array', () => {
    expect(refused(Place, { name: 'Wuhan hub', location: { lat: 30.59, lon: 114.31 } })).toEqual([]);
    expect(refused(Place, { name: 'Wuhan hub', location: [{ lat: 30.59, lon: 114.31 }] })).toContain('location');
    expect(refused(Destination, { city: 'Hangzhou', location: [{ lat: 30.27, lon: 120.15 }] })).toContain('location');
  });
});

describe('kilograms and grams (one conversion for every service and engine)', () => {
  it('round-trips any kilogram figure with three decimals (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000 }), (g) => toGrams(toKg(g)) === g && toKg(g) === Number((g / 1000).toFixed(3))));
  });

  it('rounds a kilogram figure to whole grams', () => {
    expect(toGrams(0.1 + 0.2)).toBe(300);
    expect(toGrams(12.3456)).toBe(12346);
    expect(toGrams(1234.567)).toBe(1_234_567);
    expect(toGrams(0.001)).toBe(1);
    expect(toKg(toGrams(0.1) + toGrams(0.2))).toBe(0.3);
  });
});

describe('shipment statuses', () => {
  it('are the two of routing and warehouse, then every tracking status', () => {
    expect(SHIPMENT_STATUSES).toEqual(['created', 'dispatched', ...TRACKING_STATUSES]);
    expect(new Set(SHIPMENT_STATUSES).size).toBe(SHIPMENT_STATUSES.length);
  });
});
