import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseDigitalLinkPath } from '@firstmile/gs1';
import { negotiateLang } from '../pages/i18n';
import { Upstream } from '../upstream';
import { type ProvenanceView, provenancePage, provenanceProblemPage } from './provenance.page';

/** Trace codes are 12 Crockford base32 characters; anything else is not asked of grading at all. */
const TRACE_CODE = /^[0-9A-HJKMNP-TV-Z]{12}$/;

/**
 * The consumer's page behind the QR code on a box: public, server-rendered, no JavaScript, one
 * request. Built from grading's public provenance API, so it tells exactly what grading chose to
 * make public (no grower, no phone) and adds nothing.
 */
@Controller()
export class ProvenanceController {
  constructor(private readonly upstream: Upstream) {}

  @Get('p/:traceCode')
  async page(@Param('traceCode') traceCode: string, @Query('lang') lang: unknown, @Headers('accept-language') accept: string | undefined, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.render(reply, traceCode, null, negotiateLang(lang, accept), pathOf(req));
  }

  /** GS1 Digital Link form (what the label's QR code holds): the same page, when the GTIN is the sub-lot's. */
  @Get('01/:gtin/10/:traceCode')
  async digitalLink(@Query('lang') lang: unknown, @Headers('accept-language') accept: string | undefined, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const link = parseDigitalLinkPath(pathOf(req));
    return this.render(reply, link?.lot ?? '', link?.gtin ?? '', negotiateLang(lang, accept), pathOf(req));
  }

  private async render(reply: FastifyReply, traceCode: string, gtin: string | null, lang: 'zh' | 'en', path: string) {
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-language', lang === 'zh' ? 'zh-CN' : 'en')
      .header('vary', 'Accept-Language');
    const found = TRACE_CODE.test(traceCode) && gtin !== '' ? await this.upstream.get<ProvenanceView>('grading', `/v1/provenance/${traceCode}`) : { status: 404, body: null };
    if (found.status === 200 && (gtin === null || found.body?.gtin === gtin)) {
      return reply.status(200).header('cache-control', 'public, max-age=60').send(provenancePage(found.body as ProvenanceView, lang, path).value);
    }
    const kind = found.status === 404 || found.status === 200 ? 'notFound' : 'unavailable';
    return reply.status(kind === 'notFound' ? 404 : 503).header('cache-control', 'no-store').send(provenanceProblemPage(kind, lang, path).value);
  }
}

const pathOf = (req: FastifyRequest): string => req.url.split('?')[0];
