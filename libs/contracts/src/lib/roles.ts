/** Roles a token may carry (API.md, "Auth"). */
export const ROLES = ['coop_manager', 'grading_line', 'warehouse_operator', 'buyer', 'logistics_operator', 'ops', 'county_official'] as const;
export type Role = (typeof ROLES)[number];

/** The caller as its token describes it. */
export interface Principal {
  sub: string;
  role: Role;
  coop?: string;
  warehouses?: string[];
  buyer?: string;
  /** The county a county_official reads (a county id such as `CN-GS-LIXIAN`). */
  county?: string;
}
