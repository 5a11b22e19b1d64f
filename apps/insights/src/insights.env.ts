import { IntersectionType } from '@nestjs/swagger';
import { IsUrl, Matches } from 'class-validator';
import { EnvInt } from '@firstmile/config';
import { AuthEnv, HttpEnv } from '@firstmile/http';
import { DEV_COMPANY_PREFIX } from '@firstmile/gs1';
import { KafkaEnv, READ_MODEL_FETCH_MIN_BYTES } from '@firstmile/messaging';
import { MongoEnv } from '@firstmile/persistence';

export class InsightsEnv extends IntersectionType(HttpEnv, AuthEnv, KafkaEnv, MongoEnv) {
  @EnvInt({ min: 1, max: 65535 }) PORT = 3105;
  /** Its events feed read models: fetched a quarter of a second at a time under load (KafkaEnv's bounds). */
  override KAFKA_FETCH_MIN_BYTES = READ_MODEL_FETCH_MIN_BYTES;
  /**
   * Where GS1 Digital Link URIs resolve: the public pages (console). The same default as the labels'
   * PUBLIC_BASE_URL, so an EPC in an EPCIS event, a label's QR code and the provenance page agree.
   */
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }) DIGITAL_LINK_BASE =
    'http://127.0.0.1:3100';
  /** GS1 company prefix for GTINs and the organisation GLN; the default (952…) is GS1's prefix for examples. */
  @Matches(/^\d{6,12}$/) GS1_COMPANY_PREFIX = DEV_COMPANY_PREFIX;
  /** `eventTimeZoneOffset` of every EPCIS event: where the events happen (China, +08:00). */
  @Matches(/^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$/) EPCIS_TIMEZONE_OFFSET = '+08:00';
}
