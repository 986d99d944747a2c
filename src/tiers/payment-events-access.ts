import { PAYMENT_EVENTS_ENDPOINT_PARAMETER } from '../../lambdas/shared/parameter-names';
import { ssmParameterArn } from '../arn';
import { PaymentEvents, paymentEventNames } from '../constructs/payment-events';
import { PolicyStatement } from '../iam';
import { RegionContext } from '../region';

/** Name of the parameter (under a site's runtime path) holding the payment events global endpoint URL (the names contract's). */
export const ENDPOINT_URL_PARAMETER = PAYMENT_EVENTS_ENDPOINT_PARAMETER;

/**
 * How a function publishes payment events, before the PaymentEvents construct exists: the publishers get names and
 * ARNs as strings; the endpoint is created once the health check it follows exists (that check watches the payment
 * function's own API), and its URL reaches the functions through a parameter of their site (PaymentEventsWiring
 * writes it).
 */
export class PaymentEventsAccess {
  /** PutEvents on the bus of either region (the global endpoint routes to one of them). */
  public readonly publishStatement: PolicyStatement;
  private readonly names: ReturnType<typeof paymentEventNames>;

  constructor(primary: RegionContext, dr: RegionContext) {
    this.names = paymentEventNames(primary.naming);
    this.publishStatement = PaymentEvents.grantPublishFor({ primary, dr });
  }

  /**
   * `statements` plus reading the endpoint URL parameter. lambdas/shared/outbox.ts (EventTargetResolver) reads it
   * with GetParameter, every minute at most: added to the function's GetParameter statement (the designation's) so
   * the action is granted once.
   */
  withEndpointUrl(statements: readonly PolicyStatement[], ctx: RegionContext, configPath: string): PolicyStatement[] {
    const arn = ssmParameterArn(ctx, `${configPath}${ENDPOINT_URL_PARAMETER}`);
    const i = statements.findIndex((st) => JSON.stringify(st.Action) === JSON.stringify(['ssm:GetParameter']));
    if (i < 0) return [...statements, { Sid: 'PaymentEventsEndpointUrl', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [arn] }];
    return statements.map((st, j) => (j === i ? { ...st, Resource: [...[st.Resource ?? []].flat(), arn] } : st));
  }

  /** The publisher's environment (lambdas/shared/outbox.ts). */
  environment(configPath: string): Record<string, string> {
    return {
      PAYMENT_EVENTS_BUS_NAME: this.names.busName,
      PAYMENT_EVENTS_SOURCE: this.names.source,
      PAYMENT_EVENTS_ENDPOINT_PARAMETER: `${configPath}${ENDPOINT_URL_PARAMETER}`,
    };
  }
}
