import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WAREHOUSE_KINDS } from '../warehouse.schema';

export class WarehousePointView {
  @ApiProperty({ example: 34.19 }) lat!: number;
  @ApiProperty({ example: 105.18 }) lon!: number;
}

export class WarehouseView {
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) id!: string;
  @ApiProperty({ example: 'Lixian origin warehouse' }) name!: string;
  @ApiProperty({ enum: WAREHOUSE_KINDS }) kind!: string;
  @ApiProperty({ example: 'Lixian' }) city!: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'CN-GS-LIXIAN' }) county?: string | null;
  @ApiProperty({ type: WarehousePointView }) location!: WarehousePointView;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WarehousePage {
  @ApiProperty({ type: [WarehouseView] }) items!: WarehouseView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}
