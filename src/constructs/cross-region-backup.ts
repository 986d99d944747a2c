import { BackupPlan } from '@cdktf/provider-aws/lib/backup-plan';
import { BackupSelection } from '@cdktf/provider-aws/lib/backup-selection';
import { BackupVault } from '@cdktf/provider-aws/lib/backup-vault';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument } from '../iam';
import { RegionContext, RegionRole, otherRole } from '../region';
import { MultiRegionKey } from './multi-region-key';
import { checkRegionPair } from './replicated-bucket';
import { awsManagedPolicyArn } from '../arn';

/** Anything AWS Backup can protect, passed as the resource itself (an Aurora cluster, a DynamoDB table, ...). */
export interface BackupTarget {
  readonly arn: string;
}

export interface CrossRegionBackupProps {
  /** Region of the protected resources, the backup plan and the source vault. */
  readonly primary: RegionContext;
  /** Region of the vault that receives a copy of every recovery point. */
  readonly dr: RegionContext;
  /** Encrypts each vault with its region's key; the key's users must include 'backup'. */
  readonly key: MultiRegionKey;
  /**
   * The site whose region runs the plan (`config.activeRegion`): the resources are backed up there into its
   * vault and every recovery point is copied to the other site's vault. @default 'primary'
   */
  readonly source?: RegionRole;
  /** The resources to back up, all in the `source` site's region (the active cluster, the table's replica there). */
  readonly resources: readonly BackupTarget[];
  /** Let `terraform destroy` delete vaults that still hold recovery points (dev only). */
  readonly forceDestroy: boolean;
  /**
   * Part of every physical name (vaults, plan, selection, role), so several instances can coexist.
   * @default 'backup'
   */
  readonly purpose?: string;
  /**
   * When backups start: an AWS Backup cron expression (six fields, UTC).
   * @default 'cron(0 5 * * ? *)' (daily at 05:00 UTC)
   */
  readonly schedule?: string;
  /**
   * Days a recovery point is kept in the primary vault.
   * @default 35
   */
  readonly retentionDays?: number;
  /**
   * Days the copy is kept in the DR vault.
   * @default 35
   */
  readonly copyRetentionDays?: number;
}

/** The AWS managed policies AWS Backup documents for a role that backs up and restores (AWS Backup Developer Guide, iam-service-roles). */
export const BACKUP_MANAGED_POLICIES = [
  awsManagedPolicyArn('service-role/AWSBackupServiceRolePolicyForBackup'),
  awsManagedPolicyArn('service-role/AWSBackupServiceRolePolicyForRestores'),
] as const;

/** Vault names: 2-50 letters, digits, hyphens, underscores (CreateBackupVault). */
const VAULT_NAME = /^[a-zA-Z0-9_-]{2,50}$/;
/** Plan, rule and selection names: 1-50 letters, digits, hyphens, underscores, dots (CreateBackupPlan, CreateBackupSelection). */
const PLAN_NAME = /^[a-zA-Z0-9_.-]{1,50}$/;
const PURPOSE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;

/**
 * AWS Backup for the active site's data stores, with a copy of every recovery point in the other site's region: a
 * vault per region (each encrypted with its region's key, both always present), a daily plan in the `source`
 * site's region whose rule copies to the other vault, and a selection of the given resources assumed through a
 * role with the AWS managed backup and restore policies.
 *
 * The plan, selection and role of each site have their own construct ids (the primary site's keep the original
 * ones), so moving `source` destroys one region's plan with its own provider and creates the other's; a vault
 * and its recovery points never move.
 */
export class CrossRegionBackup extends Construct {
  public readonly vaults: { readonly primary: BackupVault; readonly dr: BackupVault };
  /** The vaults' names as plain strings (usable in another region without a cross-region reference). */
  public readonly vaultNames: { readonly primary: string; readonly dr: string };
  public readonly plan: BackupPlan;
  public readonly selection: BackupSelection;
  /** The role AWS Backup assumes to back up and restore the selected resources. */
  public readonly role: IamRole;
  /** The site whose region runs the plan. */
  public readonly source: RegionRole;

