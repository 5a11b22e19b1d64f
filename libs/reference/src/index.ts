import places from './places.json';

/**
 * Real counties, warehouses, brand programs and shelf lives (a copy of shared/reference/places.json),
 * used to seed the services, the demo and the tests.
 */
export interface ReferenceCounty {
  id: string;
  name: string;
  nameZh: string;
  province: string;
  location: { lat: number; lon: number };
  specialties: string[];
}

export interface ReferenceWarehouse {
  id: string;
  name: string;
  kind: 'origin' | 'regional';
  city: string;
  county?: string;
  location: { lat: number; lon: number };
}

export interface ReferenceBrand {
  name: string;
  produce: string;
  counties: string[];
  minGrade: string;
}

export const REFERENCE_COUNTIES = places.counties as ReferenceCounty[];
export const REFERENCE_WAREHOUSES = places.warehouses as ReferenceWarehouse[];
export const REFERENCE_BRANDS = places.brands as ReferenceBrand[];

/** Days of storage life after grading, per produce. */
export const SHELF_LIFE_DAYS: Record<string, number> = Object.fromEntries(
  Object.entries(places.shelfLifeDays).filter(([k]) => !k.startsWith('_')),
) as Record<string, number>;
