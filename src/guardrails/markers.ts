import { IConstruct } from 'constructs';

/** Construct metadata type of a guardrail waiver (`node.metadata`); data is a `WaiverRecord`. */
export const WAIVER_METADATA = 'payments-dr:guardrail-waiver';
/** Construct metadata type marking a security group as a public HTTPS entry point; data is the reason. */
export const PUBLIC_ENTRY_POINT_METADATA = 'payments-dr:public-https-entry-point';
/** Where waivers appear in the synthesized resource: `"//": { "guardrail_waivers": [...] }` (a Terraform JSON comment). */
export const WAIVER_OVERRIDE_PATH = '//.guardrail_waivers';

export interface WaiverRecord {
  readonly rule: string;
  readonly reason: string;
}

/** The waivers recorded on one construct, in the order they were added. */
export function waiversOn(construct: IConstruct): WaiverRecord[] {
  return construct.node.metadata.filter((m) => m.type === WAIVER_METADATA).map((m) => m.data as WaiverRecord);
}

/** The reason a security group was marked as a public HTTPS entry point, if it was. */
export function publicEntryPointReason(construct: IConstruct): string | undefined {
  return construct.node.metadata.find((m) => m.type === PUBLIC_ENTRY_POINT_METADATA)?.data as string | undefined;
}
