import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { openApiDocument } from '#src/platform/http/openapi.js';
import { routes } from '#src/platform/infra/app.js';

let body: string | undefined;

/** GET /v1.0/openapi.json: the document of every declared route (public). */
export const handler = async (): Promise<APIGatewayProxyResultV2> => {
  body ??= JSON.stringify(openApiDocument(routes));
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
};
