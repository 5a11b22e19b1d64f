import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

export class CreateBrandDto {
  @ApiProperty({ example: 'Lixian Apple (礼县苹果)' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @ApiProperty({ example: 'apple' }) @Matches(/^[a-z_]{2,40}$/) produce!: string;
  @ApiProperty({ example: ['CN-GS-LIXIAN'], description: 'County ids as in reference/places.json' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @Matches(/^[A-Z]{2}-[A-Z]{2}-[A-Z0-9]{2,40}$/, { each: true, message: 'each county must be a county id such as CN-GS-LIXIAN' })
  counties!: string[];
  @ApiProperty({ example: 'grade_1', description: 'The lowest grade (of a standard for this produce) that may carry the brand' })
  @Matches(/^[a-z0-9_]{1,40}$/)
  minGrade!: string;
}
