import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { type Principal, toGrams, toKg } from '@firstmile/contracts';
import { Access, ProblemException } from '@firstmile/http';
import { newId } from '@firstmile/persistence';
import { positionId, StockService } from '../stock/stock.service';
import { WarehousesService } from '../warehouses/warehouses.service';
import type { CreateTransferDto } from './dto/create-transfer.dto';
import type { Transfer, TransferStatus } from './transfer.schema';
import { TransfersRepository } from './transfers.repository';

export interface TransferView {
  id: string;
  status: TransferStatus;
  subLotId: string;
  lotId: string;
  fromWarehouseId: string;
  toWarehouseId: string;
  quantityKg: number;
  createdAt: string;
  dispatchedAt: string | null;
  receivedAt: string | null;
}

/** A transfer still pending after this long was abandoned mid-way (crash) and is completed by the sweep. */
const PENDING_GRACE_MS = 60_000;

@Injectable()
export class TransfersService {
  private readonly logger = new Logger(TransfersService.name);

  constructor(
    private readonly repo: TransfersRepository,
    private readonly stock: StockService,
    private readonly warehouses: WarehousesService,
  ) {}

  /** Out of the source at once (`in_transit`, TransferDispatchedV1); 409 when not enough is available. */
  async create(caller: Principal, dto: CreateTransferDto, now = new Date()): Promise<TransferView> {
    if (dto.fromWarehouseId === dto.toWarehouseId) {
      throw ProblemException.validation([{ field: 'toWarehouseId', message: 'must differ from fromWarehouseId' }]);
    }
    await this.stock.warehouseFor(caller, dto.fromWarehouseId);
    if (!(await this.warehouses.find(dto.toWarehouseId))) {
      throw ProblemException.validation([{ field: 'toWarehouseId', message: `unknown warehouse ${dto.toWarehouseId}` }]);
    }
    const source = await this.stock.load(positionId(dto.fromWarehouseId, dto.subLotId));
    if (!source || source.onHandG === 0) throw ProblemException.notFound('stock of sub-lot', `${dto.subLotId} at ${dto.fromWarehouseId}`);
    const quantityG = toGrams(dto.quantityKg);
    if (source.availableG < quantityG) throw this.notEnough(dto.quantityKg, source.availableG);

    const transfer: Transfer = {
      _id: newId('TRF'),
      subLotId: dto.subLotId,
      fromWarehouseId: dto.fromWarehouseId,
      toWarehouseId: dto.toWarehouseId,
      quantityG,
      status: 'pending',
      lotId: source.lotId,
      produce: source.produce,
      variety: source.variety,
      grade: source.grade,
      brand: source.brand ?? null,
      traceCode: source.traceCode,
      bestBefore: source.bestBefore,
      createdBy: caller.sub,
      createdAt: now,
    };
    await this.repo.insert(transfer);
    const out = await this.stock.transferOut(source._id, transfer._id, quantityG, dto.toWarehouseId, now);
    if (out.kind === 'applied' || out.kind === 'duplicate') {
      return view(await this.repo.advance(transfer._id, 'pending', 'in_transit', { dispatchedAt: now }));
    }
    const failure = out.kind === 'refused' ? out.refusal : out.kind;
    await this.repo.advance(transfer._id, 'pending', 'failed', { failure });
    // Stock moved between the check above and the write: the write's guard is what decides.
    throw this.notEnough(dto.quantityKg, out.kind === 'refused' ? out.position.availableG : 0);
  }

  /**
   * Completes transfers a crash left `pending`: the source decrement is keyed by the transfer, so
   * redoing it is safe — it happens now if it had not, or is recognized as done.
   */
  @Interval('transfer-recovery', PENDING_GRACE_MS)
  async resumePending(now = new Date()): Promise<number> {
    let resumed = 0;
    try {
      for (const t of await this.repo.findPending(new Date(now.getTime() - PENDING_GRACE_MS), 100)) {
        const out = await this.stock.transferOut(positionId(t.fromWarehouseId, t.subLotId), t._id, t.quantityG, t.toWarehouseId, now);
        if (out.kind === 'applied' || out.kind === 'duplicate') await this.repo.advance(t._id, 'pending', 'in_transit', { dispatchedAt: now });
        else await this.repo.advance(t._id, 'pending', 'failed', { failure: out.kind === 'refused' ? out.refusal : out.kind });
        resumed++;
      }
    } catch (err) {
      this.logger.warn(`transfer recovery failed: ${String(err)}`);
    }
    return resumed;
  }

  /** Stock appears at the destination (TransferReceivedV1); receiving twice returns the received transfer. */
  async receive(caller: Principal, id: string, now = new Date()): Promise<TransferView> {
    const t = Access.orNotFound(await this.repo.findById(id), (x) => Access.warehouse(caller, x.toWarehouseId), 'transfer', id);
    if (t.status === 'received') return view(t);
    if (t.status !== 'in_transit') throw ProblemException.conflict(`transfer ${id} is ${t.status}; only an in_transit transfer can be received`, 'transfer-not-in-transit');
    const destination = await this.warehouses.find(t.toWarehouseId);
    if (!destination) throw ProblemException.notFound('warehouse', t.toWarehouseId);
    const shell = this.stock.shell(destination, t, null);
    await this.stock.transferIn(shell, t._id, t.quantityG, t.fromWarehouseId, now);
    return view(await this.repo.advance(t._id, 'in_transit', 'received', { receivedAt: now }));
  }

  /** The transfer, for the operators of either end and ops. */
  async get(caller: Principal, id: string): Promise<TransferView> {
    const t = await this.repo.findById(id);
    return view(Access.orNotFound(t, (x) => Access.warehouse(caller, x.fromWarehouseId) || Access.warehouse(caller, x.toWarehouseId), 'transfer', id));
  }

  private notEnough(requestedKg: number, availableG: number): ProblemException {
    return ProblemException.conflict(
      `not enough available: requested ${requestedKg} kg, available ${toKg(availableG)} kg`,
      'insufficient-stock',
    );
  }
}

function view(t: Transfer | null): TransferView {
  if (!t) throw new Error('transfer vanished');
  return {
    id: t._id,
    status: t.status,
    subLotId: t.subLotId,
    lotId: t.lotId,
    fromWarehouseId: t.fromWarehouseId,
    toWarehouseId: t.toWarehouseId,
    quantityKg: toKg(t.quantityG),
    createdAt: t.createdAt.toISOString(),
    dispatchedAt: t.dispatchedAt ? t.dispatchedAt.toISOString() : null,
    receivedAt: t.receivedAt ? t.receivedAt.toISOString() : null,
  };
}
