import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { S3Backend, TerraformStack } from 'cdktf';
import { PlatformConfig } from '../config';
import { Naming } from '../naming';
import { RegionContext, RegionRole } from '../region';
import { stateKey } from '../stack-identity';

/**
 * What every stack of the platform starts with: S3 state with native locking, one aliased AWS provider per site (the
 * site's region context) and the random provider. Created directly in the stack (their ids are their addresses).
 */
export function foundation(stack: TerraformStack, config: PlatformConfig): Record<RegionRole, RegionContext> {
  new S3Backend(stack, {
    bucket: config.stateBackend.bucket,
    region: config.stateBackend.region,
    key: stateKey(config),
    encrypt: true,
    // Without a key ARN, encrypt = true means SSE-S3; the bootstrap's state key makes it SSE-KMS.
    ...(config.stateBackend.kmsKeyArn ? { kmsKeyId: config.stateBackend.kmsKeyArn } : {}),
  });
  // S3-native state locking (Terraform >= 1.11) replaces the deprecated DynamoDB lock table; cdktf 0.21's
  // S3Backend has no field for it.
  stack.addOverride('terraform.backend.s3.use_lockfile', true);

  const naming = new Naming(config.namePrefix, config.environmentSuffix, config.accountId);
  const context = (role: RegionRole): RegionContext => {
    const regionConfig = config.regions[role];
    const provider = new AwsProvider(stack, `aws-${role}`, {
      alias: role,
      region: regionConfig.region,
      // A plan against the wrong account fails at once instead of planning a second platform.
      allowedAccountIds: [config.accountId],
      defaultTags: [
        {
          tags: {
            Project: 'payments-dr',
            Environment: config.profile,
            EnvironmentSuffix: config.environmentSuffix,
            DisasterRecovery: role,
            CostCenter: config.costCenter,
            ManagedBy: 'cdktf',
          },
        },
      ],
    });
    return {
      provider,
      region: regionConfig.region,
      role,
      availabilityZones: regionConfig.availabilityZones,
      accountId: config.accountId,
      naming,
    };
  };
  const contexts = { primary: context('primary'), dr: context('dr') };
  new RandomProvider(stack, 'random');
  return contexts;
}
