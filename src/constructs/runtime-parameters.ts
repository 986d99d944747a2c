import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Construct } from 'constructs';
import { PolicyStatement, allow } from '../iam';
import { RegionContext } from '../region';
import { ssmParameterArn } from '../arn';
import { configPath } from '../../lambdas/shared/parameter-names';

export interface RuntimeParametersProps {
  readonly ctx: RegionContext;
  /**
   * Non-secret runtime configuration, by parameter name (letters, digits, `-`, `_`, `.`): build it with
   * `configParameterValues` (lambdas/shared/parameter-names.ts) so the names are the ones the Lambdas read.
   * Secrets never go here: the Lambdas read them from Secrets Manager.
   */
  readonly values: Readonly<Record<string, string>>;
}

/**
 * The runtime configuration the Lambdas of one region read at cold start, under
 * `/<prefix>/<suffix>/<name>` in that region's Parameter Store. Written in both regions, each with its own
 * region's endpoints and role, so a Lambda never reads configuration across regions.
 */
export class RuntimeParameters extends Construct {
  /** The common path of every parameter, e.g. `/pay/dev/` (for IAM `ssm:GetParametersByPath`). */
  public readonly path: string;
  public readonly parameters: Record<string, SsmParameter> = {};

  constructor(scope: Construct, id: string, props: RuntimeParametersProps) {
    super(scope, id);
    const { ctx } = props;
    this.path = configPath(ctx.naming);
    this.arnPattern = ssmParameterArn(ctx, `${this.path}*`);
    for (const [name, value] of Object.entries(props.values)) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        throw new Error(`RuntimeParameters: parameter name "${name}" may contain only letters, digits, "-", "_" and "."`);
      }
      this.parameters[name] = new SsmParameter(this, name, {
        provider: ctx.provider,
        name: `${this.path}${name}`,
        type: 'String',
        value,
        description: `Runtime configuration for the ${ctx.role} region (${ctx.region}); managed by cdktf`,
      });
    }
  }

  /** ARN pattern covering every parameter of this construct, for least-privilege read policies. */
  public readonly arnPattern: string;

  /**
   * Lets a function of this region read the whole configuration the way lambdas/shared/config.ts does, with
   * `ssm:GetParametersByPath` (and nothing else): on the path itself (`parameter/<prefix>/<suffix>`, what
   * GetParametersByPath is authorized against) and on every parameter under it.
   */
  grantRead(sid = 'RuntimeConfiguration'): PolicyStatement {
    return allow(sid, ['ssm:GetParametersByPath'], [this.arnPattern, this.arnPattern.replace(/\/\*$/, '')]);
  }
}
