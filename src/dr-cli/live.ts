import {
  errorText,
  fenceFunction,
  functionArn,
  functionConcurrency,
  functionTags,
  GLOBAL_DB_RPO,
  isUnreachable,
  readDesignation,
  resetClusterParameter,
  setClusterParameter,
  setFunctionConcurrency,
  tagFunction,
  untagFunction,
  userClusterParameter,
  writeDesignation,
} from './aws';
import type { Ctx } from './context';
import type { RegionSite, Role, StackOutputs } from './outputs';

/**
 * What an operation sets live because it cannot wait for a deploy: the active-site designation in each region,
 * `rds.global_db_rpo` on the active cluster only, and the payment function's fence (reserved concurrency 0). Each
 * step is idempotent and reads before it writes, so re-running a half-finished operation converges.
 */

/** One live change, as recorded in a command's result. */
export interface LiveStep {
  readonly step: 'designation' | 'global-db-rpo' | 'fence' | 'unfence';
  readonly region: string;
  readonly ok: boolean;
  /** Nothing to do (already in the wanted state) or deliberately not done (see detail). */
  readonly skipped?: boolean;
  /** The region did not answer (as opposed to refusing). */
  readonly unreachable?: boolean;
  readonly detail: string;
}

const failedStep = (step: LiveStep['step'], region: string, what: string, e: unknown): LiveStep => ({
  step,
  region,
  ok: false,
  unreachable: isUnreachable(e),
  detail: `${what} FAILED (${isUnreachable(e) ? 'unreachable: ' : ''}${errorText(e)})`,
});

/** Sets the designation of `site`'s region to `active` (reads first: no write when it already says so). */
export async function setDesignation(ctx: Ctx, site: RegionSite, active: Role): Promise<LiveStep> {
  const ssm = ctx.deps.aws.inRegion(site.region).ssm;
  const name = ctx.outputs.activeSiteParameter;
  try {
    const current = await readDesignation(ssm, name);
    if (current === active) return { step: 'designation', region: site.region, ok: true, skipped: true, detail: `${name} in ${site.region} already "${active}"` };
    await writeDesignation(ssm, name, active);
    return { step: 'designation', region: site.region, ok: true, detail: `${name} in ${site.region}: "${current ?? '(none)'}" → "${active}"` };
  } catch (e) {
    return failedStep('designation', site.region, `setting ${name} in ${site.region} to "${active}"`, e);
  }
}

/** The tag that records the reserved concurrency a function had before the CLI fenced it. */
export const PRE_FENCE_TAG = 'dr-cli:pre-fence-reserved-concurrency';

/** Tag value → reserved concurrency (null: none reserved); undefined when the text is not one we wrote. */
export function parsePreFence(text: string | undefined): number | null | undefined {
  if (text === 'none') return null;
  if (text !== undefined && /^\d+$/.test(text)) return Number(text);
  return undefined;
}

/**
 * Fences `site`'s payment function (reserved concurrency 0). The value before the fence is written to a tag on the
 * function first, and an existing tag is never overwritten: a re-run, which reads the fenced 0, still knows what to
 * restore.
 */
export async function fenceSite(ctx: Ctx, site: RegionSite): Promise<LiveStep & { readonly previous?: number | null }> {
  const lambda = ctx.deps.aws.inRegion(site.region).lambda;
  const arn = functionArn(site.region, site.accountId, site.paymentFunction);
  try {
    const tags = await functionTags(lambda, arn);
    let previous = parsePreFence(tags[PRE_FENCE_TAG]);
    let recorded = previous !== undefined;
    if (!recorded) {
      const current = await functionConcurrency(lambda, site.paymentFunction);
      if (current === 0) {
        previous = undefined; // fenced before, without a record: do not record 0 as "previous"
      } else {
        previous = current;
        await tagFunction(lambda, arn, { [PRE_FENCE_TAG]: current === null ? 'none' : String(current) });
        recorded = true;
      }
    }
    await fenceFunction(lambda, site.paymentFunction);
    const before = previous === undefined ? 'unknown (already 0, no record)' : previous === null ? 'unreserved' : String(previous);
    return {
      step: 'fence',
      region: site.region,
      ok: true,
      previous,
      detail: `${site.paymentFunction} in ${site.region}: reserved concurrency 0 (before: ${before}${recorded ? `, recorded in tag ${PRE_FENCE_TAG}` : ''})`,
    };
  } catch (e) {
    return failedStep('fence', site.region, `fencing ${site.paymentFunction} in ${site.region}`, e);
  }
}

