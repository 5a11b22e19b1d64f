import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { GeoPointDoc } from '@firstmile/persistence';

@Schema({ _id: false })
export class Grower {
  @Prop({ required: true }) id!: string;
  @Prop({ required: true }) name!: string;
  /** Personal data: stays in this service, never in an event or a provenance page. */
  @Prop() phone?: string;
  @Prop({ required: true }) createdAt!: Date;
}

@Schema({ _id: false })
export class Orchard {
  @Prop({ required: true }) id!: string;
  @Prop({ required: true }) growerId!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) areaMu!: number;
  @Prop({ type: GeoPointDoc, required: true }) location!: GeoPointDoc;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) createdAt!: Date;
}

/** A cooperative with its growers and orchards: one document, so each change is one write. */
@Schema({ collection: 'cooperatives', versionKey: false })
export class Cooperative {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) county!: string;
  @Prop({ required: true }) province!: string;
  @Prop({ type: GeoPointDoc, required: true }) location!: GeoPointDoc;
  @Prop({ type: [SchemaFactory.createForClass(Grower)], default: [] }) growers!: Grower[];
  @Prop({ type: [SchemaFactory.createForClass(Orchard)], default: [] }) orchards!: Orchard[];
  @Prop({ required: true }) createdAt!: Date;
}

export const CooperativeSchema = SchemaFactory.createForClass(Cooperative);
