import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsNumber, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class CreateTransferDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(60) subLotId!: string;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) @Matches(/^[A-Z0-9-]{2,40}$/) fromWarehouseId!: string;
  @ApiProperty({ example: 'DC-XIAN' }) @Matches(/^[A-Z0-9-]{2,40}$/) toWarehouseId!: string;
  @ApiProperty({ example: 250.5, minimum: 0.001 })
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(1_000_000) quantityKg!: number;
}
