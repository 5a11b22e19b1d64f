import { ApiProperty } from '@nestjs/swagger';
import { CURRENCIES, type Currency } from '@firstmile/contracts';

export class ChannelFigures {
  @ApiProperty({ example: 120.5 }) kg!: number;
  @ApiProperty({ example: '2024.40', description: 'CNY, two decimals' }) revenue!: string;
}

/** Per channel: every channel present, zero when nothing sold on it. */
export class ChannelsFigures {
  @ApiProperty({ type: ChannelFigures }) livestream!: ChannelFigures;
  @ApiProperty({ type: ChannelFigures }) marketplace!: ChannelFigures;
  @ApiProperty({ type: ChannelFigures }) wholesale!: ChannelFigures;
  @ApiProperty({ type: ChannelFigures }) retail!: ChannelFigures;
}

export class GrowerSettlementView {
  @ApiProperty() growerId!: string;
  @ApiProperty({ type: String, nullable: true, description: 'As the cooperative registered the grower (null for lots logged before names travelled)' })
  name!: string | null;
  @ApiProperty({ description: 'Harvested in the window (voided lots not counted)' }) harvestedKg!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { premium: 400, grade_1: 350 }, description: 'Graded in the window, kg per grade' })
  gradedKg!: Record<string, number>;
  @ApiProperty({ description: 'Culled at grading in the window' }) cullKg!: number;
  @ApiProperty({ description: 'Delivered in the window' }) soldKg!: number;
  @ApiProperty({ example: '1234.50', description: 'CNY of the allocations delivered in the window (cancelled and undelivered orders earn nothing)' })
  revenue!: string;
}

export class SettlementTotal {
  @ApiProperty() harvestedKg!: number;
  @ApiProperty() soldKg!: number;
  @ApiProperty({ example: '1234.50' }) revenue!: string;
}

export class SettlementsView {
  @ApiProperty() cooperativeId!: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: CURRENCIES }) currency!: Currency;
  @ApiProperty({ type: [GrowerSettlementView] }) growers!: GrowerSettlementView[];
  @ApiProperty({ type: SettlementTotal }) total!: SettlementTotal;
}

export class SubLotSettlementView {
  @ApiProperty() subLotId!: string;
  @ApiProperty() grade!: string;
  @ApiProperty({ type: String, nullable: true }) brand!: string | null;
  @ApiProperty({ description: 'The sub-lot as graded' }) quantityKg!: number;
  @ApiProperty({ description: 'Delivered so far' }) soldKg!: number;
  @ApiProperty({ example: '860.00' }) revenue!: string;
  @ApiProperty({ type: ChannelsFigures }) byChannel!: Record<string, ChannelFigures>;
}

export class LotSettlementView {
  @ApiProperty() lotId!: string;
  @ApiProperty() cooperativeId!: string;
  @ApiProperty({ type: String, nullable: true }) growerId!: string | null;
  @ApiProperty({ enum: CURRENCIES }) currency!: Currency;
  @ApiProperty({ type: [SubLotSettlementView] }) subLots!: SubLotSettlementView[];
  @ApiProperty() soldKg!: number;
  @ApiProperty({ example: '1720.00' }) revenue!: string;
}
