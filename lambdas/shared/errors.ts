/**
 * The API's error catalogue and the classification of database and dependency failures.
 *
 * Every error response has the body `{ "error": { "code", "message", "details"? } }`; `code` is stable and
 * machine-readable, `message` is for humans, `details[].reason` is machine-readable per field.
 */

export type ErrorCode =
  /** 400: a header, the body or a path parameter is invalid; `details` lists every problem. */
  | 'VALIDATION_FAILED'
  /** 415: the request body is not `application/json`. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** 403: the request did not present the client key (ALB path; API Gateway answers this itself). */
  | 'FORBIDDEN'
  /** 403: an `X-Synthetic-Probe` token that does not verify (lambdas/shared/probe.ts), or probes not enabled here. */
  | 'SYNTHETIC_PROBE_REFUSED'
  /** 404: no such route. */
  | 'NOT_FOUND'
  /** 404: no payment with that id. */
  | 'PAYMENT_NOT_FOUND'
  /** 405: the route exists, the method does not (see the `Allow` header). */
  | 'METHOD_NOT_ALLOWED'
  /** 409: the Idempotency-Key was already used with a different request body. */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** 503 + Retry-After: the region's database is not the writer (DR region before promotion). */
  | 'NOT_WRITER'
  /** 503 + Retry-After: this site is not the designated active site (the passive site's second fence). */
  | 'NOT_ACTIVE_SITE'
  /** 503 + Retry-After: the database is unreachable, restarting, timed out or refused the credentials. */
  | 'DATABASE_UNAVAILABLE'
  /**
   * 503 + Retry-After: configuration, credentials, DynamoDB or S3 failed. When the payment was already
   * committed, `details` says so; a retry with the same Idempotency-Key completes the side effects.
   */
  | 'DEPENDENCY_UNAVAILABLE'
  /** 500: a bug; nothing a retry would fix. */
  | 'INTERNAL_ERROR';

export interface ErrorDetail {
  /** Machine-readable reason, e.g. `unknown_field`, `too_large`, `unsupported_currency`. */
  readonly reason: string;
  /** Where: `body.amount`, `headers.Idempotency-Key`, `path.id`, a dependency name. */
  readonly field?: string;
  readonly message: string;
  /** Set when the failure happened after the payment was durably recorded. */
  readonly paymentId?: string;
}

export interface ApiErrorOptions {
  readonly details?: readonly ErrorDetail[];
  /** Seconds for the `Retry-After` header (503s). */
  readonly retryAfterSeconds?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** An error that maps one-to-one onto an HTTP response. */
export class ApiError extends Error {
  public readonly details?: readonly ErrorDetail[];
  public readonly retryAfterSeconds?: number;
  public readonly headers?: Readonly<Record<string, string>>;

  constructor(
    public readonly statusCode: number,
    public readonly code: ErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }
}

/** Retry-After (seconds) for a region that is not (yet) the writer: promotion takes a while. */
export const NOT_WRITER_RETRY_AFTER_SECONDS = 5;
/** Retry-After (seconds) for transient failures: restarts, failovers, timeouts, throttling. */
export const TRANSIENT_RETRY_AFTER_SECONDS = 1;

export class TimeoutError extends Error {
  public readonly code = 'ETIMEDOUT';
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** How a database failure should be answered. */
export type DbFailure =
  /** The session is read-only: this cluster is a secondary (SQLSTATE 25006). */
  | 'not-writer'
  /** The credentials were refused (password rotation): refresh the secret once. */
  | 'auth'
  /** Connection lost or refused, server shutting down or starting, timeouts, lock/serialization conflicts. */
  | 'unavailable'
  /** Anything else: a bug or a schema problem. */
  | 'other';

/** SQLSTATE codes that a retry (of the whole, idempotent request) can fix. */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, fast shutdown, Aurora failover
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or in recovery
  '57014', // query_canceled: statement_timeout
  '55P03', // lock_not_available: lock_timeout
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '25P03', // idle_in_transaction_session_timeout
  '08000', '08001', '08003', '08004', '08006', '08007', '08P01', // connection exceptions
  '53000', '53100', '53200', '53300', '53400', // insufficient resources, too many connections
]);

/** Node.js socket error codes of an unreachable or vanished server. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
]);

/** Messages node-postgres uses for client-side connection failures (no code on these errors). */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'Client was closed',
  'Cannot use a pool after calling end',
  'Connection closed',
];

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyDbError(err: unknown): DbFailure {
  const code = errorCode(err);
  if (code === '25006') return 'not-writer';
  if (code === '28P01' || code === '28000') return 'auth';
  if (code !== undefined && (TRANSIENT_SQLSTATES.has(code) || NETWORK_ERROR_CODES.has(code))) return 'unavailable';
  if (err instanceof TimeoutError) return 'unavailable';
  const message = err instanceof Error ? err.message : '';
  if (PG_CONNECTION_MESSAGES.some((m) => message.includes(m))) return 'unavailable';
  return 'other';
}

/** The connection the error happened on is unusable (or points at a reader): drop it from the pool. */
export function isConnectionFatal(err: unknown): boolean {
  const kind = classifyDbError(err);
  if (kind === 'not-writer' || kind === 'auth') return true;
  if (kind !== 'unavailable') return false;
  const code = errorCode(err);
  // Statement-level failures leave the connection healthy.
  return !(code === '57014' || code === '55P03' || code === '40001' || code === '40P01');
}

/** Maps a database failure onto the API's answer: 503 for every retryable cause, never 500. */
export function apiErrorFromDb(err: unknown): ApiError {
  switch (classifyDbError(err)) {
    case 'not-writer':
      return new ApiError(503, 'NOT_WRITER', 'this region is not accepting writes (its database is a read-only secondary); retry later or in the primary region', {
        retryAfterSeconds: NOT_WRITER_RETRY_AFTER_SECONDS,
        cause: err,
      });
    case 'auth':
    case 'unavailable':
      return new ApiError(503, 'DATABASE_UNAVAILABLE', 'the database is temporarily unavailable; retry with the same Idempotency-Key', {
        retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS,
        cause: err,
      });
    default:
      return new ApiError(500, 'INTERNAL_ERROR', 'internal error', { cause: err });
  }
}

/** A log-safe description of an error: name, code, message; never request data or credentials. */
export function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = errorCode(err);
  if (code) out.code = code;
  if (err instanceof ApiError) out.apiCode = err.code;
  if (err.cause !== undefined && err.cause !== err) out.cause = describeError(err.cause);
  return out;
}
