import { terraformSuite } from './support/terraform-suite';

terraformSuite('dev', {}, { plan: true, simulate: true, swap: { activeRegion: 'dr' } });
