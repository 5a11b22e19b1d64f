import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'idempotency_keys', versionKey: false })
export class IdempotencyRecord {
  /** sha256(subject, method, resolved path, key). */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) bodyHash!: string;
  /** sha256 of the first caller's role and tenancy claims: a replay is only for the same. */
  @Prop() caller?: string;
  @Prop({ type: String, required: true, enum: ['in_flight', 'done'] }) state!: 'in_flight' | 'done';
  @Prop() status?: number;
  @Prop({ type: Object }) body?: unknown;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ required: true }) expiresAt!: Date;
}

export const IdempotencyRecordSchema = SchemaFactory.createForClass(IdempotencyRecord);
// Serves the hourly sweep of expired answers (a TTL index would do it on MongoDB, but FerretDB 1.x has none).
IdempotencyRecordSchema.index({ expiresAt: 1 });
