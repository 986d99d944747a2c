import type { ALBEvent, ALBResult, APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { ApiError, type ErrorDetail } from './errors';

/** API Gateway REST API (v1) Lambda proxy integration: the shape every route reads. */
export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;
/** Application Load Balancer Lambda target (edge.mode "accelerator"). */
export type AlbEvent = ALBEvent;
export type AlbResult = ALBResult;
/** What a handler is invoked with: either shape, told apart by `requestContext.elb`. */
export type HttpEvent = ApiEvent | AlbEvent;

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

// --- The ALB event shape (ELB User Guide, lambda-functions: "Receive events from the load balancer") -----------

export function isAlbEvent(event: HttpEvent): event is AlbEvent {
  const context = (event as { requestContext?: { elb?: { targetGroupArn?: unknown } } }).requestContext;
  return typeof context?.elb?.targetGroupArn === 'string';
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * The ALB event in the API Gateway v1 shape the routes read. Headers come in `multiValueHeaders` when the target
 * group has multi-value headers on (the stack turns it on), else in `headers`; query values arrive URL-encoded and
 * are decoded here, as API Gateway does. There is no resource template: routes match on the path.
 */
export function fromAlbEvent(event: AlbEvent): ApiEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  if (event.multiValueHeaders) {
    for (const [k, v] of Object.entries(event.multiValueHeaders)) if (v) multiValueHeaders[k] = [...v];
  } else {
    for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) multiValueHeaders[k] = [v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(multiValueHeaders)) if (v.length > 0) headers[k] = v[v.length - 1];
  const multiQuery: Record<string, string[]> = {};
  if (event.multiValueQueryStringParameters) {
    for (const [k, v] of Object.entries(event.multiValueQueryStringParameters)) if (v) multiQuery[decode(k)] = v.map(decode);
  } else {
    for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) multiQuery[decode(k)] = [decode(v)];
  }
  const query = Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]]));
  const hasQuery = Object.keys(multiQuery).length > 0;
  return {
    httpMethod: event.httpMethod,
    path: event.path,
    resource: '',
    headers,
    multiValueHeaders,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    pathParameters: null,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    stageVariables: null,
    // ALB has no request id; its trace header identifies the request in the logs.
    requestContext: { requestId: headers['x-amzn-trace-id'] ?? '' } as ApiEvent['requestContext'],
  };
}

/**
 * The answer in the ALB shape: a status description, and headers in the same form the event used (a target group
 * with multi-value headers must be answered with `multiValueHeaders`).
 */
export function toAlbResult(result: ApiResult, multiValueHeaders: boolean): AlbResult {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  const multi: Record<string, string[]> = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  for (const [k, values] of Object.entries(result.multiValueHeaders ?? {})) multi[k] = values.map(String);
  const base = {
    statusCode: result.statusCode,
    statusDescription: `${result.statusCode} ${STATUS_CODES[result.statusCode] ?? ''}`.trim(),
    body: result.body,
    isBase64Encoded: result.isBase64Encoded ?? false,
  };
  return multiValueHeaders
    ? { ...base, multiValueHeaders: multi }
    : { ...base, headers: Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]])) };
}

/** The header that carries the client credential (the same header API Gateway checks). */
export const API_KEY_HEADER = 'x-api-key';

/**
 * Whether the request presents exactly the client key. Compared in constant time over SHA-256 digests (equal
 * length whatever the input), so the answer time says nothing about the key.
 */
export function presentsApiKey(event: ApiEvent, expected: string): boolean {
  const presented = headerValues(event, API_KEY_HEADER);
  if (presented.length !== 1 || presented[0] === '' || expected === '') return false;
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(presented[0]), digest(expected));
}
