import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/*
 * What an EPCIS event needs to know that its own source event does not carry, learnt from the other
 * streams: whose a lot is, what a sub-lot is, what a shipment holds. Inserted once by natural key and
 * never updated; each is read by _id only.
 */

/** A harvest lot (from lot.logged, or lot.graded if that is read first). */
@Schema({ collection: 'lots', versionKey: false })
export class LotFact {
  /** The lot id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) cooperativeId!: string;
  @Prop({ required: true }) produce!: string;
}
export const LotFactSchema = SchemaFactory.createForClass(LotFact);

/** A graded sub-lot (from lot.graded): what its Digital Link URI is made of. */
@Schema({ collection: 'sub_lots', versionKey: false })
export class SubLotFact {
  /** The sub-lot id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) cooperativeId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ required: true }) traceCode!: string;
}
export const SubLotFactSchema = SchemaFactory.createForClass(SubLotFact);

/** A shipment's contents (from shipment.created): delivered events name sub-lots, not quantities. */
@Schema({ collection: 'shipments', versionKey: false })
export class ShipmentFact {
  /** The shipment id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [Object], required: true }) items!: { subLotId: string; quantityKg: number }[];
}
export const ShipmentFactSchema = SchemaFactory.createForClass(ShipmentFact);
