import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { GeoPointDoc } from '@firstmile/persistence';

export const WAREHOUSE_KINDS = ['origin', 'regional'] as const;
export type WarehouseKind = (typeof WAREHOUSE_KINDS)[number];

/** An origin warehouse (产地仓) in a producing county, or a regional distribution center. */
@Schema({ collection: 'warehouses', versionKey: false })
export class Warehouse {
  /** Reference ids (`WH-LIXIAN-ORIGIN`, `DC-HANGZHOU`) are kept as they are. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ type: String, required: true, enum: WAREHOUSE_KINDS }) kind!: WarehouseKind;
  @Prop({ required: true }) city!: string;
  @Prop() county?: string;
  @Prop({ type: GeoPointDoc, required: true }) location!: GeoPointDoc;
  @Prop({ required: true }) createdAt!: Date;
}

export const WarehouseSchema = SchemaFactory.createForClass(Warehouse);
// Serves GET /v1/warehouses?kind=…, ordered by id for the cursor.
WarehouseSchema.index({ kind: 1, _id: 1 });
