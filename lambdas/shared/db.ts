import { existsSync, readFileSync } from 'node:fs';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import { Pool, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
import { classifyDbError, describeError, isConnectionFatal } from './errors';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { type LogSink, traced } from './observability';
import type { DbCredentials, DbSecret } from './secrets';

/** Connection and pool settings; every default suits a Lambda container (one request at a time). */
export interface DbOptions {
  /**
   * TLS to the cluster. `false` only for tests against a local server.
   * @default certificate verification against Node's CAs plus, on Lambda, the RDS CAs (see `defaultTls`)
   */
  readonly ssl?: false | ConnectionOptions;
  /**
   * Port of the cluster endpoint.
   * @default the secret's `port`, else 5432
   */
  readonly port?: number;
  /** @default 3 */
  readonly poolMax?: number;
  /** @default 30000 ms */
  readonly idleTimeoutMillis?: number;
  /** Time to establish a connection (TCP, TLS, authentication). @default 2000 ms */
  readonly connectionTimeoutMillis?: number;
  /** Server-side `statement_timeout`. @default 5000 ms */
  readonly statementTimeoutMillis?: number;
  /** Server-side `lock_timeout`. @default 3000 ms */
  readonly lockTimeoutMillis?: number;
  /** Server-side `idle_in_transaction_session_timeout`. @default 10000 ms */
  readonly idleInTransactionTimeoutMillis?: number;
  /**
   * Client-side limit on one query, for a server that vanished without closing the socket (failover).
   * @default statementTimeoutMillis + 1000 ms
   */
  readonly queryTimeoutMillis?: number;
  /** Connections are replaced after this, so DNS changes of the cluster endpoint are picked up. @default 300 s */
  readonly maxLifetimeSeconds?: number;
  /** `application_name` of every connection (visible in `pg_stat_activity`). @default 'payments' */
  readonly applicationName?: string;
}

export interface DatabaseProps {
  /** The cluster (writer) endpoint; the secret's `host` is ignored. */
  readonly host: string;
  readonly database: string;
  readonly secrets: DbCredentials;
  readonly options?: DbOptions;
  readonly log: LogSink;
  /** Each transaction and connection use becomes an X-Ray subsegment. @default no tracing */
  readonly tracer?: Tracer;
}

/** Amazon's CA certificates (RDS included) as the Lambda Node.js runtimes ship them. */
const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';
let lambdaTls: ConnectionOptions | undefined;

/**
 * Verified TLS. Lambda's Node.js 20+ runtimes no longer trust Amazon's CAs by default (faster cold starts),
 * so the RDS server certificate would not verify; unless the function sets `NODE_EXTRA_CA_CERTS`, the
 * runtime's own bundle is added to Node's roots here (read once per container).
 */
export function defaultTls(): ConnectionOptions {
  if (process.env.NODE_EXTRA_CA_CERTS || !existsSync(LAMBDA_CA_BUNDLE)) return { rejectUnauthorized: true };
  lambdaTls ??= { rejectUnauthorized: true, ca: [...rootCertificates, readFileSync(LAMBDA_CA_BUNDLE, 'utf8')] };
  return lambdaTls;
}

interface PoolState {
  readonly pool: Pool;
  readonly username: string;
}

/**
 * A small pg pool to the regional cluster with the credentials from Secrets Manager: refreshes the secret
 * once when authentication fails (rotation), drops connections that failed or landed on a reader, and
 * retries a transaction whose first statement hit a stale pooled connection.
 */
export class Database {
  private state?: Promise<PoolState>;
  private readonly retired = new Set<Pool>();
  private closed = false;

  constructor(private readonly props: DatabaseProps) {}

  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection; rolls back on error. `fn` runs a second time when the
   * first attempt hit a pooled connection that had died or that is read-only (a promotion since it was
   * opened), so it must be idempotent.
   */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return traced(this.props.tracer, 'postgres', () => this.runTransaction(fn), { operation: 'transaction' });
  }

  private async runTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      try {
        await client.query('BEGIN');
      } catch (err) {
        client.release(err as Error);
        // A pooled connection that died while idle (restart, failover, freeze): nothing was done, try a fresh one.
        if (attempt === 1 && classifyDbError(err) === 'unavailable') continue;
        throw err;
      }
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (err) {
        await this.rollbackAndRelease(client, err);
        if (attempt === 1 && classifyDbError(err) === 'not-writer' && !this.closed) {
          // Pooled connections may predate a promotion: one more try on a fresh pool.
          await this.recycle().catch(() => undefined);
          continue;
        }
        throw err;
      }
    }
  }

  /** Runs `fn` with one connection (no transaction). */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return traced(this.props.tracer, 'postgres', () => this.runWithClient(fn), { operation: 'query' });
  }

  private async runWithClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (err) {
      client.release(isConnectionFatal(err) ? (err as Error) : undefined);
      this.afterFailure(err);
      throw err;
    }
  }

  async query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.withClient(async (c) => (await c.query<R>(text, values)).rows);
  }

  /** A connection from the pool; on an authentication failure the secret is refreshed and one more try made. */
  async connect(): Promise<PoolClient> {
    if (this.closed) throw new Error('Database is closed');
    const { pool } = await this.poolState();
    try {
      return await pool.connect();
    } catch (err) {
      if (classifyDbError(err) !== 'auth') throw err;
      this.props.log.warn('database refused the credentials; refreshing the secret once', { error: describeError(err) });
      const secret = await this.props.secrets.refresh();
      const state = await this.poolState();
      // The password is read per connection; a different username needs a new pool.
      const current = state.username === secret.username ? state : await this.recycle(secret);
      return current.pool.connect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.retired];
    const current = await this.state?.catch(() => undefined);
    if (current) pools.push(current.pool);
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }

  /**
   * A read-only session means the endpoint resolved to a reader (DR before promotion, or mid-failover):
   * any pooled connection may be one, so start over with a new pool; after a promotion the very next
   * request reaches the new writer.
   */
  private afterFailure(err: unknown): void {
    if (classifyDbError(err) === 'not-writer' && !this.closed) void this.recycle().catch(() => undefined);
  }

  private async rollbackAndRelease(client: PoolClient, cause: unknown): Promise<void> {
    if (isConnectionFatal(cause)) {
      client.release(cause as Error);
      return;
    }
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (err) {
      client.release(err as Error);
    }
  }

  private poolState(): Promise<PoolState> {
    if (!this.state) {
      const attempt = this.props.secrets.get().then((secret) => this.createPool(secret));
      this.state = attempt;
      attempt.catch(() => {
        if (this.state === attempt) this.state = undefined;
      });
    }
    return this.state;
  }

  /** Swaps in a new pool (same or new credentials); the old one ends once its clients are released. */
  private recycle(secret?: DbSecret): Promise<PoolState> {
    const old = this.state;
    const next = (secret ? Promise.resolve(secret) : this.props.secrets.get()).then((s) => this.createPool(s));
    this.state = next;
    next.catch(() => {
      if (this.state === next) this.state = undefined;
    });
    void old?.then(
      ({ pool }) => {
        this.retired.add(pool);
        pool.end().then(
          () => this.retired.delete(pool),
          () => this.retired.delete(pool),
        );
      },
      () => undefined,
    );
    return next;
  }

  private createPool(secret: DbSecret): PoolState {
    const o = this.props.options ?? {};
    const statementTimeout = o.statementTimeoutMillis ?? 5000;
    const config: PoolConfig = {
      host: this.props.host,
      port: o.port ?? secret.port ?? 5432,
      database: this.props.database,
      user: secret.username,
      // Read per new connection, so a refreshed secret applies without recreating the pool.
      password: async () => (await this.props.secrets.get()).password,
      ssl: o.ssl ?? defaultTls(),
      max: o.poolMax ?? 3,
      idleTimeoutMillis: o.idleTimeoutMillis ?? 30_000,
      connectionTimeoutMillis: o.connectionTimeoutMillis ?? 2000,
      maxLifetimeSeconds: o.maxLifetimeSeconds ?? 300,
      statement_timeout: statementTimeout,
      lock_timeout: o.lockTimeoutMillis ?? 3000,
      idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMillis ?? 10_000,
      query_timeout: o.queryTimeoutMillis ?? statementTimeout + 1000,
      application_name: o.applicationName ?? 'payments',
      keepAlive: true,
    };
    const pool = new Pool(config);
    // An idle connection that breaks (restart, failover, pg_terminate_backend) must not crash the process;
    // the pool drops it and opens a new one on demand.
    pool.on('error', (err) => this.props.log.warn('idle database connection failed', { error: describeError(err) }));
    return { pool, username: secret.username };
  }
}
