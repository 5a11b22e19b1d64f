import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';

@Schema({ _id: false })
export class PriceEntryDoc {
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ type: String, enum: [...ORDER_CHANNELS, null], default: null }) channel!: OrderChannel | null;
  /** Integer fen (1/100 CNY) per kg. */
  @Prop({ required: true }) fenPerKg!: number;
}

@Schema({ _id: false })
export class PriceListVersionDoc {
  @Prop({ required: true }) version!: number;
  @Prop({ type: String, required: true }) currency!: 'CNY';
  @Prop({ required: true }) effectiveAt!: Date;
  @Prop({ type: [SchemaFactory.createForClass(PriceEntryDoc)], required: true }) entries!: PriceEntryDoc[];
  @Prop({ required: true }) setBy!: string;
  @Prop({ required: true }) setAt!: Date;
}

/**
 * A produce's price lists, every version in one document: a new version is one conditional write of
 * it (guarded by `version`), so two ops setting prices at once on two replicas both land, one after
 * the other, and a routing batch reads every produce's lists in one `{_id: {$in}}` read (or only
 * their versions, when its cache is current). Read by _id only.
 */
@Schema({ collection: 'price_lists', versionKey: false })
export class PriceList {
  /** The produce. */
  @Prop({ type: String, required: true }) _id!: string;
  /** The latest version's number (not necessarily the one in force: it may take effect later). */
  @Prop({ required: true }) version!: number;
  @Prop({ type: [SchemaFactory.createForClass(PriceListVersionDoc)], required: true }) versions!: PriceListVersionDoc[];
}

export const PriceListSchema = SchemaFactory.createForClass(PriceList);
