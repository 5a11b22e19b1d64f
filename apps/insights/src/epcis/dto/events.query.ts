import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { EPCIS_EVENT_TYPES } from '../mapping';

const TYPES = `(${EPCIS_EVENT_TYPES.join('|')})`;
/** Comma-separated absolute URIs (Digital Link URIs, URNs); commas inside an identifier are percent-encoded. */
const URI_LIST = /^[A-Za-z][A-Za-z0-9+.-]*:[^,\s]+(,[A-Za-z][A-Za-z0-9+.-]*:[^,\s]+){0,49}$/;
const uris = () => Matches(URI_LIST, { message: 'must be 1 to 50 comma-separated URIs' });
/** Bare CBV names (`receiving`) or their URIs (`https://ref.gs1.org/cbv/BizStep-receiving`, `urn:epcglobal:cbv:bizstep:receiving`). */
const BIZ_STEPS = /^[A-Za-z0-9_:/.#-]{1,120}(,[A-Za-z0-9_:/.#-]{1,120}){0,19}$/;

/**
 * The EPCIS 2.0 REST query parameters this service answers (a subset of SimpleEventQuery). Every
 * parameter narrows the result (they are ANDed); a list within one parameter is ORed.
 */
export class EventsQuery {
  @ApiPropertyOptional({ description: `Comma-separated: ${EPCIS_EVENT_TYPES.join(', ')}` })
  @IsOptional()
  @Matches(new RegExp(`^${TYPES}(,${TYPES}){0,4}$`), {
    message: `must be comma-separated EPCIS event types (${EPCIS_EVENT_TYPES.join(', ')})`,
  })
  eventType?: string;

  @ApiPropertyOptional({ description: 'eventTime ≥ this (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  GE_eventTime?: string;

  @ApiPropertyOptional({ description: 'eventTime < this (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  LT_eventTime?: string;

  @ApiPropertyOptional({ description: 'Comma-separated CBV business steps, bare (`receiving`) or as URIs' })
  @IsOptional()
  @Matches(BIZ_STEPS, { message: 'must be comma-separated CBV business steps' })
  EQ_bizStep?: string;

  @ApiPropertyOptional({
    description:
      "Comma-separated identifiers in the event's what (epcList, quantityList): lots and sub-lots are class-level Digital Link URIs, so this matches their epcClass",
  })
  @IsOptional()
  @MaxLength(8000)
  @uris()
  MATCH_epc?: string;

  @ApiPropertyOptional({
    description:
      'Comma-separated identifiers anywhere in the event, inputs and outputs of a transformation included',
  })
  @IsOptional()
  @MaxLength(8000)
  @uris()
  MATCH_anyEPC?: string;

  @ApiPropertyOptional({
    description: 'The standard name for MATCH_epc on class-level identifiers (quantityList)',
  })
  @IsOptional()
  @MaxLength(8000)
  @uris()
  MATCH_epcClass?: string;

  @ApiPropertyOptional({ description: 'The standard name for MATCH_anyEPC on class-level identifiers' })
  @IsOptional()
  @MaxLength(8000)
  @uris()
  MATCH_anyEPCClass?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(500)
  perPage = 50;

  @ApiPropertyOptional({ description: 'From the `Link: <…>; rel="next"` header of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,300}$/)
  nextPageToken?: string;
}
