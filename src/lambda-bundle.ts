import { buildSync } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest directory above this file with a cdktf.json (works from src/ and dist/). */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'cdktf.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no cdktf.json above ${from}`);
    dir = up;
  }
  return dir;
}

export interface BundleOptions {
  /** Directory holding `<name>/index.ts`. @default the repo's lambdas/ */
  readonly sourceDir?: string;
  /** Where bundles are written (one directory per function). @default dist/lambda-bundles */
  readonly outDir?: string;
}

/**
 * Bundles one handler with esbuild into `<outDir>/<name>/index.js` and returns that directory (the content of
 * the zip asset). Minified, Node.js 22, and the AWS SDK v3 left out: the Lambda runtime provides it.
 */
export function bundleLambda(name: string, options: BundleOptions = {}): string {
  const sourceDir = options.sourceDir ?? process.env.LAMBDAS_SOURCE_DIR ?? join(projectRoot(), 'lambdas');
  const entry = join(sourceDir, name, 'index.ts');
  if (!existsSync(entry)) throw new Error(`Lambda '${name}': no handler at ${entry}`);
  const outDir = join(options.outDir ?? join(projectRoot(), 'dist', 'lambda-bundles'), name);
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [entry],
    outfile: join(outDir, 'index.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outDir;
}
