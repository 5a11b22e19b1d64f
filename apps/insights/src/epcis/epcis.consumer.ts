import { Controller } from '@nestjs/common';
import {
  LotGradedV1,
  LotLoggedV1,
  LotVoidedV1,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockReceivedV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { type Delivery, type EventContext, OnEvent, OnEvents } from '@firstmile/messaging';
import { EpcisService } from './epcis.service';

/**
 * Every critical event of every stream becomes EPCIS. Each handler is idempotent: the EPCIS eventID
 * derives from the source event's id and events are inserted once, so redeliveries and replays store
 * nothing new; facts are inserted once by natural key.
 */
@Controller()
export class EpcisConsumer {
  constructor(private readonly epcis: EpcisService) {}

  /** A batch of logged lots, stored together. */
  @OnEvents(LotLoggedV1.type)
  onLotsLogged(batch: Array<Delivery<LotLoggedV1>>) {
    return this.epcis.onLotsLogged(batch);
  }

  @OnEvent(LotVoidedV1.type)
  onLotVoided(e: LotVoidedV1, ctx: EventContext) {
    return this.epcis.onLotVoided(e, ctx);
  }

  @OnEvent(LotGradedV1.type)
  onLotGraded(e: LotGradedV1, ctx: EventContext) {
    return this.epcis.onLotGraded(e, ctx);
  }

  @OnEvent(StockReceivedV1.type)
  onStockReceived(e: StockReceivedV1, ctx: EventContext) {
    return this.epcis.onStockReceived(e, ctx);
  }

  @OnEvent(TransferDispatchedV1.type)
  onTransferDispatched(e: TransferDispatchedV1, ctx: EventContext) {
    return this.epcis.onTransferDispatched(e, ctx);
  }

  @OnEvent(TransferReceivedV1.type)
  onTransferReceived(e: TransferReceivedV1, ctx: EventContext) {
    return this.epcis.onTransferReceived(e, ctx);
  }

  @OnEvent(StockDispatchedV1.type)
  onStockDispatched(e: StockDispatchedV1, ctx: EventContext) {
    return this.epcis.onStockDispatched(e, ctx);
  }

  /** A batch of new shipments (a live-stream burst makes hundreds a second), remembered together. */
  @OnEvents(ShipmentCreatedV1.type)
  onShipmentsCreated(batch: Array<Delivery<ShipmentCreatedV1>>) {
    return this.epcis.onShipmentsCreated(batch.map((d) => d.event));
  }

  @OnEvent(ShipmentStatusChangedV1.type)
  onShipmentStatusChanged(e: ShipmentStatusChangedV1, ctx: EventContext) {
    return this.epcis.onShipmentStatusChanged(e, ctx);
  }
}
