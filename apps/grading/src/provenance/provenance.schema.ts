import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const JOURNEY_STEPS = ['harvested', 'graded', 'received', 'transferred', 'dispatched', 'in_transit', 'delivered'] as const;
export type JourneyStep = (typeof JOURNEY_STEPS)[number];

export interface PlaceView {
  warehouseId?: string;
  name?: string;
  location?: { lat: number; lon: number };
  /** Steps after the warehouse (in transit, delivered) say no more than the destination's city. */
  city?: string;
}

export interface JourneyEntry {
  step: JourneyStep;
  at: Date;
  place: PlaceView;
  /** Where a transfer was headed. */
  to?: PlaceView;
}

/**
 * One step of a sub-lot's journey after grading. The id is `<traceCode>/<natural key of the step>`
 * (`received:<transferId>`, `dispatched:<shipmentId>` …), so a redelivered event, and two events
 * reporting the same fact, insert one step. Steps are documents of their own rather than an array in
 * the provenance document: an insert by id is idempotent with no read, and the document never grows.
 */
@Schema({ collection: 'journey_steps', versionKey: false })
export class JourneyStepDoc implements JourneyEntry {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) traceCode!: string;
  @Prop({ type: String, required: true }) step!: JourneyStep;
  @Prop({ required: true }) at!: Date;
  @Prop({ type: Object, required: true }) place!: PlaceView;
  @Prop({ type: Object }) to?: PlaceView;
}

export const JourneyStepSchema = SchemaFactory.createForClass(JourneyStepDoc);
// Serves GET /v1/provenance/:traceCode: a code's steps in the order they happened.
JourneyStepSchema.index({ traceCode: 1, at: 1 });

/**
 * The consumer-facing story of one graded sub-lot, keyed by its trace code. Created when the lot is
 * graded (which is also how trace codes are kept unique) and confirmed by grading's own lot.graded
 * event; its journey steps are documents of their own. Holds no personal data: no grower, no phone.
 */
@Schema({ collection: 'provenance', versionKey: false, minimize: false })
export class Provenance {
  /** The trace code: the primary key is the uniqueness guarantee. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) standard!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ type: Object, required: true }) cooperative!: { name: string; county: string; province: string };
  @Prop({ type: Object, required: true }) orchard!: { name: string; location: { lat: number; lon: number } };
  @Prop({ required: true }) harvestedAt!: Date;
  @Prop({ required: true }) originWarehouseId!: string;
  @Prop({ required: true }) bestBefore!: Date;
  /** Set once grading's lot.graded event is consumed; until then the trace code is only reserved. */
  @Prop() gradedAt?: Date;
  @Prop({ required: true }) createdAt!: Date;
}

export const ProvenanceSchema = SchemaFactory.createForClass(Provenance);
// Serves shipment status events, which name sub-lots, not trace codes; unique because a sub-lot has one code.
ProvenanceSchema.index({ subLotId: 1 }, { unique: true });

/**
 * The city a shipment is bound for, from order-routing's shipment.created: all a public journey says
 * of where its sub-lots went after the warehouse. (The tracking checkpoint's name and coordinates
 * are often the buyer's door, and its address is personal data.)
 */
@Schema({ collection: 'shipment_cities', versionKey: false })
export class ShipmentCity {
  /** The shipment id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) city!: string;
}

export const ShipmentCitySchema = SchemaFactory.createForClass(ShipmentCity);
