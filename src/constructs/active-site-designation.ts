import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Construct } from 'constructs';
import { PolicyStatement, allow } from '../iam';
import { PerRegion, RegionContext, RegionRole } from '../region';
import { ssmParameterArn } from '../arn';
import { controlParameters, controlPath } from '../../lambdas/shared/parameter-names';

/** `primary` and `dr`: the two sites; the parameter exists in each one's region. */
export interface ActiveSiteDesignationProps extends PerRegion<RegionContext> {
  /** The site that is active (`config.activeRegion`): the value written in both regions. */
  readonly active: RegionRole;
}

/**
 * The active-site designation: in **each** region, an SSM `String` parameter
 * `/<prefix>/<suffix>-control/active-site` whose value is `primary` or `dr`, the site that is active.
 *
 * It is the passive site's second fence (the first is its read-only database): the Lambdas of a region read
 * only their own region's parameter (no cross-region call, so it works while the other region is down) and a
 * site whose designation is not itself refuses payment writes and answers `/health` 503. The DR CLI sets it live
 * during a switchover, failover or failback, in the surviving region first; the config change it prints
 * (`activeRegion`) makes the next deploy write the same value (`npm run dr -- preflight` refuses a deploy while
 * they differ).
 *
 * The path is outside the runtime configuration's `/<prefix>/<suffix>/`, so the Lambdas' cold-start read of
 * their configuration never caches it.
 */
export class ActiveSiteDesignation extends Construct {
  /** The parameter name, the same in both regions (the `active-site-parameter-name` output). */
  public readonly parameterName: string;
  public readonly parameters: PerRegion<SsmParameter>;
  /** The parameter's ARN in each site's region. */
  public readonly arns: PerRegion<string>;
  public readonly active: RegionRole;

  constructor(scope: Construct, id: string, props: ActiveSiteDesignationProps) {
    super(scope, id);
    const { primary, dr } = props;
    if (props.active !== 'primary' && props.active !== 'dr') {
      throw new Error(`ActiveSiteDesignation: active must be 'primary' or 'dr' (config activeRegion), got '${String(props.active)}'`);
    }
    if (primary.naming !== dr.naming && (primary.naming.prefix !== dr.naming.prefix || primary.naming.suffix !== dr.naming.suffix)) {
      throw new Error('ActiveSiteDesignation: primary and dr contexts must share one naming (the parameter has the same name in both regions)');
    }
    this.active = props.active;
    this.parameterName = controlParameters(controlPath(primary.naming)).activeSite;
    const parameter = (ctx: RegionContext) =>
      new SsmParameter(this, ctx.role, {
        provider: ctx.provider,
        name: this.parameterName,
        type: 'String',
        value: props.active,
        description: `Active site of the payments platform (primary = ${primary.region}, dr = ${dr.region}); set live by the DR CLI, written from config activeRegion at deploy`,
      });
    this.parameters = { primary: parameter(primary), dr: parameter(dr) };
    this.arns = { primary: ssmParameterArn(primary, this.parameterName), dr: ssmParameterArn(dr, this.parameterName) };
  }

  /**
   * Lets a function of one site read that site's copy (`ssm:GetParameter` on exactly this parameter, never the other
   * region's: the fence must work while the other region is down).
   */
  grantRead(role: RegionRole, sid = 'ActiveSiteDesignation'): PolicyStatement {
    return allow(sid, ['ssm:GetParameter'], [this.arns[role]]);
  }
}
