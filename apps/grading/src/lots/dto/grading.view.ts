import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LOT_STATUSES } from '../lot.schema';

export class SubLotView {
  @ApiProperty({ example: 'SUB-4Q8ZK2M9TB' }) id!: string;
  @ApiProperty({ example: 'grade_1' }) grade!: string;
  @ApiProperty({ example: 1150 }) quantityKg!: number;
  @ApiProperty({ type: String, nullable: true, example: 'Lixian Apple' }) brand!: string | null;
  @ApiProperty({ example: '7K3QH9WZ2M4B' }) traceCode!: string;
  @ApiProperty({ format: 'date-time' }) bestBefore!: string;
}

/** The result of grading a lot (POST …/grading). */
export class GradingResultView {
  @ApiProperty({ example: 'LOT-7K3QH9WZ2M' }) lotId!: string;
  @ApiProperty({ format: 'date-time' }) gradedAt!: string;
  @ApiProperty({ example: 'GB/T 10651-2008' }) standard!: string;
  @ApiProperty({ enum: ['bands', 'measurements'] }) method!: string;
  @ApiProperty({ type: [SubLotView] }) subLots!: SubLotView[];
  @ApiProperty() cullKg!: number;
}

export class LotCooperativeView {
  @ApiProperty({ example: 'COOP-2B7XQ9KD1M' }) id!: string;
  @ApiProperty() name!: string;
}

/** What every view of a lot at grading shows. */
abstract class GradingLotFacts {
  @ApiProperty({ example: 'LOT-7K3QH9WZ2M' }) lotId!: string;
  @ApiProperty({ enum: LOT_STATUSES }) status!: string;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ example: 'Fuji' }) variety!: string;
  @ApiProperty() quantityKg!: number;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) originWarehouseId!: string;
  @ApiProperty({ format: 'date-time' }) harvestedAt!: string;
}

export class GradingLotItem extends GradingLotFacts {
  @ApiProperty({ type: LotCooperativeView }) cooperative!: LotCooperativeView;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
}

export class GradingLotPage {
  @ApiProperty({ type: [GradingLotItem] }) items!: GradingLotItem[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}

export class MeasurementsView {
  @ApiProperty({ type: 'integer' }) batches!: number;
  @ApiProperty({ type: 'integer' }) fruits!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', required: ['fruits', 'kg'], properties: { fruits: { type: 'integer' }, kg: { type: 'number' } } },
    description: 'Per grade: fruits and kilograms measured',
  })
  byGrade!: Record<string, { fruits: number; kg: number }>;
}

export class LotCooperativeFullView extends LotCooperativeView {
  @ApiProperty({ example: 'CN-GS-LIXIAN' }) county!: string;
  @ApiProperty({ example: 'Gansu' }) province!: string;
}

/** A lot at grading: pending with what has been measured, or graded with the result (GradingResultView's fields), or voided. */
export class GradingStatusView extends GradingLotFacts {
  @ApiProperty({ type: LotCooperativeFullView }) cooperative!: LotCooperativeFullView;
  @ApiProperty({ example: 'GB/T 10651-2008' }) standard!: string;
  @ApiProperty({ type: MeasurementsView }) measurements!: MeasurementsView;
  @ApiPropertyOptional({ format: 'date-time' }) voidedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) gradedAt?: string;
  @ApiPropertyOptional({ enum: ['bands', 'measurements'] }) method?: string;
  @ApiPropertyOptional({ type: [SubLotView] }) subLots?: SubLotView[];
  @ApiPropertyOptional() cullKg?: number;
}

export class MeasurementBatchAccepted {
  @ApiProperty({ example: 'LOT-7K3QH9WZ2M' }) lotId!: string;
  @ApiProperty() batchId!: string;
  @ApiProperty({ description: 'false when this batchId was already taken (nothing was added)' }) accepted!: boolean;
  @ApiProperty({ type: 'integer', description: 'Fruits in the batch' }) fruits!: number;
}