/** The command that lifts a fence by hand, with the recorded value when there is one. */
export function unfenceCommand(site: RegionSite, previous: number | null | undefined): string {
  if (previous === undefined) {
    return `aws lambda put-function-concurrency --region ${site.region} --function-name ${site.paymentFunction} --reserved-concurrent-executions <api.paymentConcurrency of the config>`;
  }
  return previous === null
    ? `aws lambda delete-function-concurrency --region ${site.region} --function-name ${site.paymentFunction}`
    : `aws lambda put-function-concurrency --region ${site.region} --function-name ${site.paymentFunction} --reserved-concurrent-executions ${previous}`;
}

/**
 * Lifts a fence: restores the recorded reserved concurrency and removes the record. Without a record, a function
 * at 0 gets `fallback` when given, else the step fails naming the command to run.
 */
export async function unfenceSite(ctx: Ctx, site: RegionSite, fallback?: number): Promise<LiveStep> {
  const lambda = ctx.deps.aws.inRegion(site.region).lambda;
  const arn = functionArn(site.region, site.accountId, site.paymentFunction);
  try {
    const tags = await functionTags(lambda, arn);
    const previous = parsePreFence(tags[PRE_FENCE_TAG]);
    if (previous === undefined) {
      const current = await functionConcurrency(lambda, site.paymentFunction);
      if (current !== 0) {
        return { step: 'unfence', region: site.region, ok: true, skipped: true, detail: `${site.paymentFunction} in ${site.region} is not fenced (reserved concurrency ${current ?? 'unreserved'})` };
      }
      if (fallback === undefined) {
        return {
          step: 'unfence',
          region: site.region,
          ok: false,
          detail:
            `${site.paymentFunction} in ${site.region} is fenced (reserved concurrency 0) and no value before the fence was recorded; ` +
            `re-run with --restore-concurrency <api.paymentConcurrency> or run: ${unfenceCommand(site, undefined)}`,
        };
      }
      await setFunctionConcurrency(lambda, site.paymentFunction, fallback);
      return { step: 'unfence', region: site.region, ok: true, detail: `${site.paymentFunction} in ${site.region}: reserved concurrency 0 → ${fallback} (--restore-concurrency)` };
    }
    await setFunctionConcurrency(lambda, site.paymentFunction, previous);
    if (tags[PRE_FENCE_TAG] !== undefined) await untagFunction(lambda, arn, [PRE_FENCE_TAG]);
    return {
      step: 'unfence',
      region: site.region,
      ok: true,
      detail: `${site.paymentFunction} in ${site.region}: reserved concurrency 0 → ${previous ?? 'unreserved'} (recorded before the fence)`,
    };
  } catch (e) {
    return failedStep('unfence', site.region, `lifting the fence of ${site.paymentFunction} in ${site.region}`, e);
  }
}

/** Whether `site`'s payment function is fenced: the record tag exists, or its reserved concurrency is 0. */
export async function fenceState(ctx: Ctx, site: RegionSite): Promise<{ fenced: boolean; previous?: number | null }> {
  const lambda = ctx.deps.aws.inRegion(site.region).lambda;
  const tags = await functionTags(lambda, functionArn(site.region, site.accountId, site.paymentFunction));
  if (tags[PRE_FENCE_TAG] !== undefined) return { fenced: true, previous: parsePreFence(tags[PRE_FENCE_TAG]) };
  return { fenced: (await functionConcurrency(lambda, site.paymentFunction)) === 0 };
}

export interface RpoPlan {
  /** Set the value on the new active cluster's group now (false: deferred, see `deferReason`). */
  readonly setOnActive: boolean;
  readonly deferReason?: string;
  /** A failure to read or reset the passive group is recorded as best effort (failover: the region may be down). */
  readonly passiveBestEffort: boolean;
  /** --global-db-rpo: the value when neither group holds one. */
  readonly fallbackSeconds?: number;
}

/**
 * Moves `rds.global_db_rpo` to the active cluster's parameter group and resets it on the passive one. Aurora
 * blocks commits on the primary while every secondary lags more than the RPO (Aurora User Guide, "Managing RPOs for
 * Aurora PostgreSQL–based global databases"); with two regions the secondary's group keeps the default, and the
 * new primary gets the value only once the other cluster replicates again (AWS-NOTES; issue 13): set on a promoted
 * cluster whose only secondary is down, it would pause every payment write.
 *
 * The value moves with the role: read from the passive (old active) group, else the active group's own, else
 * `fallbackSeconds`.
 */
