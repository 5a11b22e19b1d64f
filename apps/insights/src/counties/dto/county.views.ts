import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CURRENCIES, type Currency } from '@firstmile/contracts';

export class CountyHeadline {
  @ApiProperty({ example: 'CN-GS-LIXIAN' }) countyId!: string;
  @ApiProperty({ example: 'Lixian' }) name!: string;
  @ApiPropertyOptional({ example: '礼县' }) nameZh?: string;
  @ApiProperty({ example: 'Gansu' }) province!: string;
  @ApiProperty({ description: 'Harvested, all seasons (voided lots not counted)' }) harvestedKg!: number;
  @ApiProperty({ description: 'Delivered to buyers, all seasons' }) soldKg!: number;
  @ApiProperty({ example: '125000.00', description: 'CNY of the deliveries' }) revenue!: string;
}

export class CountiesPage {
  @ApiProperty({ type: [CountyHeadline] }) items!: CountyHeadline[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class ProduceFigures {
  @ApiProperty() kg!: number;
  @ApiProperty() lots!: number;
}

export class HarvestedFigures {
  @ApiProperty() kg!: number;
  @ApiProperty() lots!: number;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ProduceFigures' }, example: { apple: { kg: 12000, lots: 9 } } })
  byProduce!: Record<string, ProduceFigures>;
}

export class GradedFigures {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { premium: 4000, grade_1: 3500 }, description: 'kg per grade' })
  byGrade!: Record<string, number>;
  @ApiProperty() cullKg!: number;
  @ApiProperty({ description: 'kg of graded sub-lots that carry a regional brand' }) brandedKg!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'brandedKg of all graded sub-lots (cull excluded), in %, one decimal' }) brandedSharePct!: number | null;
}

export class ChannelSales {
  @ApiProperty() orders!: number;
  @ApiProperty() kg!: number;
  @ApiProperty({ example: '860.00' }) revenue!: string;
}

/** Per channel: every channel present, zero when nothing sold on it. */
export class ChannelsSales {
  @ApiProperty({ type: ChannelSales }) livestream!: ChannelSales;
  @ApiProperty({ type: ChannelSales }) marketplace!: ChannelSales;
  @ApiProperty({ type: ChannelSales }) wholesale!: ChannelSales;
  @ApiProperty({ type: ChannelSales }) retail!: ChannelSales;
}

export class SalesFigures {
  @ApiProperty({ description: 'Orders with a delivery of this county\'s fruit in the window' }) orders!: number;
  @ApiProperty() kg!: number;
  @ApiProperty({ example: '12040.50' }) revenue!: string;
  @ApiProperty({ type: () => ChannelsSales })
  byChannel!: Record<string, ChannelSales>;
}

export class DeliveryFigures {
  @ApiProperty({ description: 'Shipments carrying this county\'s fruit, of orders routed in the window and not cancelled' }) shipments!: number;
  @ApiProperty({ description: 'Of those, delivered' }) delivered!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Of the delivered ones whose order had a deliverBy, delivered by then, in % (one decimal)' })
  onTimePct!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Median hours from the warehouse\'s dispatch to delivery (one decimal)' })
  medianHoursToDeliver!: number | null;
}

export class GrowerFigures {
  @ApiProperty({ description: 'Growers with revenue in the window' }) paid!: number;
  @ApiProperty({ example: '12040.50' }) revenue!: string;
}

export class Destination {
  @ApiProperty({ example: 'Hangzhou' }) city!: string;
  @ApiProperty() kg!: number;
}

export class BrandPremium {
  @ApiProperty() produce!: string;
  @ApiProperty() grade!: string;
  @ApiProperty({ type: String, nullable: true, example: '16.80', description: 'Revenue per kg delivered of branded sub-lots of this grade (CNY)' }) brandedPerKg!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '11.00', description: 'Revenue per kg delivered of unbranded sub-lots of this produce and grade from every county (the market the brand is measured against)' })
  unbrandedPerKg!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'brandedPerKg over unbrandedPerKg, in % above (one decimal)' }) premiumPct!: number | null;
}

export class DailyFigures {
  @ApiProperty({ example: '2026-11-03', description: 'UTC date' }) date!: string;
  @ApiProperty() harvestedKg!: number;
  @ApiProperty() gradedKg!: number;
  @ApiProperty() soldKg!: number;
  @ApiProperty({ example: '980.00' }) revenue!: string;
}

export class CountySummary {
  @ApiProperty() countyId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() province!: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: CURRENCIES }) currency!: Currency;
  @ApiProperty({ type: HarvestedFigures }) harvested!: HarvestedFigures;
  @ApiProperty({ type: GradedFigures }) graded!: GradedFigures;
  @ApiProperty({ type: SalesFigures }) sales!: SalesFigures;
  @ApiProperty({ type: DeliveryFigures }) deliveries!: DeliveryFigures;
  @ApiProperty({ type: GrowerFigures }) growers!: GrowerFigures;
  @ApiProperty({ type: [Destination], description: 'Cities by kg delivered, at most 5' }) topDestinations!: Destination[];
  @ApiProperty({ type: [BrandPremium], description: 'Per produce and grade this county sold in the window' }) brandPremium!: BrandPremium[];
  @ApiProperty({ type: [DailyFigures], description: 'Every UTC day of the window' }) daily!: DailyFigures[];
}
