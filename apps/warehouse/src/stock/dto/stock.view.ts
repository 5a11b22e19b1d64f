import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class StockItemView {
  @ApiProperty({ example: 'SUB-4Q8ZK2M9TB' }) subLotId!: string;
  @ApiProperty({ example: 'LOT-7K3QH9WZ2M' }) lotId!: string;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ example: 'Fuji' }) variety!: string;
  @ApiProperty({ example: 'grade_1' }) grade!: string;
  @ApiProperty({ type: String, nullable: true }) brand!: string | null;
  @ApiProperty() traceCode!: string;
  @ApiProperty({ description: 'availableKg + reservedKg' }) onHandKg!: number;
  @ApiProperty() reservedKg!: number;
  @ApiProperty() availableKg!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) receivedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) bestBefore!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
}

export class StockPage {
  @ApiProperty({ type: [StockItemView] }) items!: StockItemView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}

export class LedgerEntryView {
  @ApiProperty() id!: string;
  @ApiProperty() subLotId!: string;
  @ApiProperty() lotId!: string;
  @ApiProperty({ example: 'received' }) kind!: string;
  @ApiProperty() quantityKg!: number;
  @ApiProperty() onHandDeltaKg!: number;
  @ApiProperty() reservedDeltaKg!: number;
  @ApiProperty() onHandKg!: number;
  @ApiProperty() reservedKg!: number;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() reservationId?: string;
  @ApiPropertyOptional() orderId?: string;
  @ApiPropertyOptional() transferId?: string;
  @ApiPropertyOptional() shipmentId?: string;
}

export class LedgerPage {
  @ApiProperty({ type: [LedgerEntryView] }) items!: LedgerEntryView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}

export class DispatchedItemView {
  @ApiProperty() subLotId!: string;
  @ApiProperty() reservationId!: string;
  @ApiProperty() quantityKg!: number;
}

export class DispatchView {
  @ApiProperty({ example: 'SHP-1T7KD3QW9B' }) shipmentId!: string;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) warehouseId!: string;
  @ApiProperty() orderId!: string;
  @ApiProperty({ format: 'date-time' }) dispatchedAt!: string;
  @ApiProperty({ type: [DispatchedItemView] }) items!: DispatchedItemView[];
}
