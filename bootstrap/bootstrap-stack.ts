import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AccountSettings } from './account-settings';
import { BootstrapConfig } from './config';
import { deployRoleStatements, planRoleStatements, policyJson, Statement } from './permissions';
import { accountRootArn, awsManagedPolicyArn } from '../src/arn';

/** The issuer of GitHub Actions' OIDC tokens. */
export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` asks GitHub to put in the token. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
/**
 * SHA-1 thumbprints of the intermediate certificates GitHub has published for token.actions.githubusercontent.com.
 * IAM normally verifies this issuer against its own library of trusted root CAs and ignores the list (provider 5.100
 * makes it optional), but falls back to the thumbprints when it cannot retrieve the TLS certificate or TLS 1.3 is
 * required (IAM User Guide, "Obtain the thumbprint for an OpenID Connect identity provider"). Setting GitHub's known
 * values keeps that fallback pinned to GitHub and the trust reviewable, instead of whatever IAM computed at creation.
 * See bootstrap/README.md.
 */
export const GITHUB_OIDC_THUMBPRINTS = ['6938fd4d98bab03faadb97b34396831e3780aea1', '1c58a3a8518e8759bf075b76b750d4f2df264fcd'];
/** AWS managed read-only policy of the plan role (every service's Describe/Get/List). */
export const READ_ONLY_ACCESS_ARN = awsManagedPolicyArn('ReadOnlyAccess');
/** IAM path of the CI roles: outside `role/<namePrefix>-*`, so the deploy role cannot change them. */
export const CI_ROLE_PATH = '/ci/';
/** The GitHub environments the deploy role trusts (`environment:` of the deploy jobs). */
export const DEPLOY_ENVIRONMENTS = ['dev', 'prod'] as const;
/**
 * Deploys wait for Aurora global clusters; a 1-hour session could expire mid-apply and strand the state lock.
 * deploy.yml asks for this duration (`role-duration-seconds`).
 */
export const DEPLOY_SESSION_SECONDS = 4 * 3600;

const BOOTSTRAP_TAGS = { Project: 'payments-dr', Component: 'ci-bootstrap', ManagedBy: 'cdktf' } as const;

export interface BootstrapStackProps {
  readonly config: BootstrapConfig;
  /**
   * Path of the local state file, relative to the synthesized stack directory. The bootstrap stack creates the
   * state bucket, so it cannot keep its own state there.
   * @default 'terraform.tfstate' (inside the stack directory)
   */
  readonly statePath?: string;
}

/** The OIDC `sub` claims GitHub issues for this repository. */
export function subjectsOf(config: Pick<BootstrapConfig, 'githubOrg' | 'githubRepo'>) {
  const repo = `repo:${config.githubOrg}/${config.githubRepo}`;
  return {
    /** Jobs of `pull_request` workflows (without `environment:`). */
    pullRequest: `${repo}:pull_request`,
    /** Jobs on main without `environment:`: the scheduled drift check. */
    main: `${repo}:ref:refs/heads/main`,
    /** Jobs with `environment: <name>`. */
    environment: (name: string) => `${repo}:environment:${name}`,
  };
}

/** Trust policy of a role assumable only through GitHub's OIDC provider, for exactly `subjects`. */
export function githubTrustPolicy(providerArn: string, subjects: readonly string[]): string {
  const statement: Statement = {
    Sid: 'GitHubActions',
    Effect: 'Allow',
    Principal: { Federated: providerArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      // Exact matches (StringEquals), no wildcards: a fork, another branch or another environment gets nothing.
      StringEquals: {
        [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
        [`${GITHUB_OIDC_HOST}:sub`]: [...subjects],
      },
    },
  };
  return policyJson([statement]);
}

export function bootstrapStackName(config: Pick<BootstrapConfig, 'namePrefix'>): string {
  return `${config.namePrefix}-ci-bootstrap`;
}

/**
 * What the pipeline needs before its first run, created once with administrator credentials:
 * the Terraform state bucket (versioned, SSE-KMS with a rotating key, private, TLS only, `prevent_destroy`), the
 * GitHub OIDC provider, a read-only plan role for pull requests and the drift check, and a deploy role for the
 * `dev` and `prod` GitHub environments. State is local (see `statePath`).
 */
export class BootstrapStack extends TerraformStack {
  public readonly stateKey: KmsKey;
  public readonly stateBucket: S3Bucket;
  public readonly stateBucketPolicy: S3BucketPolicy;
  public readonly oidcProvider: IamOpenidConnectProvider;
  public readonly planRole: IamRole;
  public readonly planPolicy: IamRolePolicy;
  public readonly deployRole: IamRole;
  public readonly deployPolicy: IamRolePolicy;
  /** Account singletons (API Gateway logging role setting, AWS Backup region settings) and the hosted zones. */
  public readonly accountSettings: AccountSettings;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const { config } = props;
    const prefix = config.namePrefix;

    // Local state: this stack creates the bucket every other stack keeps its state in.
    new LocalBackend(this, { path: props.statePath ?? 'terraform.tfstate' });

    new AwsProvider(this, 'aws', {
      region: config.region,
      allowedAccountIds: [config.accountId],
      defaultTags: [{ tags: { ...BOOTSTRAP_TAGS } }],
    });

    // --- State bucket ---------------------------------------------------------------------------------------
    this.stateKey = new KmsKey(this, 'state-key', {
      description: `Terraform state in s3://${config.stateBucket}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // IAM policies decide who uses the key (the roles below); the key policy only enables them.
      policy: policyJson([
        {
          Sid: 'EnableIamPolicies',
          Effect: 'Allow',
          Principal: { AWS: accountRootArn(config.accountId) },
          Action: 'kms:*',
          Resource: '*',
        },
      ]),
      // Losing the key loses every state file.
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'state-key-alias', { name: `alias/${prefix}-terraform-state`, targetKeyId: this.stateKey.keyId });

    this.stateBucket = new S3Bucket(this, 'state-bucket', {
      bucket: config.stateBucket,
      forceDestroy: false,
      tags: { Name: config.stateBucket, Purpose: 'terraform-state' },
      lifecycle: { preventDestroy: true },
    });
    const bucket = this.stateBucket;
    const versioning = new S3BucketVersioningA(this, 'state-versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    // The default for objects written without an encryption header. Terraform's S3 backend with `encrypt = true`
    // and no `kms_key_id` sends `AES256` itself (SSE-S3), which wins: see bootstrap/README.md.
    new S3BucketServerSideEncryptionConfigurationA(this, 'state-encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.stateKey.arn }, bucketKeyEnabled: true }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'state-public-access-block', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'state-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    // After the public access block: S3 rejects concurrent conflicting changes to one bucket's access settings.
    this.stateBucketPolicy = new S3BucketPolicy(this, 'state-policy', {
      dependsOn: [publicAccess],
      bucket: bucket.id,
      policy: policyJson([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'DenyOutdatedTls',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
        },
      ]),
    });
    // Old state versions are the way back from a bad apply: kept a year. An empty `filter {}` applies a rule to
    // every object (provider 5.x warns without one).
    new S3BucketLifecycleConfiguration(this, 'state-lifecycle', {
      dependsOn: [versioning],
      bucket: bucket.id,
      rule: [
        { id: 'expire-noncurrent-state-versions', status: 'Enabled', filter: [{}], noncurrentVersionExpiration: [{ noncurrentDays: 365 }] },
        { id: 'abort-incomplete-multipart-uploads', status: 'Enabled', filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
      ],
    });

    // --- GitHub OIDC and the CI roles ----------------------------------------------------------------------
    this.oidcProvider = new IamOpenidConnectProvider(this, 'github-oidc', {
      url: GITHUB_OIDC_URL,
      clientIdList: [STS_AUDIENCE],
      thumbprintList: GITHUB_OIDC_THUMBPRINTS,
      tags: { Name: 'github-actions' },
    });

    const subjects = subjectsOf(config);
    const inputs = {
      accountId: config.accountId,
      namePrefix: prefix,
      stateBucket: config.stateBucket,
      stateKeyArn: this.stateKey.arn,
      deployRegions: config.deployRegions,
    };

    this.planRole = new IamRole(this, 'plan-role', {
      name: `${prefix}-github-plan`,
      path: CI_ROLE_PATH,
      description: `terraform plan from GitHub Actions (${config.githubOrg}/${config.githubRepo}: pull requests, drift check on main); read-only`,
      assumeRolePolicy: githubTrustPolicy(this.oidcProvider.arn, [subjects.pullRequest, subjects.main]),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, 'plan-read-only', { role: this.planRole.name, policyArn: READ_ONLY_ACCESS_ARN });
    this.planPolicy = new IamRolePolicy(this, 'plan-policy', {
      name: 'terraform-plan',
      role: this.planRole.id,
      policy: policyJson(planRoleStatements(inputs)),
    });

    this.deployRole = new IamRole(this, 'deploy-role', {
      name: `${prefix}-github-deploy`,
      path: CI_ROLE_PATH,
      description: `cdktf deploy from GitHub Actions (${config.githubOrg}/${config.githubRepo}: environments ${DEPLOY_ENVIRONMENTS.join(', ')})`,
      assumeRolePolicy: githubTrustPolicy(
        this.oidcProvider.arn,
        DEPLOY_ENVIRONMENTS.map((e) => subjects.environment(e)),
      ),
      maxSessionDuration: DEPLOY_SESSION_SECONDS,
    });
    this.deployPolicy = new IamRolePolicy(this, 'deploy-policy', {
      name: 'cdktf-deploy',
      role: this.deployRole.id,
      policy: policyJson(deployRoleStatements(inputs)),
    });

    // --- Account-level settings the DR stacks share (once per account and deploy region) -----------------
    this.accountSettings = new AccountSettings(this, 'account', {
      accountId: config.accountId,
      namePrefix: prefix,
      regions: config.deployRegions,
      hostedZones: config.hostedZones,
      tags: BOOTSTRAP_TAGS,
    });

    // Named as the GitHub repository variables the workflows read.
    const output = (name: string, value: string, description: string) => new TerraformOutput(this, name, { value, description });
    output('AWS_PLAN_ROLE_ARN', this.planRole.arn, 'Repository variable AWS_PLAN_ROLE_ARN (pull-request plans, drift check)');
    output('AWS_DEPLOY_ROLE_ARN', this.deployRole.arn, 'Repository variable AWS_DEPLOY_ROLE_ARN (deploy workflow)');
    output('TERRAFORM_STATE_BUCKET', bucket.bucket, 'Repository variable TERRAFORM_STATE_BUCKET');
    output('TERRAFORM_STATE_BUCKET_REGION', config.region, 'Repository variable TERRAFORM_STATE_BUCKET_REGION');
    output('state-kms-key-arn', this.stateKey.arn, 'KMS key of the state bucket (kms_key_id for the S3 backend)');
    output('github-oidc-provider-arn', this.oidcProvider.arn, 'IAM OIDC provider of GitHub Actions');
    if (config.hostedZones.length > 0) {
      new TerraformOutput(this, 'hosted-zones', {
        description: 'Per zone: its id (DR config dns.hostedZoneId) and the name servers to add as NS records in the parent domain',
        value: Object.fromEntries(
          Object.entries(this.accountSettings.zones).map(([name, zone]) => [name, { zone_id: zone.zoneId, name_servers: zone.nameServers }]),
        ),
      });
    }
  }
}
