import type { ComponentBound } from './dr-objectives';

/**
 * The edge term of the RTO when clients come through Global Accelerator (config `edge.mode: "accelerator"`): it
 * replaces the DNS failover term of the DR report (src/dr-objectives.ts), because clients keep the accelerator's
 * static IPs and no DNS answer has to expire.
 */

/**
 * Global Accelerator moves traffic back to a healthy endpoint "typically ... in about 30 seconds" (GA Developer
 * Guide, about-endpoints-endpoint-weights.unhealthy-endpoints): a typical figure, not a guarantee.
 */
export const GA_ROUTE_CHANGE_SECONDS = 30;

export interface EdgeHealthCheck {
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
}

/**
 * Once the promoted site's deep /health passes, its ALB target groups turn healthy after `healthyThreshold`
 * checks `intervalSeconds` apart (ELB target group health checks), and Global Accelerator routes to it about 30 s
 * later, even when the operator cannot set the traffic dials (the GA API is served from us-west-2 only): the dial
 * is ignored while the dialed group has no healthy endpoint. No client DNS cache is involved.
 */
export function acceleratorFailoverBound(hc: EdgeHealthCheck): ComponentBound {
  const healthy = hc.intervalSeconds * hc.healthyThreshold;
  return {
    component: 'Edge failover (Global Accelerator)',
    mechanism:
      `The promoted site's ALB target groups turn healthy after ${hc.healthyThreshold} passing checks ${hc.intervalSeconds} s apart (${healthy} s); ` +
      `Global Accelerator then routes to it in about ${GA_ROUTE_CHANGE_SECONDS} s, with the dial set by the DR CLI or, without the GA API, by health-based failover; ` +
      'clients keep the static IPs, so no DNS cache delays them',
    boundSeconds: healthy + GA_ROUTE_CHANGE_SECONDS,
    source:
      'ELB User Guide, target-group-health-checks (interval × healthy threshold); GA Developer Guide, "How failover works for unhealthy endpoints" (about 30 s, typical)',
    objective: 'RTO',
    guaranteed: false,
  };
}
