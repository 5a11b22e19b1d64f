import { formatFen } from '@firstmile/contracts';
import type { OrderStatus } from './order.schema';
import type { OrderRecord } from './orders.repository';

export interface OrderView {
  id: string;
  status: OrderStatus;
  channel: string;
  destination: OrderRecord['destination'];
  deliverBy?: string;
  lines: OrderRecord['lines'];
  allocations: Array<{ line: number; warehouseId: string; subLotId: string; quantityKg: number; unitPrice: string | null; amount: string | null }>;
  /** Σ of the allocations' amounts (the priced ones); "0.00" while nothing is held. */
  total: { amount: string; currency: 'CNY' };
  shipments: string[];
  reason?: string;
  /** Why the buyer's cancellation was refused: stock of the order had left the warehouse. */
  cancelRefused?: string;
  placedAt: string;
  routedAt?: string;
}

/** Statuses whose `reason` says why the order is where it is. */
const EXPLAINED: readonly OrderStatus[] = ['backordered', 'rejected', 'cancelled', 'cancelling'];

/** What the API shows of an order. */
export function view(o: OrderRecord): OrderView {
  const holding = o.status === 'routed' || o.status === 'fulfilled' || o.status === 'cancelling';
  const held = holding ? o.allocations : [];
  return {
    id: o._id,
    status: o.status,
    channel: o.channel,
    destination: o.destination,
    ...(o.deliverBy ? { deliverBy: new Date(o.deliverBy).toISOString() } : {}),
    lines: o.lines,
    // Only what is really held for the order: an attempt in flight promises nothing yet.
    allocations: held.map((a) => ({
      line: a.line,
      warehouseId: a.warehouseId,
      subLotId: a.subLotId,
      quantityKg: a.quantityKg,
      unitPrice: a.unitPriceFen == null ? null : formatFen(a.unitPriceFen),
      amount: a.amountFen == null ? null : formatFen(a.amountFen),
    })),
    total: { amount: formatFen(held.reduce((t, a) => t + (a.amountFen ?? 0), 0)), currency: 'CNY' },
    shipments: o.shipments,
    ...(o.reason && EXPLAINED.includes(o.status) ? { reason: o.reason } : {}),
    ...(o.cancelRefused && o.status !== 'cancelled' ? { cancelRefused: o.cancelRefused } : {}),
    placedAt: new Date(o.placedAt).toISOString(),
    ...(o.routedAt ? { routedAt: new Date(o.routedAt).toISOString() } : {}),
  };
}
