import { ApiProperty } from '@nestjs/swagger';

export class StandardView {
  @ApiProperty({ example: 'GB/T 10651-2008' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ description: 'Where the rules come from' }) source!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Best first, each with its rules (size, colour, defects)' }) grades!: object[];
  @ApiProperty({ description: 'Whether it is the standard that grades its produce here' }) inUse!: boolean;
  @ApiProperty({ example: 'cull', description: 'What meets no grade' }) cull!: string;
}

export class StandardList {
  @ApiProperty({ type: [StandardView] }) items!: StandardView[];
}
