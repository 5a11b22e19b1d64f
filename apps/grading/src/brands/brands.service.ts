import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { type GradingStandard, isGradeOf, meetsMinGrade } from '@firstmile/grading-standards';
import { ProblemException } from '@firstmile/http';
import { REFERENCE_BRANDS, type ReferenceBrand } from '@firstmile/reference';
import type { GradingEnv } from '../grading.env';
import { StandardsService } from '../standards/standards.service';
import type { Brand } from './brand.schema';
import { BrandsRepository } from './brands.repository';
import type { CreateBrandDto } from './dto/create-brand.dto';

export type BrandView = Omit<Brand, '_id'> & { id: string };

/**
 * `Lixian Apple (礼县苹果)` → `BRAND-LIXIAN-APPLE-<12 hex>`: a stable id, so seeding is an upsert by
 * id. The Latin part makes it readable; the hash of the whole name makes it unique for any name — the
 * Latin part alone made every name without Latin letters `BRAND-X` (a second Chinese-only brand was
 * 409) and `Lixian Apple` collide with `Lixian Apple (礼县苹果)`. Names are unique on their own
 * (a unique index), so an existing database keeps its older ids: seeding them again is a no-op.
 */
export function brandId(name: string): string {
  const latin = name.replace(/\(.*\)/g, '').trim().toUpperCase().replace(/[^A-Z0-9]+/g, '-').slice(0, 60).replace(/^-|-$/g, '');
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return latin ? `BRAND-${latin}-${digest}` : `BRAND-${digest}`;
}

@Injectable()
export class BrandsService implements OnModuleInit {
  private readonly logger = new Logger(BrandsService.name);

  constructor(
    private readonly repo: BrandsRepository,
    private readonly standards: StandardsService,
    private readonly config: ConfigService<GradingEnv, true>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.get('SEED_REFERENCE_DATA', { infer: true })) return;
    const now = new Date();
    await this.repo.seed(REFERENCE_BRANDS.map((b: ReferenceBrand) => ({ _id: brandId(b.name), ...b, createdAt: now })));
    this.logger.log(`seeded ${REFERENCE_BRANDS.length} reference brand programs`);
  }

  async list(): Promise<{ items: BrandView[] }> {
    return { items: (await this.repo.list()).map(view) };
  }

  async create(dto: CreateBrandDto): Promise<BrandView> {
    const standards = this.standards.ofProduce(dto.produce);
    if (standards.length === 0) {
      throw ProblemException.validation([{ field: 'produce', message: `no grading standard grades ${dto.produce}` }]);
    }
    if (!standards.some((s) => isGradeOf(s, dto.minGrade))) {
      const grades = [...new Set(standards.flatMap((s) => s.grades.map((g) => g.grade)))];
      throw ProblemException.validation([{ field: 'minGrade', message: `must be one of ${grades.join(', ')}` }]);
    }
    const brand: Brand = { _id: brandId(dto.name), name: dto.name, produce: dto.produce, counties: [...new Set(dto.counties)], minGrade: dto.minGrade, createdAt: new Date() };
    if (!(await this.repo.insert(brand))) throw ProblemException.conflict(`a brand program named ${dto.name} exists`, 'brand-exists');
    return view(brand);
  }

  /**
   * The brand a grade of a lot from `county` carries under `standard`, or null. When several
   * programs cover the county, the first by id wins, so the choice is stable.
   */
  async brandsFor(produce: string, county: string): Promise<(grade: string, standard: GradingStandard) => string | null> {
    const programs = await this.repo.forCounty(produce, county);
    return (grade, standard) => programs.find((p) => meetsMinGrade(standard, grade, p.minGrade))?.name ?? null;
  }
}

function view({ _id, ...rest }: Brand): BrandView {
  return { id: _id, ...rest };
}
