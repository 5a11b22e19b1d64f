import { ApiProperty } from '@nestjs/swagger';
import { TRANSFER_STATUSES } from '../transfer.schema';

export class TransferView {
  @ApiProperty({ example: 'TRF-9C4XW2KQ7N' }) id!: string;
  @ApiProperty({ enum: TRANSFER_STATUSES }) status!: string;
  @ApiProperty() subLotId!: string;
  @ApiProperty() lotId!: string;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) fromWarehouseId!: string;
  @ApiProperty({ example: 'DC-XIAN' }) toWarehouseId!: string;
  @ApiProperty({ example: 100 }) quantityKg!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dispatchedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) receivedAt!: string | null;
}
