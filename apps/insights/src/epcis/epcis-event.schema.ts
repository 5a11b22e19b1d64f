import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { EPCIS_EVENT_TYPES, type EpcisEvent, type EpcisEventType, type EpcisRecord } from './mapping';

/**
 * One EPCIS event, keyed by its eventID (derived from the source event's id, so a redelivery or a
 * replay inserts nothing new). The event itself is stored as it is answered and never changes; the
 * fields beside it are what the queries filter and sort on. The one update: a null cooperativeId set
 * once the lot's event is read (an idempotent `$set` of one value, safe on this store).
 */
@Schema({ collection: 'epcis_events', versionKey: false, minimize: false })
export class EpcisEventDoc implements EpcisRecord {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true, enum: EPCIS_EVENT_TYPES }) type!: EpcisEventType;
  @Prop({ required: true }) eventTime!: Date;
  @Prop({ required: true }) bizStep!: string;
  @Prop({ type: [String], required: true }) epcs!: string[];
  @Prop({ type: [String], required: true }) anyEpcs!: string[];
  @Prop({ type: String, default: null }) cooperativeId!: string | null;
  @Prop({ type: [String], required: true }) lotIds!: string[];
  /**
   * Stored before its lot's event was read, so without a cooperative yet: the few events the
   * cooperative's assignment looks at (a plain boolean the store can serve from an index, where
   * `lotIds`, an array, and a null `cooperativeId` it cannot).
   */
  @Prop({ type: Boolean, default: false }) awaitsCooperative!: boolean;
  @Prop({ type: Object, required: true }) event!: EpcisEvent;
}

export const EpcisEventSchema = SchemaFactory.createForClass(EpcisEventDoc);
// Every query pages in time order by (eventTime, _id): each index ends with those two, so a page is a
// range scan whatever the filter, and the keyset token continues it without skipping.
// GET /epcis/events by ops with a time window or no filter at all.
EpcisEventSchema.index({ eventTime: 1, _id: 1 });
// A coop_manager's queries: every one of them is restricted to its cooperative.
EpcisEventSchema.index({ cooperativeId: 1, eventTime: 1, _id: 1 });
// MATCH_anyEPC / MATCH_anyEPCClass (multikey): a lot's or sub-lot's whole chain.
EpcisEventSchema.index({ anyEpcs: 1, eventTime: 1, _id: 1 });
// MATCH_epc / MATCH_epcClass (multikey).
EpcisEventSchema.index({ epcs: 1, eventTime: 1, _id: 1 });
// EQ_bizStep (e.g. every receiving).
EpcisEventSchema.index({ bizStep: 1, eventTime: 1, _id: 1 });
// eventType (e.g. every TransformationEvent).
EpcisEventSchema.index({ type: 1, eventTime: 1, _id: 1 });
// Setting the cooperative of events stored before their lot's event was read: { awaitsCooperative: true, lotIds }.
EpcisEventSchema.index({ awaitsCooperative: 1 });
