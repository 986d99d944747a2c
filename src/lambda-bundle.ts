import { type BuildOptions, buildSync, version as esbuildVersion } from 'esbuild';
import { zipSync } from 'fflate';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** The repository root: the nearest directory above this file with a cdktf.json (works from src/ and .cache/run/). */
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
  /** Directory holding `<name>/index.ts` and `shared/`. @default the repo's lambdas/ (or LAMBDAS_SOURCE_DIR) */
  readonly sourceDir?: string;
  /** Where bundles are written. @default .cache/lambda-bundles */
  readonly outDir?: string;
}

export interface LambdaBundle {
  /** The deterministic zip (one `index.js`), ready for a `TerraformAsset` of type FILE. */
  readonly zipPath: string;
  /** The bundled JavaScript, for size checks. */
  readonly jsPath: string;
  /** Hash of everything the bundle is built from. */
  readonly sourceHash: string;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Packages left out of every bundle: provided at run time by the Lambda runtime and the Powertools layer. */
export const BUNDLE_EXTERNALS = ['@aws-sdk/*', '@aws-lambda-powertools/*'];

const BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // The Lambda runtime provides AWS SDK v3; the Powertools layer every function carries provides Powertools.
  external: BUNDLE_EXTERNALS,
  // Bundled although it is under @aws-sdk/: the SigV4a signer that EventBridge global endpoints require is not
  // something the runtime promises (lambdas/shared/global-endpoint.ts). The alias bypasses the external pattern
  // (it names the implementation the package re-exports), and `module` first picks the packages' ES builds, which
  // tree-shake to ~45 KB where the CommonJS builds pull in all of @smithy/core (~180 KB). Existing bundles are
  // byte-identical either way (measured).
  alias: { '@aws-sdk/signature-v4a': '@smithy/signature-v4a' },
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Zip entries carry this fixed time so the same code always gives the same zip (and asset hash). */
const ZIP_MTIME = new Date('1980-01-01T00:00:00Z');

/**
 * Bundles one handler with esbuild into `index.js` (minified, Node.js 22, AWS SDK v3 and Powertools left out:
 * the Lambda runtime and the Powertools layer provide them) and zips it deterministically.
 *
 * The bundle is rebuilt only when its inputs change (the handler's folder, `lambdas/shared`, the lockfile and
 * the esbuild version): synth stays free of child processes on the common path. cdktf's own ARCHIVE assets
 * zip by spawning a second node process per asset, which is why the zip is made here.
 */
export function bundleLambda(name: string, options: BundleOptions = {}): LambdaBundle {
  const root = projectRoot();
  const sourceDir = options.sourceDir ?? process.env.LAMBDAS_SOURCE_DIR ?? join(root, 'lambdas');
  const entry = join(sourceDir, name, 'index.ts');
  if (!existsSync(entry)) throw new Error(`Lambda '${name}': no handler at ${entry}`);
  const outDir = options.outDir ?? join(root, '.cache', 'lambda-bundles');
  const jsDir = join(outDir, name);
  const jsPath = join(jsDir, 'index.js');
  const zipPath = join(outDir, `${name}.zip`);
  const hashPath = join(outDir, `${name}.source-hash`);

  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n${JSON.stringify(BUILD_OPTIONS)}\n`);
  // lambdas/tsconfig.json shapes the output too (experimentalDecorators: Powertools' handler decorators).
  const tsconfig = join(sourceDir, 'tsconfig.json');
  const inputs = [...filesUnder(join(sourceDir, name)), ...filesUnder(join(sourceDir, 'shared')), tsconfig, join(root, 'package-lock.json')];
  for (const file of inputs.filter(existsSync).sort()) {
    hash.update(`${relative(root, file)}\n`).update(readFileSync(file));
  }
  const sourceHash = hash.digest('hex');
  if (existsSync(zipPath) && existsSync(hashPath) && readFileSync(hashPath, 'utf8') === sourceHash && statSync(zipPath).size > 0) {
    return { zipPath, jsPath, sourceHash };
  }

  mkdirSync(jsDir, { recursive: true });
  buildSync({ entryPoints: [entry], outfile: jsPath, tsconfig, ...BUILD_OPTIONS });
  writeFileSync(zipPath, zipSync({ 'index.js': [readFileSync(jsPath), { mtime: ZIP_MTIME }] }, { level: 9 }));
  writeFileSync(hashPath, sourceHash);
  return { zipPath, jsPath, sourceHash };
}
