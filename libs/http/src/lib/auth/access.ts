import type { Principal } from '@firstmile/contracts';
import { ProblemException } from '../problems/problem';

/**
 * Object-level authorization: someone else's object answers 404, exactly as if it did not exist,
 * so ids cannot be probed. `ops` sees everything.
 */
export const Access = {
  coop(p: Principal, coopId: string): boolean {
    return p.role === 'ops' || (p.role === 'coop_manager' && p.coop === coopId);
  },
  warehouse(p: Principal, warehouseId: string): boolean {
    return p.role === 'ops' || ((p.role === 'warehouse_operator' || p.role === 'grading_line') && !!p.warehouses?.includes(warehouseId));
  },
  buyer(p: Principal, buyerId: string): boolean {
    return p.role === 'ops' || (p.role === 'buyer' && p.buyer === buyerId);
  },
  /** A county's insights: ops, or the county_official of that county. */
  county(p: Principal, countyId: string): boolean {
    return p.role === 'ops' || (p.role === 'county_official' && p.county === countyId);
  },
  /** Returns the object if the check passes, else throws the same 404 a missing object gets. */
  orNotFound<T>(obj: T | null | undefined, allowed: (o: T) => boolean, what: string, id: string): T {
    if (!obj || !allowed(obj)) throw ProblemException.notFound(what, id);
    return obj;
  },
};
