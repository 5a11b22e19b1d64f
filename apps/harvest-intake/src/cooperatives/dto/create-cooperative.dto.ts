import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { GeoPoint } from '@firstmile/contracts';

export class GeoPointDto extends GeoPoint {
  @ApiProperty({ example: 34.19 }) declare lat: number;
  @ApiProperty({ example: 105.18 }) declare lon: number;
}

export class CreateCooperativeDto {
  @ApiProperty({ example: 'Lixian Apple Growers Cooperative' })
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;

  @ApiProperty({ example: 'CN-GS-LIXIAN', description: 'County id as in reference/places.json' })
  @Matches(/^[A-Z]{2}-[A-Z]{2}-[A-Z0-9]{2,40}$/, { message: 'county must be a county id such as CN-GS-LIXIAN' })
  county!: string;

  @ApiProperty({ example: 'Gansu' }) @IsString() @IsNotEmpty() @MaxLength(100) province!: string;

  @ApiProperty({ type: GeoPointDto }) @IsObject() @ValidateNested() @Type(() => GeoPointDto) location!: GeoPointDto;
}

export class CreateGrowerDto {
  @ApiProperty({ example: 'Wang Jianguo' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @ApiPropertyOptional({ example: '+86 138 0000 0000' })
  @IsOptional() @Matches(/^\+?[0-9 ()-]{5,30}$/, { message: 'phone must be a phone number' }) phone?: string;
}

export class CreateOrchardDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(40) growerId!: string;
  @ApiProperty({ example: 'South slope' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  /** 100,000 mu is 6,667 ha: far beyond any smallholder cooperative's orchard, well within a double. */
  @ApiProperty({ example: 12.5, description: 'Area in mu (亩, 1/15 ha)', minimum: 0.01, maximum: 100_000 })
  @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false }) @Min(0.01) @Max(100_000) areaMu!: number;
  @ApiProperty({ type: GeoPointDto }) @IsObject() @ValidateNested() @Type(() => GeoPointDto) location!: GeoPointDto;
  @ApiProperty({ example: 'apple' }) @Matches(/^[a-z_]{2,40}$/) produce!: string;
  @ApiProperty({ example: 'Fuji' }) @IsString() @IsNotEmpty() @MaxLength(100) variety!: string;
}
