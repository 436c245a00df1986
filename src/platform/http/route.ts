import type { z } from 'zod';
import type { HttpRequest, HttpResult } from './http-handler.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A route as declared once, in code: serverless.yml's HTTP events, the local HTTP API, dispatch and the OpenAPI
 * document all come from these declarations.
 */
export interface RouteDeclaration {
  method: Method;
  /** API Gateway's path syntax: `/v1.0/tenants/{id}`. */
  path: string;
  /** `public`: no token (the OpenAPI document, the plans catalogue); otherwise a verified JWT. */
  auth?: 'public' | 'jwt';
  /** One line for the OpenAPI document, naming who may call it. */
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  response?: { status: number; schema?: z.ZodType };
  /** The body's limit where the sender is not ours (a webhook's payload); MAX_BODY_BYTES otherwise. */
  maxBodyBytes?: number;
}

/** A declared route and what it does; `deps` are the adapters of the function that serves it. */
export interface Route<Deps> extends RouteDeclaration {
  handle(request: HttpRequest, deps: Deps): Promise<HttpResult>;
}

export const routeKey = (route: Pick<RouteDeclaration, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;
