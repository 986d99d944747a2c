import { synthDrStack } from './support/synth';

// Stacks deployed before prod required an existing zone created the zone themselves (`dns.hostedZoneId: null`,
// address aws_route53_zone.zone). Once the config names a zone id, Terraform must forget that address, never destroy
// the zone (npm run plan:upgrade from 4306699 with config/prod.json exited 1 on it before this).
describe('the hosted zone across the change to an existing zone', () => {
  test('with dns.hostedZoneId set: no zone resource, and a removed block that keeps the old zone in AWS', () => {
    const { synth } = synthDrStack({ dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ' } });
    expect(synth.json.resource.aws_route53_zone).toBeUndefined();
    expect(synth.json.removed).toEqual([{ from: 'aws_route53_zone.zone', lifecycle: { destroy: false } }]);
  });

  test('without it (dev creating its zone): the zone at the address the removed block names, and no removed block', () => {
    const { synth } = synthDrStack({ dns: { hostedZoneId: null } });
    expect(Object.keys(synth.json.resource.aws_route53_zone)).toEqual(['zone']);
    expect(synth.json.removed).toBeUndefined();
  });
});
