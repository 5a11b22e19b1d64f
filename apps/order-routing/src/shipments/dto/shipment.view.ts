import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SHIPMENT_STATUSES } from '@firstmile/contracts';
import { DestinationView } from '../../orders/dto/order.view';

export class ShipmentItemView {
  @ApiProperty() subLotId!: string;
  @ApiProperty() reservationId!: string;
  @ApiProperty() quantityKg!: number;
}

export class CheckpointView {
  @ApiPropertyOptional({ type: String, nullable: true }) name?: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) lat?: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) lon?: number | null;
}

export class ShipmentEventView {
  @ApiProperty({ enum: SHIPMENT_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional({ type: CheckpointView, nullable: true }) location?: CheckpointView | null;
  @ApiPropertyOptional({ type: String, nullable: true }) note?: string | null;
}

export class ShipmentView {
  @ApiProperty({ example: 'SHP-1T7KD3QW9B' }) id!: string;
  @ApiProperty() orderId!: string;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) warehouseId!: string;
  @ApiProperty({ type: DestinationView }) destination!: DestinationView;
  @ApiProperty({ enum: SHIPMENT_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) eta!: string;
  @ApiProperty({ type: [ShipmentItemView] }) items!: ShipmentItemView[];
  @ApiProperty({ type: [ShipmentEventView] }) events!: ShipmentEventView[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ShipmentPage {
  @ApiProperty({ type: [ShipmentView] }) items!: ShipmentView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}
