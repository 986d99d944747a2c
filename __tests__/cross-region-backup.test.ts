import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { BACKUP_MANAGED_POLICIES, BackupTarget, CrossRegionBackup, CrossRegionBackupProps } from '../src/constructs/cross-region-backup';
import { MultiRegionKey } from '../src/constructs/multi-region-key';
import { RegionContext } from '../src/region';
import { Synth, fixtureStack, policyOf } from './support/synth';

const LEDGER_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:pay-dev-use1-ledger';

type Overrides = Partial<Omit<CrossRegionBackupProps, 'primary' | 'dr' | 'key' | 'resources'>> & {
  resources?: (table: DynamodbTable) => readonly BackupTarget[];
  contexts?: (primary: RegionContext, dr: RegionContext) => { primary: RegionContext; dr: RegionContext };
  foreignKey?: boolean;
};

function build(overrides: Overrides = {}) {
  const { resources, contexts, foreignKey, ...props } = overrides;
  const { stack, primary, dr } = fixtureStack();
  const key = new MultiRegionKey(stack, 'backup-key', { primary, dr, domain: 'backup', users: ['backup'], deletionWindowInDays: 7 });
  const table = new DynamodbTable(stack, 'protected-table', {
    provider: primary.provider,
    name: 'protected',
    billingMode: 'PAY_PER_REQUEST',
    hashKey: 'id',
    attribute: [{ name: 'id', type: 'S' }],
  });
  const other = foreignKey ? fixtureStack() : undefined;
  const usedKey = other
    ? new MultiRegionKey(other.stack, 'other-key', { primary: other.primary, dr: other.dr, domain: 'other', users: ['backup'], deletionWindowInDays: 7 })
    : key;
  const backup = new CrossRegionBackup(stack, 'backup', {
    ...(contexts ? contexts(primary, dr) : { primary, dr }),
    key: usedKey,
    resources: resources ? resources(table) : [table, { arn: LEDGER_ARN }],
    forceDestroy: false,
    ...props,
  });
  return { stack, primary, dr, key, table, backup, synth: new Synth(stack) };
}

