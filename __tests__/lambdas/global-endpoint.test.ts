// The SigV4a client for the global endpoint, exercised through the real EventBridge client and its signing
// middleware (only the HTTP handler is replaced): the request must reach `<id>.endpoint.events.amazonaws.com`,
// signed with SigV4a for the region set `*`.
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Readable } from 'node:stream';
import { endpointIdFromUrl, globalEndpointClient } from '../../lambdas/shared/global-endpoint';

interface Captured {
  hostname: string;
  path: string;
  headers: Record<string, string>;
}

function capturingClient(region = 'us-west-2') {
  const requests: Captured[] = [];
  const client = globalEndpointClient(region, {
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: any) => {
        requests.push({ hostname: request.hostname, path: request.path, headers: { ...request.headers } });
        const body = JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
        return {
          response: { statusCode: 200, reason: 'OK', headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(body)]) },
        };
      },
    } as any,
  });
  return { client, requests };
}

const entry = { EventBusName: 'pay-dev-payments', Source: 'pay-dev.payments', DetailType: 'payment.accepted', Detail: '{"eventId":"e1"}' };

test('PutEvents with an EndpointId goes to the global endpoint, signed with SigV4a (ECDSA P-256) for every region', async () => {
  const { client, requests } = capturingClient();
  const out = await client.send(new PutEventsCommand({ EndpointId: 'abcde.xyz', Entries: [entry] }));
  expect(out.Entries).toEqual([{ EventId: 'eb-1' }]);
  expect(requests).toHaveLength(1);
  const [r] = requests;
  expect(r.hostname).toBe('abcde.xyz.endpoint.events.amazonaws.com');
  expect(r.headers['x-amz-region-set']).toBe('*');
  expect(r.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
  expect(r.headers.authorization).toMatch(
    /^AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/events\/aws4_request, SignedHeaders=[^,]*x-amz-region-set[^,]*, Signature=[0-9a-f]+$/,
  );
  expect(r.headers['x-amz-security-token']).toBe('token');
});

test('a PutEvents without an EndpointId is refused before it is sent: it would bypass the failover', async () => {
  const { client, requests } = capturingClient();
  await expect(client.send(new PutEventsCommand({ Entries: [entry] }))).rejects.toThrow(/only publishes through a global endpoint.*set EndpointId/);
  expect(requests).toHaveLength(0);
});

test.each([
  ['https://abcde.xyz.endpoint.events.amazonaws.com', 'abcde.xyz'],
  ['https://abcde.xyz.endpoint.events.amazonaws.com/', 'abcde.xyz'],
  ['  https://ABCDE.veo.endpoint.events.amazonaws.com ', 'ABCDE.veo'],
])('endpoint id of %s is %s', (url, id) => {
  expect(endpointIdFromUrl(url)).toBe(id);
});

test.each(['', 'abcde.xyz', 'http://abcde.xyz.endpoint.events.amazonaws.com', 'https://events.us-east-1.amazonaws.com', 'https://a_b.endpoint.events.amazonaws.com'])(
  'endpoint URL %j is refused with the expected form',
  (url) => {
    expect(() => endpointIdFromUrl(url)).toThrow(/PAYMENT_EVENTS_ENDPOINT_URL must be an EventBridge global endpoint URL like "https:\/\/abcde\.xyz\.endpoint\.events\.amazonaws\.com"/);
  },
);
