import { createValidationPipe, ProblemException } from '@firstmile/http';
import { TrackShipmentDto } from './track-shipment.dto';

async function refused(body: unknown): Promise<string[]> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype: TrackShipmentDto });
    return [];
  } catch (err) {
    if (!(err instanceof ProblemException)) throw err;
    return ((err.getResponse() as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
  }
}

// Issue 22.12: checkpoint coordinates passed as numeric strings, and a location could be an array.
describe('a checkpoint body', () => {
  const at = '2026-11-02T10:00:00Z';

  it('takes a location with numeric coordinates', async () => {
    expect(await refused({ status: 'in_transit', at, location: { name: 'Wuhan hub', lat: 30.59, lon: 114.31 } })).toEqual([]);
  });

  it('refuses coordinates sent as numeric strings', async () => {
    expect(await refused({ status: 'in_transit', at, location: { lat: '30.59', lon: 114.31 } })).toEqual(['location.lat']);
    expect(await refused({ status: 'in_transit', at, location: { lat: 30.59, lon: '114.31' } })).toEqual(['location.lon']);
  });

  it('refuses a location that is an array', async () => {
    expect(await refused({ status: 'in_transit', at, location: [{ lat: 30.59, lon: 114.31 }] })).toContain('location');
  });
});
