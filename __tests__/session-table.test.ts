import { MultiRegionKey } from '../src/constructs/multi-region-key';
import { SessionTable, SessionTableProps } from '../src/constructs/session-table';
import { RegionContext } from '../src/region';
import { Synth, fixtureStack } from './support/synth';

type Overrides = Partial<Omit<SessionTableProps, 'primary' | 'dr' | 'key'>> & {
  contexts?: (primary: RegionContext, dr: RegionContext) => { primary: RegionContext; dr: RegionContext };
  foreignKey?: boolean;
  profile?: 'dev' | 'prod';
};

function build(overrides: Overrides = {}) {
  const { contexts, foreignKey, profile = 'prod', ...props } = overrides;
  const { stack, primary, dr, config } = fixtureStack(profile === 'prod' ? { profile: 'prod', environmentSuffix: 'prod' } : {});
  const key = new MultiRegionKey(stack, 'sessions-key', {
    primary,
    dr,
    domain: 'sessions',
    users: ['dynamodb'],
    deletionWindowInDays: config.protection.kmsDeletionWindowDays,
  });
  const other = foreignKey ? fixtureStack() : undefined;
  const usedKey = other
    ? new MultiRegionKey(other.stack, 'other-key', { primary: other.primary, dr: other.dr, domain: 'other', users: ['dynamodb'], deletionWindowInDays: 7 })
    : key;
  const table = new SessionTable(stack, 'sessions', {
    ...(contexts ? contexts(primary, dr) : { primary, dr }),
    key: usedKey,
    deletionProtection: config.protection.deletionProtection,
    preventDestroy: config.protection.preventDestroy,
    ...props,
  });
  return { stack, primary, dr, key, table, synth: new Synth(stack) };
}

describe('SessionTable (prod protection)', () => {
  const { primary, dr, key, table, synth } = build();
  const tables = synth.list('aws_dynamodb_table');
  const t = tables[0];

  test('one table, managed from the primary region, named once for both regions', () => {
    expect(tables).toHaveLength(1);
    expect(t.provider).toBe('aws.primary');
    expect(synth.inRegion('aws_dynamodb_table', 'dr')).toEqual([]);
    expect(t.name).toBe(primary.naming.name('generic', 'sessions'));
    expect(table.tableName).toBe(t.name);
    expect(t.name).not.toContain('use1');
  });

  test('on-demand, keyed by sessionId (S) and nothing else', () => {
    expect(t).toMatchObject({ billing_mode: 'PAY_PER_REQUEST', hash_key: 'sessionId' });
    expect(t.range_key).toBeUndefined();
    expect(t.attribute).toEqual([{ name: 'sessionId', type: 'S' }]);
  });

  test('TTL enabled on expiresAt', () => {
    expect(t.ttl).toEqual({ enabled: true, attribute_name: 'expiresAt' });
    expect(table.ttlAttribute).toBe('expiresAt');
  });

  test('streams with new and old images (global tables replicate through them)', () => {
    expect(t).toMatchObject({ stream_enabled: true, stream_view_type: 'NEW_AND_OLD_IMAGES' });
  });

  test('encrypted with the primary key; point-in-time recovery; deletion protection; prevent_destroy', () => {
    expect(t.server_side_encryption).toEqual({ enabled: true, kms_key_arn: synth.ref(key.keys['primary'].arn) });
    expect(t.server_side_encryption.kms_key_arn).toMatch(/^\$\{aws_kms_key\./);
    expect(t.point_in_time_recovery).toEqual({ enabled: true });
    expect(t.deletion_protection_enabled).toBe(true);
    expect(t.lifecycle).toEqual({ prevent_destroy: true });
  });

  test('one replica in the DR region, with the DR replica key, PITR and propagated tags', () => {
    expect(t.replica).toEqual([
      {
        region_name: dr.region,
        kms_key_arn: synth.ref(key.keys['dr'].arn),
        point_in_time_recovery: true,
        propagate_tags: true,
      },
    ]);
    expect(t.replica[0].kms_key_arn).toMatch(/^\$\{aws_kms_replica_key\./);
  });

  test('arnIn: the table ARN in the primary region, the replica ARN built from the name in the DR region', () => {
    expect(synth.ref(table.tableArns['primary'])).toBe(synth.ref(table.table.arn));
    expect(table.tableArns['dr']).toBe(`arn:aws:dynamodb:us-west-2:123456789012:table/${table.tableName}`);
    expect(table.tableArns['dr']).toBe(`arn:aws:dynamodb:${dr.region}:${dr.accountId}:table/pay-prod-sessions`);
  });
});

describe('SessionTable options', () => {
  test('dev protection flags: no deletion protection, no prevent_destroy; PITR stays on', () => {
    const t = build({ profile: 'dev' }).synth.list('aws_dynamodb_table')[0];
    expect(t.deletion_protection_enabled).toBe(false);
    expect(t.lifecycle).toEqual({ prevent_destroy: false });
    expect(t.point_in_time_recovery).toEqual({ enabled: true });
    expect(t.replica[0].point_in_time_recovery).toBe(true);
  });

  test('a custom TTL attribute', () => {
    const { synth, table } = build({ ttlAttribute: 'ttl' });
    expect(synth.list('aws_dynamodb_table')[0].ttl).toEqual({ enabled: true, attribute_name: 'ttl' });
    expect(table.ttlAttribute).toBe('ttl');
  });

  test.each<[string, Overrides, RegExp]>([
    ['an empty ttlAttribute', { ttlAttribute: '' }, /'ttlAttribute' must be 1-255 characters, got '' \(0\)/],
    ['a ttlAttribute longer than 255 characters', { ttlAttribute: 'x'.repeat(256) }, /'ttlAttribute' must be 1-255 characters.*\(256\)/],
    ['the partition key as ttlAttribute', { ttlAttribute: 'sessionId' }, /'ttlAttribute' is 'sessionId', the partition key/],
    ['swapped region contexts', { contexts: (p, d) => ({ primary: d, dr: p }) }, /SessionTable: 'primary' must be the primary region context/],
    ['both contexts in one region', { contexts: (p, d) => ({ primary: p, dr: { ...d, region: p.region } }) }, /both in us-east-1/],
    ['a key of another region pair', { foreignKey: true }, /SessionTable: 'key' \(alias\/pay-dev-other\) was not created for this region pair/],
  ])('fails with %s', (_name, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });
});
