import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Roles, ApiCodeParam } from '@firstmile/http';
import { EPCIS_HEADERS, queryDocument, standaloneEvent } from './document';
import { EPCIS_EVENT_SCHEMA, EPCIS_HEADERS_DOC, EPCIS_QUERY_DOCUMENT_SCHEMA } from './dto/epcis.view';
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
      "EPCISQueryDocument (JSON-LD, the EPCIS 2.0 context), valid against GS1's EPCIS 2.0 JSON Schema; `Link: <…>; rel=\"next\"` when there is more",
    headers: { ...EPCIS_HEADERS_DOC, Link: { schema: { type: 'string' }, description: 'The next page, when there is one' } },
    content: { 'application/ld+json': { schema: EPCIS_QUERY_DOCUMENT_SCHEMA as never } },
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
  @ApiCodeParam('eventID', /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'urn:uuid:4b0c3d1e-6f7a-5b2c-8d9e-0a1b2c3d4e5f', 'The EPCIS eventID')
  @ApiOkResponse({
    description: 'One EPCIS event with its @context',
    headers: EPCIS_HEADERS_DOC,
    content: { 'application/ld+json': { schema: EPCIS_EVENT_SCHEMA as never } },
  })
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
