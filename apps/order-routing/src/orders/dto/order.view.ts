import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_STATUSES } from '../order.schema';

export class RoutePointView {
  @ApiProperty({ example: 30.27 }) lat!: number;
  @ApiProperty({ example: 120.15 }) lon!: number;
}

export class DestinationView {
  @ApiProperty({ example: 'Hangzhou' }) city!: string;
  @ApiProperty({ type: RoutePointView }) location!: RoutePointView;
  @ApiPropertyOptional({ type: String, nullable: true }) address?: string | null;
}

export class OrderLineView {
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ example: 'grade_1' }) minGrade!: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Lixian Apple' }) brand?: string | null;
  @ApiProperty({ example: 20 }) quantityKg!: number;
}

export class AllocationView {
  @ApiProperty({ type: 'integer', description: 'Index of the order line' }) line!: number;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) warehouseId!: string;
  @ApiProperty() subLotId!: string;
  @ApiProperty() quantityKg!: number;
}

export class OrderView {
  @ApiProperty({ example: 'ORD-6H2NV8XC4R' }) id!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: string;
  @ApiProperty({ example: 'retail' }) channel!: string;
  @ApiProperty({ type: DestinationView }) destination!: DestinationView;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) deliverBy?: string | null;
  @ApiProperty({ type: [OrderLineView] }) lines!: OrderLineView[];
  @ApiProperty({ type: [AllocationView], description: 'What is held for the order (routed or fulfilled); empty otherwise' }) allocations!: AllocationView[];
  @ApiProperty({ type: [String] }) shipments!: string[];
  @ApiPropertyOptional({ description: 'Why, when backordered, rejected or cancelled' }) reason?: string;
  @ApiPropertyOptional({ description: 'Why a cancellation was refused: stock of the order had left the warehouse' }) cancelRefused?: string;
  @ApiProperty({ format: 'date-time' }) placedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) routedAt?: string;
}

export class OrderPage {
  @ApiProperty({ type: [OrderView] }) items!: OrderView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor!: string | null;
}

export class OrderReceivedView {
  @ApiProperty({ example: 'ORD-6H2NV8XC4R' }) id!: string;
  @ApiProperty({ enum: ORDER_STATUSES, example: 'received' }) status!: string;
}
