import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Principal } from '@firstmile/contracts';
import { findStandard } from '@firstmile/grading-standards';
import { digitalLink } from '@firstmile/gs1';
import { Access } from '@firstmile/http';
import type { GradingEnv } from '../grading.env';
import { ProvenanceService } from '../provenance/provenance.service';
import type { LabelData } from './label';
import { findCjkFont, labelSheetPdf } from './label-sheet';
import { labelSvg } from './label';

export const DEFAULT_BOX_KG = 5;
export const DEFAULT_BOXES = 8;

@Injectable()
export class LabelsService {
  private readonly publicBaseUrl: string;
  private readonly cjkFont: string | undefined;

  constructor(
    private readonly provenance: ProvenanceService,
    config: ConfigService<GradingEnv, true>,
  ) {
    this.publicBaseUrl = config.get('PUBLIC_BASE_URL', { infer: true });
    this.cjkFont = findCjkFont(config.get('LABEL_CJK_FONT', { infer: true }));
  }

  async svg(caller: Principal, subLotId: string, boxKg = DEFAULT_BOX_KG): Promise<string> {
    return labelSvg(await this.data(caller, subLotId, boxKg));
  }

  async pdf(caller: Principal, subLotId: string, boxes = DEFAULT_BOXES, boxKg = DEFAULT_BOX_KG): Promise<Buffer> {
    return labelSheetPdf(await this.data(caller, subLotId, boxKg), boxes, this.cjkFont);
  }

  /** A graded sub-lot graded at one of the caller's warehouses (ops: any); the same 404 otherwise. */
  private async data(caller: Principal, subLotId: string, boxKg: number): Promise<LabelData> {
    const doc = Access.orNotFound(
      await this.provenance.findGradedSubLot(subLotId),
      (d) => Access.warehouse(caller, d.originWarehouseId),
      'sub-lot',
      subLotId,
    );
    const grade = findStandard(doc.standard)?.grades.find((g) => g.grade === doc.grade)?.label ?? doc.grade;
    return {
      brand: doc.brand,
      produce: doc.produce,
      variety: doc.variety,
      grade,
      boxKg,
      bestBefore: new Date(doc.bestBefore).toISOString().slice(0, 10),
      traceCode: doc._id,
      url: digitalLink(this.publicBaseUrl, this.provenance.gtinOf(doc), doc._id),
    };
  }
}
