/**
 * The comparison behind `reconcile`: the payments of the old writer (its final snapshot, restored) against the new
 * writer's, by id and by idempotency key, in keyset pages, so memory is bounded by the page size whatever the
 * table size. Differences are handed to a sink one by one (streamed to CSV/JSON), never collected.
 *
 * Schema: lambdas/payment-processor/migrations.ts (`payments`, primary key `id` uuid, unique `idempotency_key`).
 */

/** What the comparison needs of a database client (`pg.Client` fits). */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface PaymentRow {
  readonly id: string;
  readonly idempotency_key: string;
  readonly request_hash: string;
  readonly merchant_id: string;
  readonly reference: string;
  readonly amount: string;
  readonly currency: string;
  readonly status: string;
  readonly region: string;
  readonly created_at: string;
}

export type DifferenceKind =
  /** Committed by the old writer, absent from the new one (neither its id nor its idempotency key). */
  | 'missing-in-new'
  /** One idempotency key, two different payments (different request bodies): at most one is right. */
  | 'conflicting-duplicate'
  /** The same payment id with different content. */
  | 'conflicting-same-id'
  /** The same request (key and body) under another id: the client retried after the failover. */
  | 'same-payment-other-id';

export const FINANCE_ACTION: Record<DifferenceKind, string> = {
  'missing-in-new': 'lost by the failover: confirm with the merchant; re-apply (same idempotency key) or refund/void',
  'conflicting-duplicate': 'one idempotency key, two different payments: decide which stands, refund or void the other',
  'conflicting-same-id': 'same payment id, different content: investigate before any money movement',
  'same-payment-other-id': 'no money action: the retried request was re-created after the failover; update the payment id in references',
};

export interface Difference {
  readonly kind: DifferenceKind;
  readonly old: PaymentRow;
  readonly new?: PaymentRow;
  /** Columns that differ (same id, or same key). */
  readonly differingFields?: readonly string[];
}

export interface CompareOptions {
  /** Rows per page (each query returns at most this many). */
  readonly pageSize: number;
  /** Only old payments created at or after this time. */
  readonly since?: Date;
}

export interface CompareSummary {
  readonly oldRowsCompared: number;
  readonly identical: number;
  readonly differences: Readonly<Record<DifferenceKind, number>>;
  readonly pages: number;
  /** Most rows any single query returned: the memory bound, at most `pageSize`. */
  readonly maxRowsPerQuery: number;
  readonly queries: number;
}

const COLUMNS =
  "id::text AS id, idempotency_key, request_hash, merchant_id, reference, amount::text AS amount, currency, status, region, " +
  "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at";

/** Fields that make two rows the same payment (request_hash covers amount, currency, merchant, reference, session). */
const COMPARED: readonly (keyof PaymentRow)[] = ['idempotency_key', 'request_hash', 'merchant_id', 'reference', 'amount', 'currency', 'status'];

const differing = (a: PaymentRow, b: PaymentRow) => COMPARED.filter((f) => a[f] !== b[f]);

export async function comparePayments(
  oldDb: Queryable,
  newDb: Queryable,
  opts: CompareOptions,
  sink: (d: Difference) => void | Promise<void>,
): Promise<CompareSummary> {
  if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1) throw new Error(`pageSize ${opts.pageSize} must be a positive integer`);
  let queries = 0;
  let maxRowsPerQuery = 0;
  const run = async (db: Queryable, sql: string, values: unknown[]): Promise<PaymentRow[]> => {
    const { rows } = await db.query<PaymentRow>(sql, values);
    queries += 1;
    maxRowsPerQuery = Math.max(maxRowsPerQuery, rows.length);
    return rows;
  };
  const counts: Record<DifferenceKind, number> = { 'missing-in-new': 0, 'conflicting-duplicate': 0, 'conflicting-same-id': 0, 'same-payment-other-id': 0 };
  const emit = async (d: Difference) => {
    counts[d.kind] += 1;
    await sink(d);
  };
  let after: string | null = null;
  let compared = 0;
  let identical = 0;
  let pages = 0;
  for (;;) {
    // Keyset page over the old writer's payments, in primary-key order: each page is one index range scan.
    const page = await run(
      oldDb,
      `SELECT ${COLUMNS} FROM payments
        WHERE ($1::uuid IS NULL OR id > $1::uuid) AND ($2::timestamptz IS NULL OR created_at >= $2::timestamptz)
        ORDER BY id LIMIT $3`,
      [after, opts.since?.toISOString() ?? null, opts.pageSize],
    );
    if (page.length === 0) break;
    pages += 1;
    after = page[page.length - 1].id;
    compared += page.length;

    const byId = new Map((await run(newDb, `SELECT ${COLUMNS} FROM payments WHERE id = ANY($1::uuid[])`, [page.map((r) => r.id)])).map((r) => [r.id, r]));
    const notById = page.filter((r) => !byId.has(r.id));
    const byKey = new Map(
      notById.length === 0
        ? []
        : (await run(newDb, `SELECT ${COLUMNS} FROM payments WHERE idempotency_key = ANY($1::text[])`, [notById.map((r) => r.idempotency_key)])).map((r) => [
            r.idempotency_key,
            r,
          ]),
    );
    for (const old of page) {
      const same = byId.get(old.id);
      if (same) {
        const fields = differing(old, same);
        if (fields.length === 0) identical += 1;
        else await emit({ kind: 'conflicting-same-id', old, new: same, differingFields: fields });
        continue;
      }
      const twin = byKey.get(old.idempotency_key);
      if (!twin) await emit({ kind: 'missing-in-new', old });
      else if (twin.request_hash === old.request_hash) await emit({ kind: 'same-payment-other-id', old, new: twin, differingFields: ['id', ...differing(old, twin)] });
      else await emit({ kind: 'conflicting-duplicate', old, new: twin, differingFields: ['id', ...differing(old, twin)] });
    }
    if (page.length < opts.pageSize) break;
  }
  return { oldRowsCompared: compared, identical, differences: counts, pages, maxRowsPerQuery, queries };
}

const CSV_COLUMNS = [
  'kind',
  'payment_id',
  'idempotency_key',
  'merchant_id',
  'reference',
  'amount_minor',
  'currency',
  'created_at',
  'accepted_in_region',
  'new_payment_id',
  'new_merchant_id',
  'new_reference',
  'new_amount_minor',
  'new_currency',
  'new_created_at',
  'differing_fields',
  'finance_action',
] as const;

function csvCell(v: string | undefined): string {
  const s = v ?? '';
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\n';

export function csvLine(d: Difference): string {
  const n = d.new;
  return (
    [
      d.kind,
      d.old.id,
      d.old.idempotency_key,
      d.old.merchant_id,
      d.old.reference,
      d.old.amount,
      d.old.currency,
      d.old.created_at,
      d.old.region,
      n?.id,
      n?.merchant_id,
      n?.reference,
      n?.amount,
      n?.currency,
      n?.created_at,
      d.differingFields?.join(' '),
      FINANCE_ACTION[d.kind],
    ]
      .map(csvCell)
      .join(',') + '\n'
  );
}
