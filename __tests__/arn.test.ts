/**
 * One ARN helper (src/arn.ts): the shapes it builds, and a scan of src/ and bootstrap/ that fails when an ARN is
 * spelled anywhere else (a template or concatenation containing `arn:`, or a full ARN literal). scripts/ is not
 * scanned: scripts/upgrade/placeholders.ts imitates the ARNs AWS returns for attributes unknown at plan time.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as ts from 'typescript';
import {
  accountRootArn,
  arn,
  awsManagedPolicyArn,
  dynamodbTableArn,
  ec2Arn,
  rdsGlobalClusterArn,
  s3BucketArn,
  secretArnPattern,
  ssmParameterArn,
  stepFunctionsIntegrationArn,
} from '../src/arn';

const ROOT = join(__dirname, '..');
const scope = { region: 'us-west-2', accountId: '123456789012' };

describe('ARN shapes', () => {
  test('regional, global and AWS-owned resources', () => {
    expect(arn({ service: 'sqs', region: 'us-east-1', account: '123456789012', resource: 'q' })).toBe('arn:aws:sqs:us-east-1:123456789012:q');
    expect(dynamodbTableArn(scope, 'pay-dev-sessions')).toBe('arn:aws:dynamodb:us-west-2:123456789012:table/pay-dev-sessions');
    expect(accountRootArn('123456789012')).toBe('arn:aws:iam::123456789012:root');
    expect(awsManagedPolicyArn('ReadOnlyAccess')).toBe('arn:aws:iam::aws:policy/ReadOnlyAccess');
    expect(rdsGlobalClusterArn('123456789012', 'g')).toBe('arn:aws:rds::123456789012:global-cluster:g');
    expect(s3BucketArn('b')).toBe('arn:aws:s3:::b');
    expect(stepFunctionsIntegrationArn('lambda:invoke')).toBe('arn:aws:states:::lambda:invoke');
    expect(ec2Arn(scope, 'prefix-list/*', '*')).toBe('arn:aws:ec2:us-west-2:*:prefix-list/*');
  });

  test('a secret by name matches its six-character suffix, not a longer name', () => {
    const pattern = secretArnPattern(scope, 'pay-dev-aurora-master');
    expect(pattern).toBe('arn:aws:secretsmanager:us-west-2:123456789012:secret:pay-dev-aurora-master-??????');
    const re = new RegExp(`^${pattern.replace(/[.*+^${}()|[\]\\]/g, '\\$&').replace(/\?/g, '.')}$`);
    expect(re.test('arn:aws:secretsmanager:us-west-2:123456789012:secret:pay-dev-aurora-master-AbCdEf')).toBe(true);
    expect(re.test('arn:aws:secretsmanager:us-west-2:123456789012:secret:pay-dev-aurora-master-old-AbCdEf')).toBe(false);
  });

  test('SSM parameter names keep (or get) their leading slash', () => {
    expect(ssmParameterArn(scope, '/pay/dev/*')).toBe('arn:aws:ssm:us-west-2:123456789012:parameter/pay/dev/*');
    expect(ssmParameterArn(scope, 'plain')).toBe('arn:aws:ssm:us-west-2:123456789012:parameter/plain');
  });
});

/** Where an ARN is hand-built or hand-written in one source file. */
function handBuiltArns(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (n: ts.Node, what: string) => found.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${what}`);
  const visit = (n: ts.Node): void => {
    if (ts.isTemplateExpression(n)) {
      const literal = [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join('${…}');
      if (literal.includes('arn:')) at(n, `template \`${literal}\``);
    } else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      for (const side of [n.left, n.right]) {
        if ((ts.isStringLiteral(side) || ts.isNoSubstitutionTemplateLiteral(side)) && side.text.includes('arn:')) at(n, `concatenation with '${side.text}'`);
      }
    } else if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && /^arn:[^:]*:[a-z0-9-]+:/.test(n.text)) {
      // A full ARN (with a service): a prefix such as 'arn:aws:' used to match or normalize is no ARN.
      at(n, `literal '${n.text}'`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * Files that may spell ARNs, with the reason. Nothing else may.
 */
const ALLOWED_FILES: Record<string, string> = {
  'src/arn.ts': 'the helper itself',
  // Placeholder values of resource attributes, shaped like the ARNs AWS returns, for matching policy resources
  // against the Service Authorization Reference's formats: recognizers, not ARNs the stack uses.
  'src/guardrails/iam-data.ts': 'sample attribute values for the IAM resource-format check',
};

describe('no ARN is spelled outside src/arn.ts (src/ and bootstrap/)', () => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'bootstrap'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));

  test('src/ and bootstrap/ build ARNs only through the helper', () => {
    expect(files).toEqual(expect.arrayContaining(['src/arn.ts', 'src/dr-stack.ts', 'src/tiers/application-tier.ts', 'bootstrap/permissions.ts']));
    const offenders = files
      .filter((f) => !(f in ALLOWED_FILES))
      .flatMap((f) => handBuiltArns(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('the scan finds templates, concatenations and literals (it can fail)', () => {
    const code = [
      'const a = `arn:aws:sqs:${region}:${account}:q`;',
      "const b = 'arn:aws:s3:::' + bucket;",
      "const c = 'arn:aws:iam::aws:policy/ReadOnlyAccess';",
      "const ok = value.replace(/^arn:aws[a-z-]*:/, 'arn:aws:');",
      'const alsoOk = { arn: queue.arn };',
    ].join('\n');
    expect(handBuiltArns('x.ts', code).map((h) => h.replace(/^x\.ts:\d+: /, ''))).toEqual([
      'template `arn:aws:sqs:${…}:${…}:q`',
      "concatenation with 'arn:aws:s3:::'",
      "literal 'arn:aws:s3:::'",
      "literal 'arn:aws:iam::aws:policy/ReadOnlyAccess'",
    ]);
  });
});
