import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';

export class LabelQueryDto {
  @ApiPropertyOptional({ description: 'Net weight per box, kg (default 5)', minimum: 0.1, maximum: 50 })
  @IsOptional()
  @Type(() => Number)
  // No maxDecimalPlaces: class-validator's check throws on exponent notation (`1e-9`), a 500 the fuzz found.
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(50)
  boxKg?: number;
}

export class LabelSheetQueryDto extends LabelQueryDto {
  @ApiPropertyOptional({ description: 'How many labels (one per box), 1 to 500 (default 8: one A4 sheet)', minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  boxes?: number;
}
