import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { GeoPointDoc } from '@firstmile/persistence';

/**
 * order-routing's own view of one sub-lot at one warehouse, built from `warehouse.stock` events.
 * It only ever moves forward: a write carries the warehouse's version and applies only when newer.
 */
@Schema({ collection: 'stock_positions', versionKey: false })
export class StockPosition {
  /** `<warehouseId>|<subLotId>`: one document per position. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ type: GeoPointDoc, required: true }) warehouseLocation!: GeoPointDoc;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ required: true }) traceCode!: string;
  @Prop({ required: true }) bestBefore!: Date;
  @Prop({ required: true }) onHandKg!: number;
  @Prop({ required: true }) reservedKg!: number;
  @Prop({ required: true }) availableKg!: number;
  @Prop({ required: true }) version!: number;
  @Prop({ required: true }) updatedAt!: Date;
}

export const StockPositionSchema = SchemaFactory.createForClass(StockPosition);
// The router reads the view from memory (StockViewRepository); this serves its refresh from the store:
// { updatedAt: { $gte: since } }, what any replica wrote lately.
StockPositionSchema.index({ updatedAt: 1 });

export const positionKey = (warehouseId: string, subLotId: string) => `${warehouseId}|${subLotId}`;
