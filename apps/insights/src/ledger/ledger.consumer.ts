import { Controller } from '@nestjs/common';
import {
  LotGradedV1,
  LotLoggedV1,
  LotVoidedV1,
  OrderCancelledV1,
  OrderRoutedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
} from '@firstmile/contracts';
import { type Delivery, OnEvent, OnEvents } from '@firstmile/messaging';
import { LedgerService } from './ledger.service';

/**
 * The sales ledger's events. Handlers of a type EPCIS also handles run beside EPCIS's (Nest chains
 * event handlers of one pattern, single or batch — each kind must match EPCIS's, see onLotsLogged);
 * a failure of either retries both, and both are idempotent.
 */
@Controller()
export class LedgerConsumer {
  constructor(private readonly ledger: LedgerService) {}

  /**
   * A batch, because EPCIS takes lot.logged in batches: the server hands a type to its batch handlers
   * only (a single handler beside them would never run), and Nest runs every batch handler of the type.
   * It throws rather than answering failures one by one: beside another handler, only a throw counts.
   */
  @OnEvents(LotLoggedV1.type)
  onLotsLogged(batch: Array<Delivery<LotLoggedV1>>): Promise<void> {
    return this.ledger.onLotsLogged(batch.map((d) => d.event));
  }

  @OnEvent(LotVoidedV1.type)
  onLotVoided(e: LotVoidedV1) {
    return this.ledger.onLotVoided(e);
  }

  @OnEvent(LotGradedV1.type)
  onLotGraded(e: LotGradedV1) {
    return this.ledger.onLotGraded(e);
  }

  /** A batch: a live-stream burst routes hundreds of orders a second, each one upsert per allocation. */
  @OnEvents(OrderRoutedV1.type)
  onOrdersRouted(batch: Array<Delivery<OrderRoutedV1>>): Promise<void> {
    return this.ledger.onOrdersRouted(batch.map((d) => d.event));
  }

  @OnEvent(OrderCancelledV1.type)
  onOrderCancelled(e: OrderCancelledV1) {
    return this.ledger.onOrderCancelled(e);
  }

  @OnEvent(StockDispatchedV1.type)
  onStockDispatched(e: StockDispatchedV1) {
    return this.ledger.onStockDispatched(e);
  }

  @OnEvent(ShipmentStatusChangedV1.type)
  onShipmentStatusChanged(e: ShipmentStatusChangedV1) {
    return this.ledger.onShipmentStatusChanged(e);
  }
}
