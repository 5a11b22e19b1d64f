import { PageQuery } from '@firstmile/http';

/** `?limit&cursor` over counties by id. */
export class CountiesQuery extends PageQuery {}