  constructor(scope: Construct, id: string, props: CrossRegionBackupProps) {
    super(scope, id);
    const { primary, dr, key } = props;
    const source = props.source ?? 'primary';
    this.source = source;
    const ctx = props[source];
    // The primary site's plan keeps the construct ids it has always had; the DR site's are prefixed.
    const siteId = (name: string) => (source === 'primary' ? name : `dr-${name}`);
    const purpose = props.purpose ?? 'backup';
    const schedule = props.schedule ?? 'cron(0 5 * * ? *)';
    const retentionDays = props.retentionDays ?? 35;
    const copyRetentionDays = props.copyRetentionDays ?? 35;
    const what = `CrossRegionBackup '${purpose}'`;
    validate(what, props, purpose, schedule, retentionDays, copyRetentionDays);

    const vaultName = (ctx: RegionContext) => checked(what, 'vault name', ctx.naming.name('generic', purpose, ctx.region), VAULT_NAME);
    this.vaultNames = { primary: vaultName(primary), dr: vaultName(dr) };
    const vault = (role: RegionRole, ctx: RegionContext) => {
      const name = vaultName(ctx);
      return new BackupVault(this, `${role}-vault`, {
        provider: ctx.provider,
        name,
        kmsKeyArn: key.keys[role].arn,
        forceDestroy: props.forceDestroy,
        tags: { Name: name },
      });
    };
    this.vaults = { primary: vault('primary', primary), dr: vault('dr', dr) };

    this.plan = new BackupPlan(this, siteId('plan'), {
      provider: ctx.provider,
      name: checked(what, 'plan name', ctx.naming.name('generic', `${purpose}-plan`, ctx.region), PLAN_NAME),
      rule: [
        {
          ruleName: 'scheduled-with-dr-copy',
          targetVaultName: this.vaults[source].name,
          schedule,
          lifecycle: { deleteAfter: retentionDays },
          copyAction: [
            {
              destinationVaultArn: this.vaults[otherRole(source)].arn,
              lifecycle: { deleteAfter: copyRetentionDays },
            },
          ],
        },
      ],
    });

    // No aws:SourceAccount condition here, unlike serviceTrustPolicy(): AWS Backup documents no confused-deputy
    // condition keys for the role it assumes (only for key and topic policies), and a condition the service does
    // not send would fail every job. The role can only be passed by principals of this account (iam:PassRole).
    this.role = new IamRole(this, siteId('role'), {
      provider: ctx.provider,
      name: ctx.naming.name('iamRole', purpose, ctx.region),
      description: `AWS Backup service role of the ${purpose} plan (backup and restore)`,
      assumeRolePolicy: policyDocument([
        { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]),
    });
    const attachments = BACKUP_MANAGED_POLICIES.map(
      (policyArn) =>
        new IamRolePolicyAttachment(this, siteId(`role-${policyArn.split('/').pop()}`), {
          provider: ctx.provider,
          role: this.role.name,
          policyArn,
        }),
    );

    this.selection = new BackupSelection(this, siteId('selection'), {
      provider: ctx.provider,
      // The role must hold its policies before the first scheduled job assumes it.
      dependsOn: attachments,
      name: checked(what, 'selection name', ctx.naming.name('generic', `${purpose}-selection`, ctx.region), PLAN_NAME),
      planId: this.plan.id,
      iamRoleArn: this.role.arn,
      resources: props.resources.map((r) => r.arn),
    });
  }

  /** The vault of one region. */
  vaultIn(role: RegionRole): BackupVault {
    return this.vaults[role];
  }
}

function checked(what: string, label: string, name: string, rule: RegExp): string {
  if (!rule.test(name)) {
    throw new Error(`${what}: the ${label} "${name}" breaks the AWS Backup naming rule ${rule}; shorten 'purpose', namePrefix or environmentSuffix`);
  }
  return name;
}

function validate(
  what: string,
  props: CrossRegionBackupProps,
  purpose: string,
  schedule: string,
  retentionDays: number,
  copyRetentionDays: number,
): void {
  if (!PURPOSE.test(purpose)) {
    throw new Error(`${what}: 'purpose' must be lowercase letters, digits and hyphens, got '${purpose}'; use e.g. 'backup'`);
  }
  checkRegionPair(what, props.primary, props.dr, props.key);
  if (props.resources.length === 0) {
    throw new Error(`${what}: 'resources' is empty; pass the resources to protect (e.g. [cluster, table]), or drop the construct`);
  }
  props.resources.forEach((r, i) => {
    if (!Token.isUnresolved(r.arn) && !r.arn.startsWith('arn:')) {
      throw new Error(`${what}: 'resources[${i}].arn' is not an ARN, got '${r.arn}'; pass the resource itself (e.g. table), not its name`);
    }
  });
  if (!Token.isUnresolved(schedule) && !CRON.test(schedule)) {
    throw new Error(`${what}: 'schedule' must be a six-field AWS cron expression like 'cron(0 5 * * ? *)', got '${schedule}'`);
  }
  for (const [prop, value] of [
    ['retentionDays', retentionDays],
    ['copyRetentionDays', copyRetentionDays],
  ] as const) {
    if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1)) {
      throw new Error(`${what}: '${prop}' must be a whole number of days >= 1, got ${value}`);
    }
  }
}
