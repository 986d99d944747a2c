import { lambdaLayerVersionArn } from './arn';

/**
 * The Powertools for AWS Lambda (TypeScript) Lambda layer every function carries. The bundles leave
 * `@aws-lambda-powertools/*` out (see lambda-bundle.ts); the layer provides them at /opt/nodejs/node_modules,
 * which Lambda puts on NODE_PATH.
 *
 * The layer version must be the one built from the exact Powertools version in package.json (Powertools:
 * "keep your local development dependencies in sync with the Lambda Layer version"), so tests run the same
 * code as Lambda. Version 50 is 2.35.0: the Powertools docs' layer table moved from 49 to 50 in the commit
 * released with 2.35.0 (aws-powertools/powertools-lambda-typescript #5563 → #5565, 2026-08-18); the layer is
 * built for nodejs22.x/nodejs24.x on arm64 and x86_64. A test fails when package.json moves without this, and
 * the PR workflow reads each layer's description from AWS (`npm run verify:layers`) to confirm the number.
 */
export const POWERTOOLS_LAYER = {
  /** The npm version of every `@aws-lambda-powertools/*` package the handlers use. */
  packageVersion: '2.35.0',
  layerVersion: 50,
  /** AWS's Powertools publishing account in the commercial partition. */
  publisherAccount: '094274105915',
  layerName: 'AWSLambdaPowertoolsTypeScriptV2',
  /** Regions where this layer version is not published (new versions paused there, per the Powertools docs). */
  unpublishedRegions: ['me-south-1', 'me-central-1'] as readonly string[],
} as const;

/** The layer version ARN for a commercial region; throws where the pinned version is not published. */
export function powertoolsLayerArn(region: string): string {
  const problem = powertoolsLayerProblem(region);
  if (problem) throw new Error(problem);
  const { publisherAccount, layerName, layerVersion } = POWERTOOLS_LAYER;
  return lambdaLayerVersionArn(region, publisherAccount, layerName, layerVersion);
}

/** Why the layer cannot be used in `region`, or undefined when it can (config validation names the field). */
export function powertoolsLayerProblem(region: string): string | undefined {
  if (!POWERTOOLS_LAYER.unpublishedRegions.includes(region)) return undefined;
  return (
    `the Powertools Lambda layer ${POWERTOOLS_LAYER.layerVersion} (Powertools ${POWERTOOLS_LAYER.packageVersion}) is not published in ${region} ` +
    `(new layer versions are paused there); choose another region`
  );
}
