/**
 * Architecture diagram from the synthesized Terraform JSON: both regions side by side, the request path from
 * Route 53 down to the data stores, and every cross-region replication link found in the JSON. Output is a
 * deterministic SVG (`docs/architecture.svg`), regenerated with `npm run diagram` (scripts/make-diagram.ts).
 */
type Json = Record<string, any>;
type Role = 'primary' | 'dr';

interface Box {
  readonly id: string;
  readonly label: string;
  readonly detail: string;
  readonly row: number;
}

interface Link {
  readonly from: string;
  readonly label: string;
}

/** Each row: the resource type that shows it in a region (`drType` where the DR copy is another type). */
const ROWS: Array<{ id: string; type: string; drType?: string; label: string; detail: (r: Json[]) => string }> = [
  { id: 'api', type: 'aws_api_gateway_rest_api', label: 'API Gateway (regional)', detail: (r) => `${r.length} REST API · WAF · custom domain` },
  // Only in edge.mode "accelerator"; rows without a box in either region take no space.
  { id: 'alb', type: 'aws_lb', label: 'ALB (internal, Global Accelerator endpoint)', detail: () => 'HTTPS only · WAF · Lambda targets · logs' },
  { id: 'lambda', type: 'aws_lambda_function', label: 'Lambda', detail: (r) => r.map((f) => f.function_name.split('-').slice(-2).join('-')).join(', ') },
  { id: 'vpc', type: 'aws_vpc', label: 'VPC', detail: (r) => r.map((v) => v.cidr_block).join(', ') },
  { id: 'aurora', type: 'aws_rds_cluster', label: 'Aurora PostgreSQL', detail: (r) => (r[0]?.master_username ? 'writer (primary cluster)' : 'secondary (read-only until promoted)') },
  { id: 'dynamodb', type: 'aws_dynamodb_table', label: 'DynamoDB sessions', detail: () => 'global table (replica in DR)' },
  { id: 's3', type: 'aws_s3_bucket', label: 'S3 payment artefacts', detail: () => 'versioned, SSE-KMS' },
  { id: 'backup', type: 'aws_backup_vault', label: 'AWS Backup vault', detail: () => 'KMS-encrypted' },
  { id: 'kms', type: 'aws_kms_key', drType: 'aws_kms_replica_key', label: 'KMS multi-region keys', detail: (r) => `${r.length} key(s)` },
];

/** Cross-region links: a resource type in the primary region whose presence means data flows to DR. */
const LINKS: Array<{ row: string; type: string; label: string; when?: (r: Json) => boolean }> = [
  { row: 'vpc', type: 'aws_vpc_peering_connection_accepter', label: 'VPC peering (accepted, routes both sides)' },
  { row: 'aurora', type: 'aws_rds_global_cluster', label: 'Aurora global database replication' },
  { row: 'dynamodb', type: 'aws_dynamodb_table', label: 'DynamoDB global table replica', when: (r) => (r.replica ?? []).length > 0 },
  { row: 's3', type: 'aws_s3_bucket_replication_configuration', label: 'S3 CRR with RTC (15 min)' },
  { row: 'backup', type: 'aws_backup_plan', label: 'Backup copy to DR vault', when: (r) => JSON.stringify(r).includes('copy_action') },
  { row: 'kms', type: 'aws_kms_replica_key', label: 'KMS replica keys · secret replicas' },
];

function resourcesIn(stack: Json, type: string, role?: Role): Json[] {
  return Object.values((stack.resource?.[type] ?? {}) as Record<string, Json>).filter((r) => !role || r.provider === `aws.${role}`);
}

