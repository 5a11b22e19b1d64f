import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOURNEY_STEPS } from '../provenance.schema';

export class ProvenancePointView {
  @ApiProperty({ example: 34.19 }) lat!: number;
  @ApiProperty({ example: 105.18 }) lon!: number;
}

export class PlaceView {
  @ApiPropertyOptional({ example: 'WH-LIXIAN-ORIGIN' }) warehouseId?: string;
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional({ type: ProvenancePointView }) location?: ProvenancePointView;
  @ApiPropertyOptional({ description: 'Steps after the warehouse say no more than the destination city' }) city?: string;
}

export class JourneyStepView {
  @ApiProperty({ enum: JOURNEY_STEPS }) step!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: PlaceView }) place!: PlaceView;
  @ApiPropertyOptional({ type: PlaceView, description: 'Where a transfer was headed' }) to?: PlaceView;
}

export class ProvenanceCooperativeView {
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'CN-GS-LIXIAN' }) county!: string;
  @ApiProperty({ example: 'Gansu' }) province!: string;
}

export class ProvenanceOrchardView {
  @ApiProperty() name!: string;
  @ApiProperty({ type: ProvenancePointView }) location!: ProvenancePointView;
}

/** The public story of a sub-lot: no personal data. */
export class ProvenanceView {
  @ApiProperty({ example: '7K3QH9WZ2M4B' }) traceCode!: string;
  @ApiProperty({ description: 'GTIN-14 of the trade item (produce × grade × brand)' }) gtin!: string;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ example: 'Fuji' }) variety!: string;
  @ApiProperty({ example: 'grade_1' }) grade!: string;
  @ApiProperty({ type: String, nullable: true }) brand!: string | null;
  @ApiProperty() standard!: string;
  @ApiProperty({ format: 'date-time' }) bestBefore!: string;
  @ApiProperty({ type: ProvenanceCooperativeView }) cooperative!: ProvenanceCooperativeView;
  @ApiProperty({ type: ProvenanceOrchardView }) orchard!: ProvenanceOrchardView;
  @ApiProperty({ format: 'date-time' }) harvestedAt!: string;
  @ApiProperty({ format: 'date-time' }) gradedAt!: string;
  @ApiProperty({ type: [JourneyStepView] }) journey!: JourneyStepView[];
}
