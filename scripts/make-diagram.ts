// `npm run diagram`: synthesizes the default stack and writes docs/architecture.svg from its JSON, then the same
// stack with edge.mode "accelerator" into docs/architecture-accelerator.svg.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSvg } from './diagram';

const root = process.cwd();

function synthesize(outdir: string, config?: object): object {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
  if (config) {
    const file = join(tmpdir(), `diagram-config-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(config));
    env.DR_CONFIG = file;
  }
  const synth = spawnSync(process.execPath, [join(root, 'scripts', 'app.js')], { stdio: 'inherit', env });
  if (synth.status !== 0) process.exit(synth.status ?? 1);
  return JSON.parse(readFileSync(join(outdir, 'stacks', 'payments-dr-dev', 'cdk.tf.json'), 'utf8'));
}

mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'architecture.svg'), renderSvg(synthesize(join(root, 'cdktf.out'))));
console.log('wrote docs/architecture.svg');
writeFileSync(join(root, 'docs', 'architecture-accelerator.svg'), renderSvg(synthesize(join(tmpdir(), `diagram-accelerator-${process.pid}`), { edge: { mode: 'accelerator' } })));
console.log('wrote docs/architecture-accelerator.svg');
