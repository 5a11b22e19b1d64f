import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export interface GradeTotals {
  fruits: number;
  /** Milligrams: integers, so batches add up exactly. */
  mg: number;
}

/**
 * One grading-line batch folded into per-grade tallies (never per-fruit rows). The id is
 * `<lotId>/<batchId>`, so a resent batch is a duplicate key and changes nothing.
 */
@Schema({ collection: 'measurement_batches', versionKey: false, minimize: false })
export class MeasurementBatch {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) batchId!: string;
  @Prop({ required: true }) fruits!: number;
  @Prop({ type: Object, required: true }) byGrade!: Record<string, GradeTotals>;
  @Prop({ required: true }) at!: Date;
}

export const MeasurementBatchSchema = SchemaFactory.createForClass(MeasurementBatch);
// Serves the sum of a lot's batches (lot view, grading from measurements).
MeasurementBatchSchema.index({ lotId: 1 });
