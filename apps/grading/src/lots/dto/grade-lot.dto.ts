import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsNumber, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';

export class BandDto {
  @ApiProperty({ example: 'premium', description: 'A grade of the lot\'s standard, or cull' }) @Matches(/^[a-z0-9_]{1,40}$/) grade!: string;
  @ApiProperty({ example: 420.5 })
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(100000)
  quantityKg!: number;
}

export class GradeLotDto {
  @ApiPropertyOptional({ type: [BandDto], description: 'Weighed bands; without them the measured shares decide. The rest of the lot is cull.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => BandDto)
  bands?: BandDto[];
}
