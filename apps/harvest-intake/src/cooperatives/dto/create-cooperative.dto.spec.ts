import { createValidationPipe, ProblemException } from '@firstmile/http';
import { CreateCooperativeDto, CreateOrchardDto } from './create-cooperative.dto';

/** What the global ValidationPipe makes of a body for `metatype`: the DTO, or the refused fields. */
async function validate(metatype: new () => object, body: unknown): Promise<object | string[]> {
  try {
    return await createValidationPipe().transform(body, { type: 'body', metatype });
  } catch (err) {
    if (!(err instanceof ProblemException)) throw err;
    return ((err.getResponse() as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
  }
}

// Issue 22.12: numeric strings passed @IsLatitude/@IsLongitude and were stored as strings; areaMu had no maximum.
describe('orchard and cooperative bodies: numbers are numbers', () => {
  const orchard = { growerId: 'GRW-1', name: 'South slope', areaMu: 12.5, location: { lat: 34.2, lon: 105.2 }, produce: 'apple', variety: 'Fuji' };

  it('accepts numbers and keeps them numbers', async () => {
    const dto = (await validate(CreateOrchardDto, orchard)) as CreateOrchardDto;
    expect(dto).toBeInstanceOf(CreateOrchardDto);
    expect([typeof dto.areaMu, typeof dto.location.lat, typeof dto.location.lon]).toEqual(['number', 'number', 'number']);
  });

  it('refuses coordinates sent as numeric strings', async () => {
    expect(await validate(CreateOrchardDto, { ...orchard, location: { lat: '34.2', lon: 105.2 } })).toEqual(['location.lat']);
    expect(await validate(CreateOrchardDto, { ...orchard, location: { lat: 34.2, lon: '105.2' } })).toEqual(['location.lon']);
    const coop = { name: 'C', county: 'CN-GS-LIXIAN', province: 'Gansu', location: { lat: '34.19', lon: '105.18' } };
    expect(await validate(CreateCooperativeDto, coop)).toEqual(['location.lat', 'location.lon']);
  });

  it('refuses an area beyond any orchard, and one sent as a string', async () => {
    expect(await validate(CreateOrchardDto, { ...orchard, areaMu: 1e12 })).toEqual(['areaMu']);
    expect(await validate(CreateOrchardDto, { ...orchard, areaMu: '12.5' })).toContain('areaMu');
    expect(await validate(CreateOrchardDto, { ...orchard, areaMu: 100_000 })).toBeInstanceOf(CreateOrchardDto);
  });
});
