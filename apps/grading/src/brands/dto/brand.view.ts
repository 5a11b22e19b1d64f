import { ApiProperty } from '@nestjs/swagger';

export class BrandView {
  @ApiProperty({ example: 'LIXIAN-APPLE-3F2A9C1B7D4E' }) id!: string;
  @ApiProperty({ example: 'Lixian Apple' }) name!: string;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ type: [String], example: ['CN-GS-LIXIAN'] }) counties!: string[];
  @ApiProperty({ example: 'grade_1' }) minGrade!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class BrandList {
  @ApiProperty({ type: [BrandView] }) items!: BrandView[];
}
