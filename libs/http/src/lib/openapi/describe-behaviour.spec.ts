import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Post, Query, SetMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiProperty, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject, ParameterObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Public, Roles } from '../auth/auth.decorators';
import { IDEMPOTENT } from '../idempotency/idempotency.interceptor';
import { SkipRateLimits } from '../rate-limit.guard';
import { ApiIdParam, ApiProblems } from './api-problems';
import { describeBehaviour } from './describe-behaviour';
import { carryValidatorConstraints } from './validator-constraints';

class PointDto {
  @IsNumber({ maxDecimalPlaces: 3 }) @Min(-90) @Max(90) lat!: number;
}
class CreateThingDto {
  // An ApiProperty with an example only: the rules come from the validators.
  @ApiProperty({ example: 'Lixian' }) @IsString() @MaxLength(40) name!: string;
  @IsIn(['a', 'b']) kind!: string;
  @IsOptional() @IsInt() @Min(0) crates?: number;
  @IsISO8601({ strict: true }) at!: string;
  @IsObject() @ValidateNested() @Type(() => PointDto) @ApiProperty({ type: PointDto }) where!: PointDto;
}
class ListQuery {
  @IsOptional() @Matches(/^[a-z]{2,10}$/) produce?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit = 50;
}

@Controller('things')
class ThingsController {
  @Post()
  @Roles('ops')
  @SetMetadata(IDEMPOTENT, true)
  create(@Body() dto: CreateThingDto) {
    return dto;
  }

  @Get()
  @Roles('ops', 'buyer')
  list(@Query() q: ListQuery) {
    return q;
  }

  @Post(':id/close')
  @Roles('ops')
  @ApiIdParam('id', 'THG')
  @ApiProblems({ status: 409, description: 'Already closed' })
  close(@Param('id') id: string) {
    return id;
  }

  @Get('open/:code')
  @Public()
  @SkipRateLimits()
  open(@Param('code') code: string) {
    return code;
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

describe('describeBehaviour + carryValidatorConstraints: the OpenAPI document says what the route does', () => {
  let app: NestFastifyApplication;
  let doc: OpenAPIObject;
  const op = (path: string, method: 'get' | 'post') => doc.paths[path]?.[method];
  const statuses = (path: string, method: 'get' | 'post') => Object.keys(op(path, method)?.responses ?? {}).sort();
  const schema = (name: string) => doc.components?.schemas?.[name] as SchemaObject;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(ThingsModule, new FastifyAdapter(), { logger: false });
    carryValidatorConstraints(app);
    doc = describeBehaviour(app, SwaggerModule.createDocument(app, new DocumentBuilder().addBearerAuth().addSecurityRequirements('bearer').build()));
  });
  afterAll(() => app.close());

  it('documents every problem status a route can answer, as problem+json', () => {
    expect(statuses('/things', 'post')).toEqual(['201', '400', '401', '403', '409', '413', '415', '422', '429', '503']);
    expect(statuses('/things', 'get')).toEqual(['200', '400', '401', '403', '429', '431', '503']);
    expect(statuses('/things/{id}/close', 'post')).toEqual(['201', '400', '401', '403', '404', '409', '414', '429', '503']);
    // Public and exempt from rate limits: no 401/403/429. Any route may find the store away (503).
    expect(statuses('/things/open/{code}', 'get')).toEqual(['200', '400', '404', '414', '503']);
    const r409 = op('/things/{id}/close', 'post')?.responses['409'] as { description: string; content: Record<string, unknown> };
    expect(r409.description).toBe('Already closed');
    expect(r409.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect(schema('Problem').required).toEqual(['type', 'title', 'status']);
  });

  it('says security: [] on public routes and names the roles of the others', () => {
    expect(op('/things/open/{code}', 'get')?.security).toEqual([]);
    expect((op('/things', 'get') as unknown as Record<string, unknown>)['x-roles']).toEqual(['ops', 'buyer']);
  });

  it('gives path parameters their id pattern', () => {
    const id = (op('/things/{id}/close', 'post')?.parameters as ParameterObject[]).find((p) => p.name === 'id');
    expect((id?.schema as SchemaObject).pattern).toBe('^THG-[0-9A-HJKMNP-TV-Z]{10}$');
  });

  it('carries the validators into request schemas: lengths, enums, ranges, types, optional, closed objects', () => {
    const thing = schema('CreateThingDto');
    expect(thing.additionalProperties).toBe(false);
    expect(thing.required?.sort()).toEqual(['at', 'kind', 'name', 'where']);
    expect(thing.properties?.['name']).toMatchObject({ type: 'string', maxLength: 40, example: 'Lixian' });
    expect(thing.properties?.['kind']).toMatchObject({ enum: ['a', 'b'] });
    expect(thing.properties?.['crates']).toMatchObject({ type: 'integer', minimum: 0, nullable: true });
    expect(thing.properties?.['at']).toMatchObject({ type: 'string', format: 'date-time' });
    expect(schema('PointDto')).toMatchObject({ additionalProperties: false, properties: { lat: { type: 'number', minimum: -90, maximum: 90, multipleOf: 0.001 } } });
    const query = op('/things', 'get')?.parameters as ParameterObject[];
    expect(query.find((p) => p.name === 'produce')?.schema).toMatchObject({ pattern: '^[a-z]{2,10}$' });
    expect(query.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500 });
  });
});
