import type { ClientBase } from 'pg';

/**
 * Schema migrations of the payments database, shipped inside the bundle (no file reads at run time).
 *
 * Append only: never edit a shipped migration, add a new one. Each migration's SQL is idempotent on its own
 * (`IF NOT EXISTS`), and `schema_migrations` records which ran, so running them again is harmless.
 */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'create payments',
    sql: `
CREATE TABLE IF NOT EXISTS payments (
  id               uuid        PRIMARY KEY,
  idempotency_key  text        NOT NULL,
  request_hash     char(64)    NOT NULL,
  merchant_id      text        NOT NULL,
  reference        text        NOT NULL,
  amount           bigint      NOT NULL,
  currency         char(3)     NOT NULL,
  session_id       text,
  status           text        NOT NULL DEFAULT 'ACCEPTED',
  region           text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT payments_idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  CONSTRAINT payments_amount_range CHECK (amount > 0 AND amount <= 100000000),
  CONSTRAINT payments_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT payments_status_known CHECK (status IN ('ACCEPTED'))
);`,
  },
  {
    id: 2,
    name: 'index payments by merchant',
    sql: `CREATE INDEX IF NOT EXISTS payments_merchant_created_idx ON payments (merchant_id, created_at);`,
  },
  {
    // The transactional outbox of payment events (lambdas/shared/outbox.ts). One row per payment and event type,
    // written in the payment's transaction; payments accepted before this migration get no event.
    id: 3,
    name: 'create payment_outbox',
    sql: `
CREATE TABLE IF NOT EXISTS payment_outbox (
  event_id         uuid        PRIMARY KEY,
  payment_id       uuid        NOT NULL REFERENCES payments (id),
  event_type       text        NOT NULL,
  detail           jsonb       NOT NULL,
  occurred_at      timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  sent_at          timestamptz,
  bus_event_id     text,
  CONSTRAINT payment_outbox_payment_event_key UNIQUE (payment_id, event_type)
);
CREATE INDEX IF NOT EXISTS payment_outbox_due_idx ON payment_outbox (next_attempt_at, created_at) WHERE sent_at IS NULL;`,
  },
  {
    // Synthetic probe payments (lambdas/shared/probe.ts): written by the failover controller to prove the write
    // path, never settled, never an event. A constant default makes this a catalog-only change (PostgreSQL 11+: no
    // table rewrite, no long lock on payments).
    id: 4,
    name: 'flag synthetic payments',
    sql: `ALTER TABLE payments ADD COLUMN IF NOT EXISTS synthetic boolean NOT NULL DEFAULT false;`,
  },
];

export const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((m) => m.id));

/** Arbitrary constant key of the advisory lock that serializes concurrent migrators (cold starts). */
const MIGRATION_LOCK_KEY = 7_460_150_231;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  id          integer     PRIMARY KEY,
  name        text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);`;

export interface MigrationResult {
  /** Ids applied by this call (empty when the schema was current). */
  readonly applied: readonly number[];
  /** Set when nothing could be applied because the session is read-only (a secondary cluster). */
  readonly skipped?: 'read-only';
}

/** True when every migration is recorded; one cheap query, usable on a read-only secondary. */
export async function schemaIsCurrent(client: ClientBase): Promise<boolean> {
  try {
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(id), 0)::int AS version FROM schema_migrations');
    return rows[0].version >= LATEST_MIGRATION;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return false; // undefined_table: never migrated
    throw err;
  }
}

/**
 * Applies the missing migrations in one transaction under an advisory lock, so concurrent cold starts
 * apply each exactly once. On a read-only session (DR secondary) it does nothing: the schema replicates
 * from the primary.
 */
export async function runMigrations(client: ClientBase): Promise<MigrationResult> {
  const { rows: ro } = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
  if (ro[0].transaction_read_only === 'on') return { applied: [], skipped: 'read-only' };

  await client.query('BEGIN');
  try {
    // DDL waits for locks held by running payments: give up quickly rather than queue writes behind it.
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    await client.query(`SET LOCAL statement_timeout = '60s'`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<{ id: number }>('SELECT id FROM schema_migrations');
    const done = new Set(rows.map((r) => r.id));
    const applied: number[] = [];
    for (const m of [...MIGRATIONS].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push(m.id);
    }
    await client.query('COMMIT');
    return { applied };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
