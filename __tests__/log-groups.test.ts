import { Json, synthDrStack } from './support/synth';

/**
 * Every log group a service writes to is declared in the stack, with our key and the retention, and exists before
 * the resource that writes to it: a group the service creates itself is unencrypted, never expires and survives a
 * destroy.
 */
describe('log groups the services write to', () => {
  const { stack, synth } = synthDrStack();
  const groups = synth.list('aws_cloudwatch_log_group');
  const groupNamed = (name: string) => groups.find((g) => g.name === name);
  const address = (type: string, body: Json) => `${type}.${Object.entries(synth.resources(type)).find(([, b]) => b === body)![0]}`;

  test.each(['primary', 'dr'] as const)('%s: Aurora exports PostgreSQL logs to /aws/rds/cluster/<id>/postgresql, created first', (role) => {
    const cluster = role === 'primary' ? stack.database.primaryCluster : stack.database.secondaryCluster;
    const body = synth.bodyOf(cluster);
    expect(body.enabled_cloudwatch_logs_exports).toEqual(['postgresql']);
    const group = synth.bodyOf(stack.database.logGroups![role]);
    expect(group).toMatchObject({
      name: `/aws/rds/cluster/${body.cluster_identifier}/postgresql`,
      provider: `aws.${role}`,
      kms_key_id: synth.ref(stack.logsKey.keys[role].arn),
      retention_in_days: stack.config.logRetentionDays,
    });
    expect(body.depends_on).toContain(synth.address(stack.database.logGroups![role]));
  });

  test.each(['primary', 'dr'] as const)('%s: API Gateway execution logs go to API-Gateway-Execution-Logs_<api id>/<stage>, created before the stage', (role) => {
    const api = stack.runtime[role].api;
    const group = synth.bodyOf(api.executionLogGroup);
    expect(group).toMatchObject({
      name: `API-Gateway-Execution-Logs_${synth.ref(api.api.id)}/${api.stageName}`,
      provider: `aws.${role}`,
      kms_key_id: synth.ref(stack.logsKey.keys[role].arn),
      retention_in_days: stack.config.logRetentionDays,
    });
    expect(synth.bodyOf(api.stage).depends_on).toContain(synth.address(api.executionLogGroup));
  });

  test('every writer of logs has its group declared, encrypted with one of our keys, with retention', () => {
    const ourKeys = new Set(
      [stack.logsKey].flatMap((k) => [k.keys['primary'].arn, k.keys['dr'].arn]).map((a) => synth.ref(a)),
    );
    const expected: Array<[writer: string, group: string]> = [];
    for (const cluster of synth.list('aws_rds_cluster')) {
      for (const type of cluster.enabled_cloudwatch_logs_exports ?? []) {
        expected.push([address('aws_rds_cluster', cluster), `/aws/rds/cluster/${cluster.cluster_identifier}/${type}`]);
      }
    }
    for (const settings of synth.list('aws_api_gateway_method_settings')) {
      if (settings.settings.logging_level && settings.settings.logging_level !== 'OFF') {
        expected.push([address('aws_api_gateway_method_settings', settings), `API-Gateway-Execution-Logs_${settings.rest_api_id}/${settings.stage_name}`]);
      }
    }
    for (const fn of synth.list('aws_lambda_function')) {
      expect(fn.logging_config.log_group).toMatch(/^\$\{aws_cloudwatch_log_group\./);
    }
    expect(expected.length).toBe(4);
    for (const [writer, name] of expected) {
      // The stage name is a reference to the stage resource in the method settings; compare by literal stage name.
      const literal = name.replace(/\$\{aws_api_gateway_stage\.[^}]+\.stage_name\}$/, 'v1');
      const group = groupNamed(literal);
      expect({ writer, group: group?.name }).toEqual({ writer, group: literal });
      expect(ourKeys.has(group!.kms_key_id)).toBe(true);
      expect(group!.retention_in_days).toBe(stack.config.logRetentionDays);
    }
  });
});
