import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, type ErrorDetail } from './errors';

/** API Gateway REST API (v1) Lambda proxy integration. */
export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export function jsonResponse(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): ApiResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** `{ "error": { "code", "message", "details"? } }` with `Retry-After` for retryable answers. */
export function errorResponse(err: ApiError): ApiResult {
  const headers: Record<string, string> = { ...(err.headers ?? {}) };
  if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.retryAfterSeconds);
  const error: { code: string; message: string; details?: readonly ErrorDetail[] } = { code: err.code, message: err.message };
  if (err.details && err.details.length > 0) error.details = err.details;
  return jsonResponse(err.statusCode, { error }, headers);
}

/** The first value of a header, case-insensitively (API Gateway keeps the client's spelling). */
export function header(event: ApiEvent, name: string): string | undefined {
  return headerValues(event, name)[0];
}

/** Every value of a header, case-insensitively, from `multiValueHeaders` (or `headers`). */
export function headerValues(event: ApiEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const [k, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (k.toLowerCase() === wanted && values) out.push(...values);
  }
  if (out.length > 0) return out;
  for (const [k, value] of Object.entries(event.headers ?? {})) {
    if (k.toLowerCase() === wanted && value !== undefined) out.push(value);
  }
  return out;
}

/** The raw body as UTF-8 text (base64-decoded if API Gateway encoded it). */
export function bodyText(event: ApiEvent): string | undefined {
  if (event.body === null || event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function validationError(details: readonly ErrorDetail[], message = 'the request is invalid'): ApiError {
  return new ApiError(400, 'VALIDATION_FAILED', message, { details });
}

export type RouteHandler = (event: ApiEvent, params: Readonly<Record<string, string>>) => Promise<ApiResult>;

export interface Route {
  /** Resource template as in API Gateway: `/payments/{id}`. */
  readonly resource: string;
  readonly methods: Readonly<Record<string, RouteHandler>>;
}

/**
 * Finds the route for the event: by `event.resource` (the API Gateway resource template) when it names one
 * of ours, else by matching `event.path` (proxy resources, tests). 404 for unknown paths, 405 with `Allow`
 * for unknown methods.
 */
export function dispatch(event: ApiEvent, routes: readonly Route[]): Promise<ApiResult> {
  const method = (event.httpMethod ?? '').toUpperCase();
  for (const route of routes) {
    const params = matchRoute(event, route.resource);
    if (!params) continue;
    const handler = route.methods[method];
    if (!handler) {
      const allow = Object.keys(route.methods).join(', ');
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${method || 'this method'} is not allowed on ${route.resource}; allowed: ${allow}`, {
        headers: { Allow: allow },
      });
    }
    return handler(event, params);
  }
  throw new ApiError(404, 'NOT_FOUND', 'no such resource');
}

function matchRoute(event: ApiEvent, resource: string): Record<string, string> | undefined {
  const names = [...resource.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  if (event.resource === resource) {
    const params: Record<string, string> = {};
    for (const n of names) params[n] = event.pathParameters?.[n] ?? '';
    return params;
  }
  const pattern = new RegExp(`^${resource.replace(/\{\w+\}/g, '([^/]+)')}/?$`);
  const m = pattern.exec(event.path ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  names.forEach((n, i) => {
    try {
      params[n] = decodeURIComponent(m[i + 1]);
    } catch {
      params[n] = m[i + 1];
    }
  });
  return params;
}
