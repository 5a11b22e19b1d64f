import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A regional public brand program (e.g. 礼县苹果): which counties' produce may carry it, from which grade up. */
@Schema({ collection: 'brands', versionKey: false })
export class Brand {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ type: [String], required: true }) counties!: string[];
  @Prop({ required: true }) minGrade!: string;
  @Prop({ required: true }) createdAt!: Date;
}

export const BrandSchema = SchemaFactory.createForClass(Brand);
// Serves the duplicate check of POST /v1/brands: one program per name.
BrandSchema.index({ name: 1 }, { unique: true });
// Serves grading: the programs of a produce that include the lot's county.
BrandSchema.index({ produce: 1, counties: 1 });
