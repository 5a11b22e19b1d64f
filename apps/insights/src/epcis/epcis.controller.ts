import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Roles } from '@firstmile/http';
import { EPCIS_HEADERS, queryDocument, standaloneEvent } from './document';
import { EventsQuery } from './dto/events.query';
import { EpcisService } from './epcis.service';

/**
 * The EPCIS 2.0 query interface (a subset of the REST binding): events in time order, in pages a
 * `Link: <…>; rel="next"` header continues. ops read everything; a coop_manager its cooperative's.
 */
@ApiTags('epcis')
@ApiBearerAuth()
@Controller('epcis/events')
export class EpcisController {
  constructor(private readonly epcis: EpcisService) {}

  @Get()
  @Roles('ops', 'coop_manager')
  @ApiOkResponse({
    description:
      "EPCISQueryDocument (JSON-LD, the EPCIS 2.0 context), valid against GS1's EPCIS 2.0 JSON Schema",
  })
  async query(
    @CurrentPrincipal() caller: Principal,
    @Query() q: EventsQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const page = await this.epcis.query(caller, q);
    reply.headers(EPCIS_HEADERS);
    if (page.nextPageToken) {
      const next = new URLSearchParams(
        Object.entries(q)
          .filter(([k, v]) => v !== undefined && k !== 'nextPageToken')
          .map(([k, v]): [string, string] => [k, String(v)]),
      );
      next.set('nextPageToken', page.nextPageToken);
      // Relative (RFC 8288 resolves it against the request), so it stays right behind a proxy or TLS.
      reply.header('link', `</epcis/events?${next.toString()}>; rel="next"`);
    }
    return queryDocument(page.events, new Date());
  }

  @Get(':eventID')
  @Roles('ops', 'coop_manager')
  @ApiOkResponse({ description: 'One EPCIS event with its @context' })
  async get(
    @CurrentPrincipal() caller: Principal,
    @Param('eventID') eventId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const event = await this.epcis.get(caller, eventId);
    reply.headers(EPCIS_HEADERS);
    return standaloneEvent(event);
  }
}
