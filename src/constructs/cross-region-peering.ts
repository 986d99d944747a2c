import { Route } from '@cdktf/provider-aws/lib/route';
import { VpcPeeringConnection } from '@cdktf/provider-aws/lib/vpc-peering-connection';
import { VpcPeeringConnectionAccepterA } from '@cdktf/provider-aws/lib/vpc-peering-connection-accepter';
import { VpcPeeringConnectionOptions } from '@cdktf/provider-aws/lib/vpc-peering-connection-options';
import { Construct } from 'constructs';
import { RegionContext } from '../region';
import { RegionalNetwork } from './regional-network';

export interface PeeringSide {
  readonly ctx: RegionContext;
  readonly network: RegionalNetwork;
}

export interface CrossRegionPeeringProps {
  /** Requests the connection (the primary region). */
  readonly requester: PeeringSide;
  /** Accepts it (the DR region). */
  readonly accepter: PeeringSide;
}

/**
 * Cross-region VPC peering that is actually usable: requested in one region, accepted in the other, DNS
 * resolution enabled on both sides, and routes to the peer CIDR in every private and isolated route table of
 * both VPCs. No default route ever goes through the peering.
 */
export class CrossRegionPeering extends Construct {
  public readonly connection: VpcPeeringConnection;
  public readonly accepter: VpcPeeringConnectionAccepterA;
  public readonly requesterRoutes: Route[];
  public readonly accepterRoutes: Route[];

  constructor(scope: Construct, id: string, props: CrossRegionPeeringProps) {
    super(scope, id);
    const { requester, accepter } = props;
    if (requester.ctx.region === accepter.ctx.region) {
      throw new Error(`CrossRegionPeering: requester and accepter are both in ${requester.ctx.region}; use two regions`);
    }
    const name = requester.ctx.naming.name('generic', 'peering');

    // Cross-region peering cannot be auto-accepted by the requester (AWS rejects auto_accept with peer_region):
    // the accepter resource in the peer region accepts it.
    this.connection = new VpcPeeringConnection(this, 'requester', {
      provider: requester.ctx.provider,
      vpcId: requester.network.vpc.id,
      peerVpcId: accepter.network.vpc.id,
      peerRegion: accepter.ctx.region,
      peerOwnerId: accepter.ctx.accountId,
      autoAccept: false,
      tags: { Name: name, Side: 'requester' },
    });
    this.accepter = new VpcPeeringConnectionAccepterA(this, 'accepter', {
      provider: accepter.ctx.provider,
      vpcPeeringConnectionId: this.connection.id,
      autoAccept: true,
      tags: { Name: name, Side: 'accepter' },
    });

    // Options can only be set on an active connection, so both reference the accepter; each side is set
    // through its own region's provider (provider docs, vpc_peering_connection_options).
    new VpcPeeringConnectionOptions(this, 'requester-options', {
      provider: requester.ctx.provider,
      vpcPeeringConnectionId: this.accepter.vpcPeeringConnectionId,
      requester: { allowRemoteVpcDnsResolution: true },
    });
    new VpcPeeringConnectionOptions(this, 'accepter-options', {
      provider: accepter.ctx.provider,
      vpcPeeringConnectionId: this.accepter.vpcPeeringConnectionId,
      accepter: { allowRemoteVpcDnsResolution: true },
    });

    const routes = (side: PeeringSide, peer: PeeringSide, connectionId: string, prefix: string) =>
      side.network.internalRouteTables.map(
        (rt) =>
          new Route(this, `${prefix}-to-peer-${rt.node.id}`, {
            provider: side.ctx.provider,
            routeTableId: rt.id,
            destinationCidrBlock: peer.network.cidr,
            vpcPeeringConnectionId: connectionId,
          }),
      );
    this.requesterRoutes = routes(requester, accepter, this.connection.id, 'requester');
    // The accepter side routes through the accepted connection (same id in both regions).
    this.accepterRoutes = routes(accepter, requester, this.accepter.vpcPeeringConnectionId, 'accepter');
  }
}
