import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as describeDiagram, renderSvg } from '../scripts/diagram';
import { synthDrStack } from './support/synth';

const dnsStack = synthDrStack();

describe('architecture diagram', () => {
  const { synth } = dnsStack;

  test('shows both regions, the failover name and every replication link the stack declares', () => {
    const d = describeDiagram(synth.json);
    expect(d.regions).toEqual({ primary: 'us-east-1', dr: 'us-west-2' });
    expect(d.dns).toBe('Route 53 failover: api-dev.payments.example.com (PRIMARY → us-east-1, SECONDARY → us-west-2)');
    expect(d.links.map((l) => l.from)).toEqual(['vpc', 'aurora', 'dynamodb', 's3', 'backup', 'kms']);
    expect(d.boxes.dr.find((b) => b.id === 'aurora')!.detail).toBe('secondary (read-only until promoted)');
    expect(d.boxes.primary.map((b) => b.id)).toEqual(d.boxes.dr.map((b) => b.id));
  });

  test('a link disappears when the stack loses it', () => {
    const json = JSON.parse(JSON.stringify(synth.json));
    delete json.resource.aws_s3_bucket_replication_configuration;
    expect(describeDiagram(json).links.map((l) => l.from)).not.toContain('s3');
  });

  test('docs/architecture.svg is up to date with the stack (regenerate with `npm run diagram`)', () => {
    const committed = readFileSync(join(__dirname, '..', 'docs', 'architecture.svg'), 'utf8');
    expect(committed).toBe(renderSvg(synth.json));
  });
});

describe('architecture diagram, accelerator edge', () => {
  const { synth } = synthDrStack({ edge: { mode: 'accelerator' } });

  test('shows the accelerator with its dials and an ALB row in each region; the dns diagram has neither', () => {
    const d = describeDiagram(synth.json);
    expect(d.dns).toBe('Global Accelerator (static IPs): api-dev.payments.example.com (dials us-east-1 100 %, us-west-2 0 %)');
    expect(d.rows).toEqual(['api', 'alb', 'lambda', 'vpc', 'aurora', 'dynamodb', 's3', 'backup', 'kms']);
    expect(d.boxes.dr.find((b) => b.id === 'alb')!.label).toBe('ALB (internal, Global Accelerator endpoint)');
    expect(describeDiagram(dnsStack.synth.json).rows).not.toContain('alb');
  });

  test('docs/architecture-accelerator.svg is up to date with the stack (regenerate with `npm run diagram`)', () => {
    const committed = readFileSync(join(__dirname, '..', 'docs', 'architecture-accelerator.svg'), 'utf8');
    expect(committed).toBe(renderSvg(synth.json));
  });
});
