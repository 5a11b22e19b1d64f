import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LOT_STATUSES } from '../lot.schema';

/** What grading reported of the lot (from lot.graded). */
export class GradingSummaryView {
  @ApiProperty({ format: 'date-time' }) gradedAt!: string;
  @ApiProperty({ example: 'GB/T 10651-2008' }) standard!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { grade_1: 1150 } }) kgByGrade!: Record<string, number>;
  @ApiProperty() cullKg!: number;
  @ApiProperty({ type: [String] }) subLotIds!: string[];
}

/** A harvest lot as its cooperative and ops see it. */
export class VoidRefusedView {
  @ApiProperty({ description: 'The reason the void was asked for' }) reason!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time' }) refusedAt!: string;
  @ApiProperty({ description: 'Why it was refused: the lot was graded first' }) detail!: string;
}

export class LotView {
  @ApiProperty({ example: 'LOT-7K3QH9WZ2M' }) id!: string;
  @ApiProperty() cooperativeId!: string;
  @ApiProperty() growerId!: string;
  @ApiProperty() orchardId!: string;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ example: 'Fuji' }) variety!: string;
  @ApiProperty({ format: 'date-time' }) harvestedAt!: string;
  @ApiProperty({ example: 1200.5 }) quantityKg!: number;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) crates?: number | null;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) originWarehouseId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) notes?: string | null;
  @ApiProperty({ enum: LOT_STATUSES }) status!: string;
  @ApiPropertyOptional() voidReason?: string;
  @ApiPropertyOptional({ format: 'date-time' }) voidedAt?: string;
  @ApiPropertyOptional({ type: GradingSummaryView }) grading?: GradingSummaryView;
  @ApiPropertyOptional({ type: VoidRefusedView, description: 'A void that came too late: the lot had been graded' }) voidRefused?: VoidRefusedView;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class LotPage {
  @ApiProperty({ type: [LotView] }) items!: LotView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}
