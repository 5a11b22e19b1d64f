import { Injectable } from '@nestjs/common';
import type { Principal } from '@firstmile/contracts';
import { Access, ProblemException } from '@firstmile/http';
import { newId } from '@firstmile/persistence';
import type { Cooperative, Grower, Orchard } from './cooperative.schema';
import { CooperativesRepository } from './cooperatives.repository';
import type { CreateCooperativeDto, CreateGrowerDto, CreateOrchardDto } from './dto/create-cooperative.dto';

export type CooperativeView = Omit<Cooperative, '_id'> & { id: string };

@Injectable()
export class CooperativesService {
  constructor(private readonly repo: CooperativesRepository) {}

  async create(dto: CreateCooperativeDto): Promise<CooperativeView> {
    const coop: Cooperative = { _id: newId('COOP'), ...dto, growers: [], orchards: [], createdAt: new Date() };
    await this.repo.create(coop);
    return view(coop);
  }

  /** The cooperative if the caller may see it; 404 otherwise, as if it did not exist. */
  async get(caller: Principal, id: string): Promise<Cooperative> {
    const coop = await this.repo.findById(id);
    return Access.orNotFound(coop, (c) => Access.coop(caller, c._id), 'cooperative', id);
  }

  async view(caller: Principal, id: string): Promise<CooperativeView> {
    return view(await this.get(caller, id));
  }

  async addGrower(caller: Principal, coopId: string, dto: CreateGrowerDto): Promise<Grower> {
    await this.get(caller, coopId);
    const grower: Grower = { id: newId('GRW'), name: dto.name, ...(dto.phone ? { phone: dto.phone } : {}), createdAt: new Date() };
    await this.repo.addGrower(coopId, grower);
    return grower;
  }

  async addOrchard(caller: Principal, coopId: string, dto: CreateOrchardDto): Promise<Orchard> {
    await this.get(caller, coopId);
    const orchard: Orchard = { id: newId('ORC'), ...dto, createdAt: new Date() };
    if (!(await this.repo.addOrchard(coopId, orchard))) {
      throw ProblemException.validation([{ field: 'growerId', message: `grower ${dto.growerId} is not a member of this cooperative` }]);
    }
    return orchard;
  }
}

function view({ _id, ...rest }: Cooperative): CooperativeView {
  return { id: _id, ...rest };
}

