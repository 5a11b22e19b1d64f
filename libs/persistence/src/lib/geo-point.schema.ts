import { Prop, Schema } from '@nestjs/mongoose';

/**
 * A stored point (`{ lat, lon }`, WGS 84 degrees), embedded without an `_id`: cooperatives' and
 * orchards' locations, warehouses' and stock positions' (the contract's `GeoPoint`, as a schema).
 */
@Schema({ _id: false })
export class GeoPointDoc {
  @Prop({ required: true }) lat!: number;
  @Prop({ required: true }) lon!: number;
}
