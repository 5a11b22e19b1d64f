import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, type IdempotencyClaim, IdempotencyOf, Roles, ApiIdParam, ApiProblems } from '@firstmile/http';
import { ListOrdersQuery } from './dto/list-orders.query';
import { OrderPage, OrderReceivedView, OrderView } from './dto/order.view';
import { CancelOrderDto, PlaceOrderDto } from './dto/place-order.dto';
import { CancelOrder } from './usecases/cancel-order';
import { PlaceOrder } from './usecases/place-order';
import { ReadOrders } from './usecases/read-orders';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placing: PlaceOrder,
    private readonly reading: ReadOrders,
    private readonly cancelling: CancelOrder,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('buyer')
  @Idempotent({ byResource: true })
  @ApiAcceptedResponse({ type: OrderReceivedView, description: 'Routing happens asynchronously (poll GET /v1/orders/:id)' })
  place(@CurrentPrincipal() caller: Principal, @Body() dto: PlaceOrderDto, @IdempotencyOf() claim?: IdempotencyClaim) {
    return this.placing.place(caller, dto, claim);
  }

  @Get()
  @Roles('buyer', 'ops')
  @ApiOkResponse({ type: OrderPage, description: 'Newest first: a buyer its own orders, ops everyone\'s; filters status, channel, buyerId (ops)' })
  list(@CurrentPrincipal() caller: Principal, @Query() query: ListOrdersQuery) {
    return this.reading.list(caller, query);
  }

  @Get(':id')
  @Roles('buyer', 'ops')
  @ApiIdParam('id', 'ORD')
  @ApiOkResponse({ type: OrderView })
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string) {
    return this.reading.get(caller, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('buyer', 'ops')
  @ApiIdParam('id', 'ORD')
  @ApiProblems({ status: 409, description: 'The order is closed, or a shipment of it is known to have left' })
  @ApiOkResponse({
    type: OrderView,
    description:
      'The order: `cancelled` when it held nothing confirmed; a routed order answers `cancelling` and ends `cancelled`, or `routed` with `cancelRefused` if the warehouse refuses because its stock had left.',
  })
  cancel(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() dto: CancelOrderDto) {
    return this.cancelling.cancel(caller, id, dto.reason);
  }
}
