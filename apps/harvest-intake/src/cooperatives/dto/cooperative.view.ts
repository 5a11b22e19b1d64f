import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PointView {
  @ApiProperty({ example: 34.19 }) lat!: number;
  @ApiProperty({ example: 105.18 }) lon!: number;
}

export class GrowerView {
  @ApiProperty({ example: 'GRW-8N4TR6YH0P' }) id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: "Personal data: only the cooperative's manager and ops see it" }) phone?: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class OrchardView {
  @ApiProperty({ example: 'ORC-5J2WC8VA3E' }) id!: string;
  @ApiProperty() growerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() areaMu!: number;
  @ApiProperty({ type: PointView }) location!: PointView;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ example: 'Fuji' }) variety!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class CooperativeView {
  @ApiProperty({ example: 'COOP-2B7XQ9KD1M' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'CN-GS-LIXIAN' }) county!: string;
  @ApiProperty({ example: 'Gansu' }) province!: string;
  @ApiProperty({ type: PointView }) location!: PointView;
  @ApiProperty({ type: [GrowerView] }) growers!: GrowerView[];
  @ApiProperty({ type: [OrchardView] }) orchards!: OrchardView[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
