import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
// The pure-JavaScript SigV4a signer. It is BUNDLED (src/lambda-bundle.ts aliases it past the `@aws-sdk/*`
// externals): the Lambda runtime's SDK does not promise to ship it, and the native CRT signer cannot be used.
import { SignatureV4a } from '@aws-sdk/signature-v4a';

/**
 * An EventBridge client for `PutEvents` through a **global endpoint**.
 *
 * Global endpoints accept only Signature Version 4a (the request is signed for the region set `*`, so either
 * region can serve it; EventBridge user guide, eb-global-endpoints "Using the AWS SDK for global endpoints").
 * The SDK's default signer finds a SigV4a implementation through a registry inside `@smithy/signature-v4`: in a
 * bundle that registry may be a different copy than the one the runtime's client reads, and the client then
 * fails with "Neither CRT nor JS SigV4a implementation is available". Passing the signer as the client's
 * `signerConstructor` does not depend on that registry: it works the same bundled or not.
 */
export function globalEndpointClient(region: string, options: Omit<EventBridgeClientConfig, 'region' | 'signerConstructor'> = {}): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 2, ...options, region, signerConstructor: GlobalEndpointSigner });
}

type SignerInit = ConstructorParameters<typeof SignatureV4a>[0];
type SignableRequest = Parameters<SignatureV4a['sign']>[0];

/**
 * Signs with SigV4a for the region set `*` only. A request without an `EndpointId` would be signed with SigV4 for
 * one region and go to that region's bus, bypassing the failover: refused, so a misconfiguration is loud.
 */
export class GlobalEndpointSigner {
  private readonly v4a: SignatureV4a;

  constructor(init: SignerInit) {
    this.v4a = new SignatureV4a(init);
  }

  sign(request: SignableRequest, options: { signingRegion?: string } & Record<string, unknown> = {}): Promise<SignableRequest> {
    if (options.signingRegion !== '*') {
      return Promise.reject(
        new Error(`this EventBridge client only publishes through a global endpoint (SigV4a, region set "*"); got a request signed for "${options.signingRegion ?? ''}": set EndpointId`),
      );
    }
    return this.v4a.sign(request, options);
  }
}

/**
 * The endpoint id `PutEvents` takes, from the endpoint URL Terraform exports (`endpoint_url`,
 * `https://<id>.endpoint.events.amazonaws.com`; `aws_cloudwatch_event_endpoint` has no id attribute).
 */
export function endpointIdFromUrl(url: string): string {
  const m = /^https:\/\/([a-z0-9]+(?:\.[a-z0-9]+)*)\.endpoint\.events\.amazonaws\.com\/?$/i.exec(url.trim());
  if (!m) {
    throw new Error(`PAYMENT_EVENTS_ENDPOINT_URL must be an EventBridge global endpoint URL like "https://abcde.xyz.endpoint.events.amazonaws.com", got "${url}"`);
  }
  return m[1];
}
