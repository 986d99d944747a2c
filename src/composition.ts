import { TerraformElement, TerraformStack } from 'cdktf';
// cdktf's own logical-id algorithm (pinned cdktf 0.21.0; not re-exported from the package root). Calling the same
// function on the same components is what keeps every address where it was; __tests__/composition.test.ts checks
// that an id outside any tier is exactly cdktf's.
import { makeUniqueId } from 'cdktf/lib/private/unique';
import { Construct, IConstruct, Node } from 'constructs';

const TIER = Symbol.for('payments-dr.Tier');

/**
 * A composition scope that is invisible in Terraform addresses: the resources of a tier get the logical ids they
 * would get if they were created directly in the tier's scope, like aws-cdk's hidden `Default` id (cdktf keeps that
 * rule: lib/private/unique.js drops `Default` from the components). A tier groups what one part of the stack builds
 * (a site's application tier, the API edge, the drills) without moving anything in the state: only the `//`
 * metadata path of a resource shows the tier.
 *
 * Honoured by {@link ComposedStack} only; the ids of a tier's children must be unique among everything else that
 * shares the tier's non-tier scope (the stack throws on a collision).
 */
export abstract class Tier extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, TIER, { value: true });
  }

  /** Whether `x` is a tier (by marker, so two copies of this module agree). */
  static isTier(x: unknown): x is Tier {
    return typeof x === 'object' && x !== null && TIER in x;
  }
}

/**
 * A TerraformStack whose logical ids skip {@link Tier} scopes. Everything else is cdktf's default algorithm
 * (TerraformStack.allocateLogicalId: the ids of the scopes below the stack, through `makeUniqueId`), so a stack
 * without tiers allocates exactly cdktf's ids. Two elements that end up with one logical id would be one Terraform
 * address: that throws, naming both construct paths.
 */
export class ComposedStack extends TerraformStack {
  private readonly allocated = new Map<string, string>();

  protected allocateLogicalId(tfElement: TerraformElement | Node): string {
    const element = TerraformElement.isTerraformElement(tfElement) ? (tfElement as TerraformElement) : undefined;
    const node: Node = element ? element.node : (tfElement as Node);
    const stack: IConstruct = element ? element.cdktfStack : this;
    const scopes: IConstruct[] = node.scopes.slice(node.scopes.indexOf(stack) + 1);
    // A tier's own id is dropped; a tier itself (not a Terraform element) is never allocated an id.
    const components = scopes.filter((c): boolean => !Tier.isTier(c)).map((c) => c.node.id);
    if (components.length === 0) return '';
    const id = makeUniqueId(components);
    const owner = this.allocated.get(id);
    if (owner === undefined) this.allocated.set(id, node.path);
    else if (owner !== node.path) {
      throw new Error(
        `${this.node.id}: logical id "${id}" is allocated to both ${owner} and ${node.path}: a tier (src/composition.ts) ` +
          'hides its own id, so its children must not share an id with a construct of the enclosing scope; rename one of them',
      );
    }
    return id;
  }
}