export async function moveGlobalDbRpo(ctx: Ctx, active: RegionSite, passive: RegionSite, plan: RpoPlan): Promise<LiveStep[]> {
  const rdsOf = (s: RegionSite) => ctx.deps.aws.inRegion(s.region).rds;
  const steps: LiveStep[] = [];
  let fromPassive: string | null = null;
  let passiveStep: LiveStep;
  try {
    fromPassive = await userClusterParameter(rdsOf(passive), passive.clusterParameterGroup, GLOBAL_DB_RPO);
    if (fromPassive === null) {
      passiveStep = { step: 'global-db-rpo', region: passive.region, ok: true, skipped: true, detail: `${GLOBAL_DB_RPO} on ${passive.clusterParameterGroup} (${passive.region}) already at the default` };
    } else {
      await resetClusterParameter(rdsOf(passive), passive.clusterParameterGroup, GLOBAL_DB_RPO);
      passiveStep = { step: 'global-db-rpo', region: passive.region, ok: true, detail: `${GLOBAL_DB_RPO} on ${passive.clusterParameterGroup} (${passive.region}): ${fromPassive} → default (reset)` };
    }
  } catch (e) {
    const f = failedStep('global-db-rpo', passive.region, `resetting ${GLOBAL_DB_RPO} on ${passive.clusterParameterGroup} (${passive.region})`, e);
    passiveStep = plan.passiveBestEffort ? { ...f, detail: `${f.detail}; best effort: it matters only if that cluster writes again, re-run to retry` } : f;
  }
  steps.push(passiveStep);

  const groupName = `${active.clusterParameterGroup} (${active.region})`;
  try {
    const current = await userClusterParameter(rdsOf(active), active.clusterParameterGroup, GLOBAL_DB_RPO);
    if (!plan.setOnActive) {
      steps.push({
        step: 'global-db-rpo',
        region: active.region,
        ok: true,
        skipped: true,
        detail: `${GLOBAL_DB_RPO} on ${groupName} NOT set yet (${current === null ? 'default' : current}): ${plan.deferReason ?? 'deferred'}`,
      });
      return steps;
    }
    const wanted = fromPassive ?? current ?? (plan.fallbackSeconds === undefined ? null : String(plan.fallbackSeconds));
    if (wanted === null) {
      steps.push({
        step: 'global-db-rpo',
        region: active.region,
        ok: false,
        detail: `${GLOBAL_DB_RPO}: no value found on either parameter group; re-run with --global-db-rpo <objectives.rpoSeconds>`,
      });
    } else if (current === wanted) {
      steps.push({ step: 'global-db-rpo', region: active.region, ok: true, skipped: true, detail: `${GLOBAL_DB_RPO} on ${groupName} already ${wanted}` });
    } else {
      await setClusterParameter(rdsOf(active), active.clusterParameterGroup, GLOBAL_DB_RPO, wanted);
      steps.push({ step: 'global-db-rpo', region: active.region, ok: true, detail: `${GLOBAL_DB_RPO} on ${groupName}: ${current ?? 'default'} → ${wanted}` });
    }
  } catch (e) {
    steps.push(failedStep('global-db-rpo', active.region, `setting ${GLOBAL_DB_RPO} on ${groupName}`, e));
  }
  return steps;
}

/** The config change that makes the next deploy agree with what was set live. */
export function configChange(o: StackOutputs, active: Role, configFile: string | undefined): { needed: boolean; text: string } {
  const file = configFile ?? 'the environment\'s config file (DR_CONFIG, e.g. config/prod.json)';
  if (o.activeRegion === active) {
    return { needed: false, text: `Config: no change needed; the deployed config already says "activeRegion": "${active}" (${file}).` };
  }
  return {
    needed: true,
    text:
      `Commit this config change (${file}), so the next deploy agrees with what was set live — \`npm run dr -- preflight\` refuses any deploy until it does:\n` +
      `  -  "activeRegion": "${o.activeRegion}",\n` +
      `  +  "activeRegion": "${active}",`,
  };
}

export const renderSteps = (steps: readonly LiveStep[]): string[] =>
  steps.map((s) => `  ${s.ok ? (s.skipped ? '=' : '✓') : '✗'} ${s.step}: ${s.detail}`);
