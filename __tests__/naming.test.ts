import { MAX_PREFIX_LENGTH, MAX_SUFFIX_LENGTH } from '../src/config';
import { Naming } from '../src/naming';
import { AWS_REGIONS, regionCode } from '../src/aws-regions';

describe('Naming', () => {
  const naming = new Naming('pay', 'dev', '123456789012');

  test.each([
    ['us-east-1', 'use1'],
    ['us-west-2', 'usw2'],
    ['ap-southeast-2', 'apse2'],
    ['eu-central-1', 'euc1'],
    ['ap-northeast-3', 'apne3'],
  ])('region code of %s is %s', (region, code) => {
    expect(regionCode(region)).toBe(code);
  });

  test('regional and global names', () => {
    expect(naming.name('iamRole', 'flow-logs', 'us-east-1')).toBe('pay-dev-use1-flow-logs');
    expect(naming.name('generic', 'logs')).toBe('pay-dev-logs');
    expect(naming.bucket('artifacts', 'us-west-2')).toBe('pay-dev-artifacts-123456789012-usw2');
  });

  test('the longest allowed prefix and suffix still fit every name the stack builds, in every region', () => {
    const longest = new Naming('a'.repeat(MAX_PREFIX_LENGTH), `a${'-b'.repeat((MAX_SUFFIX_LENGTH - 1) / 2)}`.padEnd(MAX_SUFFIX_LENGTH, 'c'), '123456789012');
    for (const region of AWS_REGIONS) {
      expect(() => longest.bucket('artifacts', region)).not.toThrow();
      expect(() => longest.name('rds', 'aurora-secondary', region)).not.toThrow();
      expect(() => longest.name('iamRole', 'payment-processor', region)).not.toThrow();
      expect(() => longest.name('lambda', 'payment-processor', region)).not.toThrow();
    }
  });

  test.each<[string, () => string, RegExp]>([
    ['bucket over 63 characters', () => naming.bucket('x'.repeat(40), 'us-east-1'), /is 66 characters; AWS allows 63/],
    ['IAM role over 64 characters', () => naming.name('iamRole', 'r'.repeat(60), 'us-east-1'), /\(iamRole\) is 73 characters; AWS allows 64/],
    ['RDS identifier with a double hyphen', () => naming.name('rds', 'a--b'), /breaks the rds naming rule/],
    ['bucket with upper case', () => naming.bucket('Artifacts', 'us-east-1'), /breaks the s3Bucket naming rule/],
  ])('%s is refused at synth', (_what, build, message) => {
    expect(build).toThrow(message);
  });
});
