/**
 * Payment processor: `POST /payments` (idempotent create) and `GET /payments/{id}`.
 *
 * Write path: validate → one transaction `INSERT … ON CONFLICT (idempotency_key) DO NOTHING` (+ `SELECT` on
 * conflict, comparing the stored request hash) → after commit, the idempotent side effects (session state
 * in DynamoDB, audit object in S3). Answers: 201 created, 200 replay of the same key and body, 409 same key
 * with another body, 503 + Retry-After whenever a retry can succeed (not the writer, database unavailable,
 * side effects failed after the commit: the retry replays the stored payment and repeats them).
 *
 * Synthetic probes (`X-Synthetic-Probe`, lambdas/shared/probe.ts): the failover controller's proof that this site
 * takes writes. Verified here against the probe key (a forged or unverifiable token is refused with 403, never
 * written as a normal payment), they pass the same fences and commit to the same table, flagged `synthetic`, with
 * no outbox event, no audit object and no session: nothing downstream (settlement, event consumers) sees them.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import type { ClientBase } from 'pg';
// zod's tree-shakable "mini" API: ~20 KB in the bundle where classic zod costs ~60 KB (bundle budget, issue #6).
import * as z from 'zod/v4/mini';
import { memoizeSuccess, withTimeout } from '../shared/async';
import type { RuntimeConfig } from '../shared/config';
import { isActiveCurrency } from '../shared/currencies';
import type { Database } from '../shared/db';
import {
  ApiError,
  apiErrorFromDb,
  classifyDbError,
  describeError,
  type ErrorDetail,
  NOT_WRITER_RETRY_AFTER_SECONDS,
  TRANSIENT_RETRY_AFTER_SECONDS,
} from '../shared/errors';
import { type ApiEvent, type ApiResult, bodyText, dispatch, headerValues, jsonResponse, type Route, validationError, header } from '../shared/http';
import { type ApiHandler, instrument, Runtime, type RuntimeDeps } from '../shared/runtime';
import { SYNTHETIC_PROBE_HEADER, verifyProbeToken } from '../shared/probe';
import { runMigrations, schemaIsCurrent } from './migrations';
import { PaymentOutbox } from './outbox';

export const SERVICE_NAME = 'payment-processor';

/** Largest accepted amount, in minor units. */
export const MAX_AMOUNT_MINOR = 100_000_000;
/** Largest accepted request body, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The body of `POST /payments`; unknown fields are rejected. */
export const PaymentRequestSchema = z.strictObject({
  /** Minor units (cents): a positive integer up to MAX_AMOUNT_MINOR. */
  // The range checks first: a failing z.int() ends the checks, and -1.5 must report both problems.
  amount: z.number().check(
    z.positive('must be a positive number of minor units'),
    z.lte(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR} minor units`),
    z.int('must be an integer number of minor units'),
  ),
  currency: z.string().check(
    z.refine(isActiveCurrency, {
      message: 'must be an active ISO 4217 currency code in upper case, e.g. EUR',
      params: { reason: 'unsupported_currency' },
    }),
  ),
  merchantId: z.string().check(
    z.minLength(3, 'must be at least 3 characters'),
    z.maxLength(64, 'must be at most 64 characters'),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, "_" and "-", starting with a letter or digit'),
  ),
  reference: z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(64, 'must be at most 64 characters'),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/#-]*$/, 'must be letters, digits, spaces and . _ : / # -, starting with a letter or digit'),
  ),
  sessionId: z.optional(
    z.string().check(
      z.minLength(8, 'must be at least 8 characters'),
      z.maxLength(128, 'must be at most 128 characters'),
      z.regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits and _ . : -'),
    ),
  ),
});

export type PaymentRequest = z.infer<typeof PaymentRequestSchema>;

/** What the API returns for a payment (POST and GET alike). */
export interface PaymentView {
  readonly id: string;
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchantId: string;
  readonly reference: string;
  readonly sessionId?: string;
  /** Region that accepted the write. */
  readonly region: string;
  readonly createdAt: string;
  /** Present (true) only on the failover controller's synthetic probes: not a payment to settle. */
  readonly synthetic?: true;
}

export interface PaymentProcessorDeps extends RuntimeDeps {
  /** @default a client for the function's region */
  readonly dynamodb?: DynamoDBClient;
  /** @default a client for the function's region */
  readonly s3?: S3Client;
  /** Lifetime of a session item after its last payment (DynamoDB TTL). @default 86400 s */
  readonly sessionTtlSeconds?: number;
  /** Timeout of each post-commit side effect (DynamoDB, S3). @default 3000 ms */
  readonly sideEffectTimeoutMs?: number;
  /** Publishes outbox events through the global endpoint. @default a SigV4a client for the function's region */
  readonly eventbridge?: EventBridgeClient;
}

interface ValidRequest {
  readonly idempotencyKey: string;
  readonly payment: PaymentRequest;
  /** sha256 (hex) of the canonical JSON of the validated body (and of the synthetic mark for a probe). */
  readonly requestHash: string;
  /** A verified synthetic probe. */
  readonly synthetic?: boolean;
}

interface PaymentRow {
  id: string;
  request_hash: string;
  merchant_id: string;
  reference: string;
  amount: string | number;
  currency: string;
  session_id: string | null;
  status: string;
  region: string;
  created_at: Date;
  synthetic: boolean;
}

/** The schema is behind but this database is a read-only secondary: nothing to do here, the primary migrates. */
class ReadOnlySchemaError extends Error {
  constructor() {
    super('schema not current and this database is read-only');
    this.name = 'ReadOnlySchemaError';
  }
}

function isReadOnlySkip(err: unknown): boolean {
  return err instanceof ReadOnlySchemaError;
}

const PAYMENT_COLUMNS = 'id, request_hash, merchant_id, reference, amount, currency, session_id, status, region, created_at, synthetic';

/** Builds the handler; the exported `handler` is `createHandler()` with every default. */
export function createHandler(deps: PaymentProcessorDeps = {}): ApiHandler {
  const runtime = new Runtime(deps, {
    serviceName: SERVICE_NAME,
    db: { applicationName: SERVICE_NAME, poolMax: 3, connectionTimeoutMillis: 2000, statementTimeoutMillis: 5000 },
    configTimeoutMs: 3000,
  });
  const { logger, metrics } = runtime;
  const sessionTtlSeconds = deps.sessionTtlSeconds ?? 86_400;
  const sideEffectTimeoutMs = deps.sideEffectTimeoutMs ?? 3000;
  let dynamodb = deps.dynamodb;
  let s3 = deps.s3;
  const outbox = new PaymentOutbox(runtime, deps.eventbridge, deps.ssm);

  const schema = memoizeSuccess(async () => {
    const db = await runtime.database();
    const result = await db.withClient(async (c) => ((await schemaIsCurrent(c)) ? undefined : runMigrations(c)));
    if (result?.applied.length) logger.info('schema migrations applied', { applied: result.applied });
    // A read-only secondary cannot migrate; the schema replicates from the primary. Check again next time.
    if (result?.skipped) throw new ReadOnlySchemaError();
  });

  /** The database, with the schema checked once per container (never fatal: writes fail on their own). */
  async function database(): Promise<Database> {
    const db = await dependency('configuration', () => runtime.database());
    try {
      await schema.get();
    } catch (err) {
      const kind = classifyDbError(err);
      // Unreachable or refusing: answer now rather than wait for the same failure again.
      if (kind === 'unavailable' || kind === 'auth') throw dbFailure(err);
      if (kind === 'other' && !isReadOnlySkip(err)) logger.error('schema migration failed', { error: describeError(err) });
    }
    return db;
  }

  async function createPayment(event: ApiEvent): Promise<ApiResult> {
    const request = await syntheticProbe(event, validatePost(event));
    await requireActiveSite();
    const db = await database();
    const config = await runtime.config();
    const { row, created } = await insertOrGet(db, request).catch((err: unknown) => {
      throw dbFailure(err);
    });
    if (row.request_hash !== request.requestHash) {
      metrics.addMetric('IdempotencyKeyReused', MetricUnit.Count, 1);
      throw new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', `the ${IDEMPOTENCY_KEY_HEADER} was already used with a different request body`, {
        details: [{ field: `headers.${IDEMPOTENCY_KEY_HEADER}`, reason: 'key_reused_with_different_body', message: 'use a new key for a new payment' }],
      });
    }
    const view = toView(row);
    if (row.synthetic) {
      // Proven: the write committed on this site's writer through both fences. Nothing else happens for a probe.
      metrics.addMetric(created ? 'SyntheticProbeWritten' : 'SyntheticProbeReplayed', MetricUnit.Count, 1);
      logger.info(created ? 'synthetic probe written' : 'synthetic probe replayed', { paymentId: view.id });
      return created ? jsonResponse(201, view, { Location: `/payments/${view.id}` }) : jsonResponse(200, view, { 'Idempotent-Replayed': 'true' });
    }
    // The event's first attempt runs beside the side effects; it never fails the request (the sweep retries).
    const publishing = outbox.publishAfterCommit(db, view.id);
    try {
      await recordSideEffects(config, view, row.request_hash, request.idempotencyKey);
    } finally {
      await publishing;
    }
    metrics.addMetric(created ? 'PaymentCreated' : 'PaymentReplayed', MetricUnit.Count, 1);
    logger.info(created ? 'payment created' : 'payment replayed', { paymentId: view.id });
    return created
      ? jsonResponse(201, view, { Location: `/payments/${view.id}` })
      : jsonResponse(200, view, { 'Idempotent-Replayed': 'true' });
  }

  async function getPayment(_event: ApiEvent, params: Readonly<Record<string, string>>): Promise<ApiResult> {
    const id = params.id ?? '';
    if (!UUID_PATTERN.test(id)) {
      throw validationError([{ field: 'path.id', reason: 'invalid_format', message: 'must be a payment id (UUID)' }]);
    }
    const db = await database();
    const rows = await db
      .query<PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`, [id.toLowerCase()])
      .catch((err: unknown) => {
        throw dbFailure(err);
      });
    if (rows.length === 0) throw new ApiError(404, 'PAYMENT_NOT_FOUND', `no payment with id ${id}`);
    return jsonResponse(200, toView(rows[0]));
  }

  /** One transaction: insert unless the key exists, else read the existing row. */
  async function insertOrGet(db: Database, request: ValidRequest): Promise<{ row: PaymentRow; created: boolean }> {
    const p = request.payment;
    return db.transaction(async (client: ClientBase) => {
      const inserted = await client.query<PaymentRow>(
        `INSERT INTO payments (id, idempotency_key, request_hash, merchant_id, reference, amount, currency, session_id, region, synthetic)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING ${PAYMENT_COLUMNS}`,
        [randomUUID(), request.idempotencyKey, request.requestHash, p.merchantId, p.reference, p.amount, p.currency, p.sessionId ?? null, runtime.region, request.synthetic === true],
      );
      if (inserted.rows.length === 1) {
        // Same transaction: the payment.accepted event commits with the payment or not at all (a probe has none).
        if (!inserted.rows[0].synthetic) await outbox.enqueueAccepted(client, toView(inserted.rows[0]));
        return { row: inserted.rows[0], created: true };
      }
      // Conflict: the other transaction has committed (ON CONFLICT waited for it); this statement's snapshot sees it.
      const existing = await client.query<PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE idempotency_key = $1`, [request.idempotencyKey]);
      if (existing.rows.length !== 1) throw new Error('idempotency key conflict without a visible row');
      return { row: existing.rows[0], created: false };
    });
  }

  /**
   * After the commit: session state and audit object, both idempotent (keyed by session and payment id), so
   * a replay repeats them safely. If one fails the payment stays durable and the client gets a 503 whose
   * retry (same key) replays the payment and completes them.
   */
  async function recordSideEffects(config: RuntimeConfig, view: PaymentView, requestHash: string, idempotencyKey: string): Promise<void> {
    const effects: Array<[string, () => Promise<unknown>]> = [['s3', () => putAudit(config, view, requestHash, idempotencyKey)]];
    if (view.sessionId) effects.push(['dynamodb', () => updateSession(config, view, view.sessionId as string)]);
    const results = await Promise.allSettled(effects.map(([name, run]) => withTimeout(run(), sideEffectTimeoutMs, name)));
    const failed: ErrorDetail[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const dependency = effects[i][0];
      logger.error('side effect failed after commit', { dependency, paymentId: view.id, error: describeError(r.reason) });
      metrics.addMetric('SideEffectFailed', MetricUnit.Count, 1);
      failed.push({ field: dependency, reason: 'side_effect_failed', paymentId: view.id, message: `the payment is recorded; writing to ${dependency} failed` });
    });
    if (failed.length > 0) {
      throw new ApiError(503, 'DEPENDENCY_UNAVAILABLE', `payment ${view.id} is recorded but not fully processed; retry with the same ${IDEMPOTENCY_KEY_HEADER}`, {
        details: failed,
        retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS,
      });
    }
  }

  async function putAudit(config: RuntimeConfig, view: PaymentView, requestHash: string, idempotencyKey: string): Promise<unknown> {
    const d = new Date(view.createdAt);
    const key = `audit/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${view.id}.json`;
    const record = {
      schemaVersion: 1,
      event: 'payment.accepted',
      payment: view,
      requestHash,
      idempotencyKeySha256: sha256(idempotencyKey),
    };
    s3 ??= runtime.traced(new S3Client({ region: runtime.region }));
    return s3.send(
      new PutObjectCommand({
        Bucket: config.artifactsBucket,
        Key: key,
        Body: JSON.stringify(record),
        ContentType: 'application/json',
        // No encryption headers: the bucket default (SSE-KMS with our storage key, bucket key on) applies. Sending
        // `ServerSideEncryption: 'aws:kms'` without a key id would select the AWS managed key aws/s3 instead
        // (PutObject API reference, x-amz-server-side-encryption-aws-kms-key-id).
      }),
      { abortSignal: AbortSignal.timeout(sideEffectTimeoutMs) },
    );
  }

  async function updateSession(config: RuntimeConfig, view: PaymentView, sessionId: string): Promise<unknown> {
    const nowSeconds = Math.floor(runtime.now().getTime() / 1000);
    dynamodb ??= runtime.traced(new DynamoDBClient({ region: runtime.region }));
    // ADD to a string set is idempotent: a replay leaves the same set of payment ids.
    return dynamodb.send(
      new UpdateItemCommand({
        TableName: config.sessionsTable,
        Key: { sessionId: { S: sessionId } },
        UpdateExpression: 'SET #state = :state, merchantId = :merchantId, lastPaymentId = :paymentId, updatedAt = :now, expiresAt = :expiresAt ADD paymentIds :paymentIds',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': { S: 'PAYMENT_ACCEPTED' },
          ':merchantId': { S: view.merchantId },
          ':paymentId': { S: view.id },
          ':now': { N: String(nowSeconds) },
          ':expiresAt': { N: String(nowSeconds + sessionTtlSeconds) },
          ':paymentIds': { SS: [view.id] },
        },
      }),
      { abortSignal: AbortSignal.timeout(sideEffectTimeoutMs) },
    );
  }

  function dbFailure(err: unknown): ApiError {
    const apiError = apiErrorFromDb(err);
    metrics.addMetric(apiError.code === 'NOT_WRITER' ? 'NotWriter' : apiError.statusCode === 503 ? 'DatabaseUnavailable' : 'DatabaseError', MetricUnit.Count, 1);
    return apiError;
  }

  /**
   * The passive site's second fence, independent of its read-only database: a site whose designation (this
   * region's parameter, cached <= 5 s) is not itself takes no payment writes, even if its database accepts them
   * (Aurora's fencing of an old writer is best effort). Fails closed when the designation cannot be read.
   */
  async function requireActiveSite(): Promise<void> {
    const designation = await dependency('site designation', () => runtime.designation(AbortSignal.timeout(2000)));
    if (designation.designated) return;
    metrics.addMetric('NotActiveSite', MetricUnit.Count, 1);
    throw new ApiError(503, 'NOT_ACTIVE_SITE', `this site (${designation.site}) is not the active site (${designation.activeSite}); retry later`, {
      retryAfterSeconds: NOT_WRITER_RETRY_AFTER_SECONDS,
    });
  }

  /**
   * A request with `X-Synthetic-Probe` is a probe only if its token verifies against the probe key; otherwise it is
   * refused (403), never written as a normal payment. Without the header: a normal payment.
   */
  async function syntheticProbe(event: ApiEvent, request: ValidRequest): Promise<ValidRequest> {
    const tokens = headerValues(event, SYNTHETIC_PROBE_HEADER);
    if (tokens.length === 0) return request;
    const refuse = (why: string) => {
      metrics.addMetric('SyntheticProbeRefused', MetricUnit.Count, 1);
      logger.warn('synthetic probe refused', { why });
      return new ApiError(403, 'SYNTHETIC_PROBE_REFUSED', `the ${SYNTHETIC_PROBE_HEADER} token was not accepted: ${why}`);
    };
    if (request.payment.sessionId !== undefined) throw refuse('a probe has no session');
    const key = await runtime.probeKey();
    if (key === undefined) throw refuse('synthetic probes are not enabled on this deployment');
    if (tokens.length !== 1 || !verifyProbeToken(key, request.idempotencyKey, bodyText(event) ?? '', tokens[0])) throw refuse('invalid token');
    // A probe and a payment never share a request hash: the same key and body as the other kind is a 409.
    return { ...request, synthetic: true, requestHash: sha256(`${request.requestHash}\nsynthetic`) };
  }

  /** Configuration and credentials failures are retryable 503s, not 500s. */
  async function dependency<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      metrics.addMetric('DependencyUnavailable', MetricUnit.Count, 1);
      throw new ApiError(503, 'DEPENDENCY_UNAVAILABLE', `${name} is temporarily unavailable`, {
        retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS,
        cause: err,
      });
    }
  }

  const routes: Route[] = [
    { resource: '/payments', methods: { POST: createPayment } },
    { resource: '/payments/{id}', methods: { GET: getPayment } },
  ];

  return instrument(
    runtime,
    async (event) => {
      try {
        return await dispatch(event, routes);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'VALIDATION_FAILED') metrics.addMetric('ValidationFailed', MetricUnit.Count, 1);
        throw err;
      }
    },
    // Behind the ALB (edge.mode "accelerator") nothing checked the client key: verify it here; the payment
    // target group's health check gets a liveness answer (the deep check is the health function's).
    { requireApiKey: true, livenessPath: '/health' },
  );
}

/** Header and body validation; every problem is reported at once. */
export function validatePost(event: ApiEvent): ValidRequest {
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType.trim())) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON (Content-Type: application/json)', {
      details: [{ field: 'headers.Content-Type', reason: 'unsupported_media_type', message: `got '${contentType.slice(0, 100)}'` }],
    });
  }
  const details: ErrorDetail[] = [];
  const keys = headerValues(event, IDEMPOTENCY_KEY_HEADER);
  const keyField = `headers.${IDEMPOTENCY_KEY_HEADER}`;
  if (keys.length === 0 || keys[0] === '') {
    details.push({ field: keyField, reason: 'required', message: 'an Idempotency-Key header is required' });
  } else if (keys.length > 1) {
    details.push({ field: keyField, reason: 'multiple_values', message: 'send exactly one Idempotency-Key' });
  } else if (!IDEMPOTENCY_KEY_PATTERN.test(keys[0]) || keys[0].trim() === '') {
    details.push({ field: keyField, reason: 'invalid_format', message: 'must be 1-255 printable ASCII characters' });
  }

  const text = bodyText(event);
  let payment: PaymentRequest | undefined;
  if (text === undefined || text === '') {
    details.push({ field: 'body', reason: 'required', message: 'a JSON body is required' });
  } else if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    details.push({ field: 'body', reason: 'too_large', message: `the body must be at most ${MAX_BODY_BYTES} bytes` });
  } else {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      details.push({ field: 'body', reason: 'invalid_json', message: 'the body is not valid JSON' });
    }
    if (json !== undefined) {
      const parsed = PaymentRequestSchema.safeParse(json);
      if (parsed.success) payment = parsed.data;
      else details.push(...zodDetails(parsed.error.issues, json));
    }
  }
  if (details.length > 0 || !payment) throw validationError(details);
  return { idempotencyKey: keys[0], payment, requestHash: sha256(canonicalJson(payment)) };
}

/** zod issues as `{ field, reason, message }` with stable machine-readable reasons. */
function zodDetails(issues: readonly z.core.$ZodIssue[], body: unknown): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const issue of issues) {
    const field = ['body', ...issue.path.map(String)].join('.');
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ field: `body.${key}`, reason: 'unknown_field', message: 'unknown field' });
        break;
      case 'invalid_type': {
        // zod 4 leaves the input out of issues (no values in logs); a missing field is one absent from the body.
        const value = valueAt(body, issue.path);
        if (issue.path.length === 0) out.push({ field, reason: 'not_an_object', message: 'the body must be a JSON object' });
        else if (value === undefined) out.push({ field, reason: 'required', message: 'required' });
        else if (issue.expected === 'int') out.push({ field, reason: 'not_integer', message: 'must be an integer number of minor units' });
        // JSON.parse turns 1e400 into Infinity, which zod refuses as "not a number".
        else if (typeof value === 'number') out.push({ field, reason: 'too_large', message: `must be at most ${MAX_AMOUNT_MINOR} minor units` });
        else out.push({ field, reason: 'invalid_type', message: `must be a ${issue.expected}, got ${jsonType(value)}` });
        break;
      }
      case 'too_small':
      case 'too_big':
        // z.int() also bounds the safe-integer range; the amount's own range checks already report it.
        if (issue.origin === 'int') break;
        if (issue.code === 'too_small') out.push({ field, reason: issue.origin === 'number' ? 'not_positive' : 'too_short', message: issue.message });
        else out.push({ field, reason: issue.origin === 'number' ? 'too_large' : 'too_long', message: issue.message });
        break;
      case 'invalid_format':
        out.push({ field, reason: 'invalid_format', message: issue.message });
        break;
      case 'custom':
        out.push({ field, reason: String(issue.params?.reason ?? 'invalid'), message: issue.message });
        break;
      default:
        out.push({ field, reason: 'invalid', message: issue.message });
    }
  }
  return out;
}

function jsonType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** JSON with sorted keys and no absent optionals: equal bodies hash equally whatever their key order. */
export function canonicalJson(payment: PaymentRequest): string {
  const entries = Object.entries(payment).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

function toView(row: PaymentRow): PaymentView {
  return {
    id: row.id,
    status: row.status,
    amount: Number(row.amount),
    currency: row.currency,
    merchantId: row.merchant_id,
    reference: row.reference,
    ...(row.session_id ? { sessionId: row.session_id } : {}),
    region: row.region,
    createdAt: row.created_at.toISOString(),
    ...(row.synthetic ? { synthetic: true as const } : {}),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export const handler: ApiHandler = createHandler();