export function describe(stack: Json): { regions: Record<Role, string>; boxes: Record<Role, Box[]>; links: Link[]; dns: string; rows: string[] } {
  const regions = Object.fromEntries((stack.provider?.aws ?? []).map((p: Json) => [p.alias, p.region])) as Record<Role, string>;
  const found = (row: (typeof ROWS)[number], role: Role) => {
    // A global table's replica is a block of the primary-region table.
    if (row.id === 'dynamodb' && role === 'dr') return resourcesIn(stack, row.type).filter((t) => (t.replica ?? []).length > 0);
    return resourcesIn(stack, role === 'dr' && row.drType ? row.drType : row.type, role);
  };
  const visible = ROWS.filter((row) => found(row, 'primary').length > 0 || found(row, 'dr').length > 0);
  const boxes = {} as Record<Role, Box[]>;
  for (const role of ['primary', 'dr'] as Role[]) {
    boxes[role] = visible.flatMap((row, i) => {
      const r = found(row, role);
      return r.length ? [{ id: row.id, label: row.label, detail: row.detail(r), row: i }] : [];
    });
  }
  const links = LINKS.filter((l) => resourcesIn(stack, l.type).some((r) => !l.when || l.when(r))).map((l) => ({ from: l.row, label: l.label }));
  const failover = resourcesIn(stack, 'aws_route53_record').filter((r) => r.failover_routing_policy);
  // The PRIMARY record serves the active site (config activeRegion, the `active-region` output).
  const active: Role = stack.output?.['active-region']?.value === 'dr' ? 'dr' : 'primary';
  const passive: Role = active === 'primary' ? 'dr' : 'primary';
  const groups = resourcesIn(stack, 'aws_globalaccelerator_endpoint_group');
  const acceleratorName = resourcesIn(stack, 'aws_route53_record').find((r) => String(r.alias?.name ?? '').includes('aws_globalaccelerator_accelerator'))?.name;
  const dial = (role: Role) => groups.find((g) => g.endpoint_group_region === regions[role])?.traffic_dial_percentage ?? '?';
  const dns = groups.length
    ? `Global Accelerator (static IPs): ${acceleratorName ?? '?'} (dials ${regions.primary} ${dial('primary')} %, ${regions.dr} ${dial('dr')} %)`
    : failover.length
      ? `Route 53 failover: ${failover[0].name} (PRIMARY → ${regions[active]}, SECONDARY → ${regions[passive]})`
      : 'no failover DNS';
  return { regions, boxes, links, dns, rows: visible.map((r) => r.id) };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSvg(stack: Json): string {
  const d = describe(stack);
  const W = 1100;
  const colX: Record<Role, number> = { primary: 40, dr: 700 };
  const colW = 360;
  const top = 150;
  const rowH = 70;
  const y = (row: number) => top + 40 + row * rowH;
  // The accelerator banner says more (name and both dials).
  const bannerW = d.dns.startsWith('Global Accelerator') ? 760 : 520;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${top + 80 + d.rows.length * rowH}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#444"/></marker></defs>',
    `<rect x="0" y="0" width="${W}" height="100%" fill="#ffffff"/>`,
    `<rect x="${W / 2 - bannerW / 2}" y="20" width="${bannerW}" height="46" rx="8" fill="#e8f0fe" stroke="#1a73e8"/>`,
    `<text x="${W / 2}" y="48" text-anchor="middle" font-weight="bold">${esc(d.dns)}</text>`,
  ];
  for (const role of ['primary', 'dr'] as Role[]) {
    const x = colX[role];
    const title = `${role === 'primary' ? 'Primary (active)' : 'DR (passive)'} — ${d.regions[role]}`;
    out.push(
      `<rect x="${x - 15}" y="${top}" width="${colW + 30}" height="${d.rows.length * rowH + 50}" rx="12" fill="${role === 'primary' ? '#f1f8e9' : '#fff8e1'}" stroke="#888"/>`,
      `<text x="${x + colW / 2}" y="${top + 24}" text-anchor="middle" font-weight="bold" font-size="15">${esc(title)}</text>`,
      `<line x1="${W / 2}" y1="66" x2="${x + colW / 2}" y2="${top - 2}" stroke="#1a73e8" stroke-width="2" ${role === 'dr' ? 'stroke-dasharray="6,4"' : ''} marker-end="url(#arrow)"/>`,
    );
    for (const b of d.boxes[role]) {
      out.push(
        `<rect x="${x}" y="${y(b.row)}" width="${colW}" height="50" rx="6" fill="#ffffff" stroke="#555"/>`,
        `<text x="${x + 10}" y="${y(b.row) + 20}" font-weight="bold">${esc(b.label)}</text>`,
        `<text x="${x + 10}" y="${y(b.row) + 38}" fill="#444">${esc(b.detail)}</text>`,
      );
    }
  }
  for (const link of d.links) {
    const row = d.rows.indexOf(link.from);
    const ly = y(row) + 25;
    out.push(
      `<line x1="${colX.primary + colW}" y1="${ly}" x2="${colX.dr - 2}" y2="${ly}" stroke="#c62828" stroke-width="2" marker-end="url(#arrow)"/>`,
      `<text x="${W / 2}" y="${ly - 6}" text-anchor="middle" fill="#c62828" font-size="11">${esc(link.label)}</text>`,
    );
  }
  out.push('</svg>', '');
  return out.join('\n');
}
