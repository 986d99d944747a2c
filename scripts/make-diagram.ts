// `npm run diagram`: synthesizes the default stack and writes docs/architecture.svg from its JSON.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from './diagram';

const root = process.cwd();
const outdir = join(root, 'cdktf.out');
const synth = spawnSync(process.execPath, [join(root, 'scripts', 'app.js')], { stdio: 'inherit', env: { ...process.env, CDKTF_OUTDIR: outdir } });
if (synth.status !== 0) process.exit(synth.status ?? 1);
const stackJson = JSON.parse(readFileSync(join(outdir, 'stacks', 'payments-dr-dev', 'cdk.tf.json'), 'utf8'));
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'architecture.svg'), renderSvg(stackJson));
console.log('wrote docs/architecture.svg');
