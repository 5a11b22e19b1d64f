import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Cursor, type Page, ProblemException } from '@firstmile/http';
import { newId } from '@firstmile/persistence';
import { REFERENCE_WAREHOUSES } from '@firstmile/reference';
import type { FilterQuery } from 'mongoose';
import type { WarehouseEnv } from '../warehouse.env';
import type { CreateWarehouseDto, ListWarehousesQuery } from './dto/create-warehouse.dto';
import type { Warehouse } from './warehouse.schema';
import { WarehousesRepository } from './warehouses.repository';

export type WarehouseView = Omit<Warehouse, '_id'> & { id: string };

@Injectable()
export class WarehousesService implements OnModuleInit {
  private readonly logger = new Logger(WarehousesService.name);
  private seeding?: Promise<void>;

  constructor(
    private readonly repo: WarehousesRepository,
    private readonly config: ConfigService<WarehouseEnv, true>,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.seeded();
  }

  /**
   * Upserts the reference warehouses once per process. Kafka consumers start before module init,
   * so a lookup that misses waits for this rather than dead-lettering a lot graded at start-up.
   */
  seeded(): Promise<void> {
    if (!this.config.get('SEED_REFERENCE_DATA', { infer: true })) return Promise.resolve();
    this.seeding ??= this.repo
      .upsertMany(
        REFERENCE_WAREHOUSES.map((w) => ({ _id: w.id, name: w.name, kind: w.kind, city: w.city, ...(w.county ? { county: w.county } : {}), location: w.location })),
        new Date(),
      )
      .then(() => this.logger.log(`seeded ${REFERENCE_WAREHOUSES.length} reference warehouses`))
      .catch((err: unknown) => {
        this.seeding = undefined;
        throw err;
      });
    return this.seeding;
  }

  /** The warehouse, or null; waits for the reference seed before saying a reference id is unknown. */
  async find(id: string): Promise<Warehouse | null> {
    const found = await this.repo.findById(id);
    if (found || !REFERENCE_WAREHOUSES.some((w) => w.id === id)) return found;
    await this.seeded();
    return this.repo.findById(id);
  }

  async get(id: string): Promise<WarehouseView> {
    const w = await this.find(id);
    if (!w) throw ProblemException.notFound('warehouse', id);
    return view(w);
  }

  async create(dto: CreateWarehouseDto, now = new Date()): Promise<WarehouseView> {
    const { id, ...fields } = dto;
    const w: Warehouse = { _id: id ?? newId('WH'), ...fields, location: { lat: dto.location.lat, lon: dto.location.lon }, createdAt: now };
    if (!(await this.repo.insert(w))) throw ProblemException.conflict(`warehouse ${w._id} already exists`, 'warehouse-exists');
    return view(w);
  }

  async list(q: ListWarehousesQuery): Promise<Page<WarehouseView>> {
    const filter: FilterQuery<Warehouse> = {};
    if (q.kind) filter.kind = q.kind;
    if (q.cursor) filter._id = { $gt: Cursor.decode(q.cursor) };
    const rows = await this.repo.find(filter, q.limit + 1);
    const page = Cursor.page(rows, q.limit, (w) => w._id);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }
}

function view({ _id, ...rest }: Warehouse): WarehouseView {
  return { id: _id, ...rest };
}
