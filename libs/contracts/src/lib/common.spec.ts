import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { Destination, GeoPoint, Place } from './common';

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
