import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import { BackupRegionSettings } from '@cdktf/provider-aws/lib/backup-region-settings';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { Construct } from 'constructs';
import { policyJson } from './permissions';
import { awsManagedPolicyArn } from '../src/arn';

/** The AWS managed policy API Gateway's account-level logging role needs (API Gateway Developer Guide, set-up-logging). */
export const API_GATEWAY_LOGS_POLICY_ARN = awsManagedPolicyArn('service-role/AmazonAPIGatewayPushToCloudWatchLogs');
/** IAM path of account-level service roles: outside `role/<namePrefix>-*`, so the deploy role cannot change them. */
export const ACCOUNT_ROLE_PATH = '/account/';

/**
 * AWS Backup settings the DR stack needs in every deploy region. Only these keys are sent: UpdateRegionSettings
 * changes the services it is given and leaves the others as they are.
 * - opt-in: a plan backs up only resource types opted in for the region (AWS Backup Developer Guide,
 *   "Service opt-in").
 * - management: DynamoDB copies to another region (our copy action to the DR vault) need AWS Backup's advanced
 *   features for DynamoDB ("Advanced DynamoDB backup": cross-Region copy is an advanced feature).
 */
export const BACKUP_OPT_IN = { Aurora: true, DynamoDB: true } as const;
export const BACKUP_MANAGEMENT = { DynamoDB: true } as const;

export interface AccountSettingsProps {
  readonly accountId: string;
  readonly namePrefix: string;
  /** Regions the DR stacks deploy into; each gets the per-region settings. */
  readonly regions: readonly string[];
  /** Public hosted zones to create (global), delegated by hand from the parent domain. */
  readonly hostedZones: readonly string[];
  /** Tags every resource carries (the providers' default tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * What the DR stacks need once per account and region, and must not each manage (two environments would overwrite
 * each other's account singletons):
 * - API Gateway's account setting (the CloudWatch Logs role for execution logs), one per region
 *   (`aws_api_gateway_account`: "Settings is applied region-wide per provider block");
 * - AWS Backup's region settings (service opt-in and DynamoDB advanced features);
 * - the public hosted zones the API names live in, so they exist and are delegated before the first deploy.
 */
export class AccountSettings extends Construct {
  public readonly apiGatewayLogsRole: IamRole;
  public readonly apiGatewayAccounts: Record<string, ApiGatewayAccount> = {};
  public readonly backupSettings: Record<string, BackupRegionSettings> = {};
  public readonly zones: Record<string, Route53Zone> = {};

  constructor(scope: Construct, id: string, props: AccountSettingsProps) {
    super(scope, id);
    // IAM is global: one role serves every region's account setting.
    this.apiGatewayLogsRole = new IamRole(this, 'apigateway-logs-role', {
      name: `${props.namePrefix}-apigateway-cloudwatch-logs`,
      path: ACCOUNT_ROLE_PATH,
      description: 'API Gateway account-level role that writes execution logs to CloudWatch Logs (every region)',
      assumeRolePolicy: policyJson([
        {
          Sid: 'ApiGateway',
          Effect: 'Allow',
          Principal: { Service: 'apigateway.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
      ]),
    });
    const attachment = new IamRolePolicyAttachment(this, 'apigateway-logs-policy', {
      role: this.apiGatewayLogsRole.name,
      policyArn: API_GATEWAY_LOGS_POLICY_ARN,
    });

    for (const region of props.regions) {
      const provider = new AwsProvider(this, `aws-${region}`, {
        alias: region,
        region,
        allowedAccountIds: [props.accountId],
        defaultTags: [{ tags: { ...props.tags } }],
      });
      this.apiGatewayAccounts[region] = new ApiGatewayAccount(this, `apigateway-account-${region}`, {
        provider,
        cloudwatchRoleArn: this.apiGatewayLogsRole.arn,
        // API Gateway checks that it can assume the role with its policy when the setting is made; IAM is
        // eventually consistent, so the attachment comes first.
        dependsOn: [attachment],
      });
      this.backupSettings[region] = new BackupRegionSettings(this, `backup-region-settings-${region}`, {
        provider,
        resourceTypeOptInPreference: { ...BACKUP_OPT_IN },
        resourceTypeManagementPreference: { ...BACKUP_MANAGEMENT },
        lifecycle: {
          // The provider sends only the keys given (UpdateRegionSettings), but reads back every service's setting
          // (DescribeRegionSettings) and its delete is a no-op (internal/service/backup/region_settings.go): with a
          // partial map every plan would show the other services' settings as removed, and an apply would fight
          // whoever manages them. Set once on creation; `npm run dr -- preflight` verifies they still hold.
          ignoreChanges: ['resource_type_opt_in_preference', 'resource_type_management_preference'],
        },
      });
    }

    for (const name of props.hostedZones) {
      this.zones[name] = new Route53Zone(this, `zone-${name.replace(/\./g, '-')}`, {
        name,
        comment: `Payments DR platform: API names of every environment (delegate from the parent of ${name})`,
        // Deleting the zone breaks the delegation and every API name in it.
        lifecycle: { preventDestroy: true },
      });
    }
  }
}