describe('CrossRegionBackup', () => {
  const { primary, dr, key, table, backup, synth } = build();
  const ctxOf = { primary, dr };

  test.each(['primary', 'dr'] as const)("%s: one vault in its region, encrypted with the region's key", (role) => {
    const vaults = synth.inRegion('aws_backup_vault', role);
    expect(vaults).toHaveLength(1);
    expect(vaults[0]).toMatchObject({
      name: ctxOf[role].naming.name('generic', 'backup', ctxOf[role].region),
      kms_key_arn: synth.ref(key.keys[role].arn),
      force_destroy: false,
    });
    expect(backup.vaultIn(role)).toBe(backup.vaults[role]);
  });

  test('the DR vault uses the replica key, the vault names differ', () => {
    expect(synth.inRegion('aws_backup_vault', 'dr')[0].kms_key_arn).toMatch(/^\$\{aws_kms_replica_key\./);
    expect(synth.count('aws_backup_vault')).toBe(2);
    expect(new Set(synth.list('aws_backup_vault').map((v) => v.name)).size).toBe(2);
  });

  test('one plan, in the primary region: daily at 05:00 UTC into the primary vault, kept 35 days, copied to the DR vault for 35 days', () => {
    const plans = synth.list('aws_backup_plan');
    expect(plans).toHaveLength(1);
    expect(plans[0].provider).toBe('aws.primary');
    expect(plans[0].name).toBe(primary.naming.name('generic', 'backup-plan', primary.region));
    expect(plans[0].rule).toEqual([
      {
        rule_name: 'scheduled-with-dr-copy',
        target_vault_name: synth.ref(backup.vaults.primary.name),
        schedule: 'cron(0 5 * * ? *)',
        lifecycle: { delete_after: 35 },
        copy_action: [
          {
            destination_vault_arn: synth.ref(backup.vaults.dr.arn),
            lifecycle: { delete_after: 35 },
          },
        ],
      },
    ]);
  });

  test('the role is trusted by AWS Backup only and holds exactly the two AWS managed policies', () => {
    const role = synth.resources('aws_iam_role')[backup.role.friendlyUniqueId];
    expect(role.provider).toBe('aws.primary');
    expect(policyOf(role.assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const attachments = synth.list('aws_iam_role_policy_attachment');
    expect(attachments.map((a) => a.policy_arn).sort()).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
    ]);
    expect([...BACKUP_MANAGED_POLICIES].sort()).toEqual(attachments.map((a) => a.policy_arn).sort());
    for (const a of attachments) expect(a).toMatchObject({ provider: 'aws.primary', role: synth.ref(backup.role.name) });
    expect(synth.list('aws_iam_role_policy')).toEqual([]);
  });

  test('the selection assigns exactly the given resources to the plan through the role, once its policies are attached', () => {
    const selections = synth.list('aws_backup_selection');
    expect(selections).toHaveLength(1);
    const s = selections[0];
    expect(s).toMatchObject({
      provider: 'aws.primary',
      plan_id: synth.ref(backup.plan.id),
      iam_role_arn: synth.ref(backup.role.arn),
      resources: [synth.ref(table.arn), LEDGER_ARN],
    });
    const attachments = backup.node.findAll().filter((c): c is IamRolePolicyAttachment => c instanceof IamRolePolicyAttachment);
    expect(attachments).toHaveLength(2);
    expect([...s.depends_on].sort()).toEqual(attachments.map((a) => `aws_iam_role_policy_attachment.${a.friendlyUniqueId}`).sort());
    expect(s.depends_on).toHaveLength(2);
  });

  test('everything but the DR vault runs in the primary region', () => {
    for (const type of ['aws_backup_plan', 'aws_backup_selection', 'aws_iam_role', 'aws_iam_role_policy_attachment']) {
      expect(synth.inRegion(type, 'dr')).toEqual([]);
      expect(synth.inRegion(type, 'primary').length).toBeGreaterThan(0);
    }
  });

  test('custom schedule, retention and copy retention; dev vaults may be force-destroyed', () => {
    const custom = build({ schedule: 'cron(30 2 ? * SUN *)', retentionDays: 7, copyRetentionDays: 90, forceDestroy: true }).synth;
    const rule = custom.list('aws_backup_plan')[0].rule[0];
    expect(rule.schedule).toBe('cron(30 2 ? * SUN *)');
    expect(rule.lifecycle).toEqual({ delete_after: 7 });
    expect(rule.copy_action[0].lifecycle).toEqual({ delete_after: 90 });
    for (const v of custom.list('aws_backup_vault')) expect(v.force_destroy).toBe(true);
  });

  test('a custom purpose renames vaults, plan, selection and role', () => {
    const { synth: s, primary: p, dr: d } = build({ purpose: 'ledger' });
    expect(s.list('aws_backup_vault').map((v) => v.name).sort()).toEqual(
      [p.naming.name('generic', 'ledger', p.region), d.naming.name('generic', 'ledger', d.region)].sort(),
    );
    expect(s.list('aws_backup_plan')[0].name).toBe('pay-dev-use1-ledger-plan');
    expect(s.list('aws_backup_selection')[0].name).toBe('pay-dev-use1-ledger-selection');
    expect(s.list('aws_iam_role')[0].name).toBe('pay-dev-use1-ledger');
  });

  describe('rejects bad props', () => {
    test.each<[string, Overrides, RegExp]>([
      ['no resources', { resources: () => [] }, /'resources' is empty/],
      ['a name instead of an ARN', { resources: () => [{ arn: 'pay-dev-sessions' }] }, /'resources\[0\]\.arn' is not an ARN, got 'pay-dev-sessions'/],
      ['a rate() schedule', { schedule: 'rate(1 day)' }, /'schedule' must be a six-field AWS cron expression.*got 'rate\(1 day\)'/],
      ['a five-field cron', { schedule: 'cron(0 5 * * ?)' }, /'schedule'.*got 'cron\(0 5 \* \* \?\)'/],
      ['retentionDays 0', { retentionDays: 0 }, /'retentionDays' must be a whole number of days >= 1, got 0/],
      ['fractional copyRetentionDays', { copyRetentionDays: 2.5 }, /'copyRetentionDays' must be a whole number of days >= 1, got 2\.5/],
      ['an invalid purpose', { purpose: 'Backup_X' }, /'purpose' must be lowercase letters, digits and hyphens, got 'Backup_X'/],
      ['a purpose too long for a vault name', { purpose: 'a'.repeat(40) }, /the vault name "pay-dev-use1-a+" breaks the AWS Backup naming rule/],
      ['swapped region contexts', { contexts: (p, d) => ({ primary: d, dr: p }) }, /CrossRegionBackup 'backup': 'primary' must be the primary region context/],
      ['a key of another region pair', { foreignKey: true }, /'key' \(alias\/pay-dev-other\) was not created for this region pair/],
    ])('fails with %s', (_name, overrides, message) => {
      expect(() => build(overrides)).toThrow(message);
    });
  });
});
