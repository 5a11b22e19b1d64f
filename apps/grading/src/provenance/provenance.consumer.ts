import { Controller } from '@nestjs/common';
import {
  LotGradedV1,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  StockReceivedV1,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { type Delivery, OnEvent, OnEvents } from '@firstmile/messaging';
import { ProvenanceService } from './provenance.service';

/**
 * Builds the provenance read model from every stream that tells a sub-lot's story. Each handler is
 * idempotent by the step's natural key, so no event id needs remembering.
 */
@Controller()
export class ProvenanceConsumer {
  constructor(private readonly provenance: ProvenanceService) {}

  @OnEvents(LotGradedV1.type)
  onGraded(batch: Array<Delivery<LotGradedV1>>) {
    return this.provenance.onGraded(batch.map((d) => d.event));
  }

  @OnEvents(StockReceivedV1.type)
  onStockReceived(batch: Array<Delivery<StockReceivedV1>>) {
    return this.provenance.onStockReceived(batch.map((d) => d.event));
  }

  @OnEvent(TransferDispatchedV1.type)
  onTransferDispatched(event: TransferDispatchedV1) {
    return this.provenance.onTransferDispatched(event);
  }

  @OnEvent(TransferReceivedV1.type)
  onTransferReceived(event: TransferReceivedV1) {
    return this.provenance.onTransferReceived(event);
  }

  @OnEvents(StockDispatchedV1.type)
  onStockDispatched(batch: Array<Delivery<StockDispatchedV1>>) {
    return this.provenance.onStockDispatched(batch.map((d) => d.event));
  }

  @OnEvents(ShipmentCreatedV1.type)
  onShipmentCreated(batch: Array<Delivery<ShipmentCreatedV1>>) {
    return this.provenance.onShipmentCreated(batch.map((d) => d.event));
  }

  @OnEvents(ShipmentStatusChangedV1.type)
  onShipmentStatus(batch: Array<Delivery<ShipmentStatusChangedV1>>) {
    return this.provenance.onShipmentStatus(batch.map((d) => d.event));
  }
}
