/**
 * `npm run verify:layers -- <cdk.tf.json>`: checks, with AWS credentials (the PR workflow's read-only plan role),
 * that every Lambda layer of the synthesized stack is the Powertools version the handlers were tested with.
 *
 * Why: the layer version number (src/powertools-layer.ts) is taken from the Powertools documentation, which
 * cannot be checked offline. `GetLayerVersionByArn` returns the layer's description, which Powertools writes
 * as "Powertools for AWS Lambda (TypeScript) version <npm version>". Exit 0 when every layer matches, 1 when
 * one does not or cannot be read, 2 on bad usage.
 */
import { GetLayerVersionByArnCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { readFileSync } from 'node:fs';
import { POWERTOOLS_LAYER } from '../src/powertools-layer';

type Json = Record<string, any>;

export interface LayerUse {
  readonly arn: string;
  /** The region in the ARN: the layer is read there. */
  readonly region: string;
  /** `aws_lambda_function.<name>` using it. */
  readonly functions: string[];
}

/** The literal layer ARNs of a synthesized stack (layers this stack publishes are references, not checked). */
export function layersOf(stack: Json): LayerUse[] {
  const byArn = new Map<string, LayerUse>();
  for (const [name, fn] of Object.entries((stack.resource?.aws_lambda_function ?? {}) as Record<string, Json>)) {
    for (const arn of (fn.layers ?? []) as string[]) {
      const m = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:layer:/.exec(arn);
      if (!m) continue;
      const use = byArn.get(arn) ?? { arn, region: m[1], functions: [] };
      use.functions.push(`aws_lambda_function.${name}`);
      byArn.set(arn, use);
    }
  }
  return [...byArn.values()];
}

/** Problems with the layers, one line each; empty when every one is the pinned Powertools version. */
export async function verifyLayers(
  uses: readonly LayerUse[],
  clientFor: (region: string) => LambdaClient = (region) => new LambdaClient({ region }),
): Promise<string[]> {
  const expected = `version ${POWERTOOLS_LAYER.packageVersion}`;
  const problems: string[] = [];
  for (const use of uses) {
    try {
      const layer = await clientFor(use.region).send(new GetLayerVersionByArnCommand({ Arn: use.arn }));
      const description = layer.Description ?? '';
      if (!description.endsWith(expected)) {
        problems.push(
          `${use.arn} (used by ${use.functions.join(', ')}) is "${description}", expected Powertools ${POWERTOOLS_LAYER.packageVersion}: ` +
            'fix POWERTOOLS_LAYER.layerVersion in src/powertools-layer.ts',
        );
      }
      if (!(layer.CompatibleArchitectures ?? ['arm64']).includes('arm64') || !(layer.CompatibleRuntimes ?? ['nodejs22.x']).includes('nodejs22.x')) {
        problems.push(`${use.arn} is not built for arm64 / nodejs22.x (${JSON.stringify(layer.CompatibleArchitectures)} ${JSON.stringify(layer.CompatibleRuntimes)})`);
      }
    } catch (err) {
      problems.push(`${use.arn} (used by ${use.functions.join(', ')}) cannot be read: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** The CLI (`npm run verify:layers`): prints one line per layer, the problems on stderr; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [file] = argv;
  if (!file || argv.length !== 1) {
    console.error('usage: npm run verify:layers -- <path to cdk.tf.json>');
    return 2;
  }
  const uses = layersOf(JSON.parse(readFileSync(file, 'utf8')) as Json);
  const problems = await verifyLayers(uses);
  for (const use of uses) console.log(`${problems.some((p) => p.startsWith(use.arn)) ? 'FAIL' : 'ok  '} ${use.arn}`);
  for (const p of problems) console.error(p);
  return problems.length > 0 ? 1 : 0;
}
