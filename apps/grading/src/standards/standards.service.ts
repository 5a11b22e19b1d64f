import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DEFAULT_STANDARD_BY_PRODUCE, findStandard, type GradingStandard, STANDARDS } from '@firstmile/grading-standards';
import { type GradingEnv, parsePairs } from '../grading.env';

/** Which standard grades which produce: the built-in defaults, overridden by GRADING_STANDARDS. */
@Injectable()
export class StandardsService {
  private readonly byProduce: Record<string, GradingStandard>;

  constructor(config: ConfigService<GradingEnv, true>) {
    const chosen = { ...DEFAULT_STANDARD_BY_PRODUCE, ...parsePairs(config.get('GRADING_STANDARDS', { infer: true })) };
    this.byProduce = {};
    for (const [produce, id] of Object.entries(chosen)) {
      const standard = findStandard(id);
      // A typo here would leave a produce ungradable; better to refuse to start.
      if (!standard) throw new Error(`GRADING_STANDARDS: no standard ${id}; known: ${STANDARDS.map((s) => s.id).join(', ')}`);
      if (standard.produce !== produce) throw new Error(`GRADING_STANDARDS: ${id} grades ${standard.produce}, not ${produce}`);
      this.byProduce[produce] = standard;
    }
  }

  /** The standard a produce is graded by, if any. */
  forProduce(produce: string): GradingStandard | undefined {
    return this.byProduce[produce];
  }

  byId(id: string): GradingStandard | undefined {
    return findStandard(id);
  }

  /** Every standard of a produce (the one in use and the alternatives). */
  ofProduce(produce: string): GradingStandard[] {
    return STANDARDS.filter((s) => s.produce === produce);
  }

  list() {
    return STANDARDS.map((s) => ({ ...s, inUse: this.byProduce[s.produce]?.id === s.id, cull: 'cull' }));
  }
}
