import { applyDecorators, type INestApplication } from '@nestjs/common';
import {
  ApiBody,
  ApiQuery,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { z } from 'zod';

/** Where every service serves its API description: Swagger UI, and the OpenAPI document itself. */
export const OPENAPI_UI_PATH = '/docs';
export const OPENAPI_JSON_PATH = '/docs-json';

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
}

/**
 * Builds the OpenAPI 3 document from the app's controllers (their `@Api*` decorators) and serves
 * it at `/docs-json`, with Swagger UI at `/docs`. The UI's scripts and styles are swagger-ui-dist's,
 * served from node_modules: the page works offline, like the dashboard. Call before listen.
 */
export function setupOpenApi(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setVersion(info.version)
    // the schemes a guarded route names (ingest's keys: `Authorization: Bearer` or `X-Api-Key`)
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: `${info.title} API`,
    // Swagger UI would otherwise send the document to validator.swagger.io for its badge.
    swaggerOptions: { validatorUrl: null },
  });
  return document;
}

/**
 * A zod schema as the OpenAPI 3.0 schema object swagger's decorators take: the contracts stay the
 * one definition of what a route accepts and returns. `input` for bodies (what a caller may send),
 * `output` for responses (what the parsed value looks like).
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** `@ApiBody` from a zod schema. */
export function ApiZodBody(schema: z.ZodType, description?: string): MethodDecorator {
  return ApiBody({ schema: openApiSchema(schema, 'input'), ...(description ? { description } : {}) });
}

/** `@ApiResponse` from a zod schema. */
export function ApiZodResponse(
  status: number,
  schema: z.ZodType,
  description: string,
): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, schema: openApiSchema(schema, 'output') });
}

/** A contract's FieldIssue: what is wrong, at which path (`data.gpuId`, `[3].ts`). */
export const FieldIssueBody = z.object({ path: z.string(), message: z.string() });

/** One `@ApiQuery` per property of a zod object: the query parameters a route reads. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const json = openApiSchema(schema, 'input');
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: required.has(name),
        schema: property,
        ...('description' in property ? { description: property.description } : {}),
      }),
    ),
  );
}

/** What DomainErrorFilter answers with for any 4xx/5xx: a message, and per-field issues for a 400. */
export const ErrorBody = z.object({ error: z.string(), issues: z.array(FieldIssueBody).optional() });
