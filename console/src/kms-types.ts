/** The members of KMS and CloudTrail answers the console reads (AWS JSON 1.1; dates in epoch seconds). */
export interface KeyMetadata {
  readonly KeyId: string;
  readonly Arn: string;
  readonly Description?: string;
  readonly KeyState?: string;
  readonly KeySpec?: string;
  readonly KeyUsage?: string;
  readonly KeyManager?: string;
  readonly Origin?: string;
  readonly CreationDate?: number;
  readonly DeletionDate?: number;
  readonly Enabled?: boolean;
  readonly MultiRegion?: boolean;
  readonly CustomKeyStoreId?: string;
}
export interface AliasEntry { readonly AliasName: string; readonly TargetKeyId?: string }
export interface Tag { readonly TagKey: string; readonly TagValue: string }
export interface Grant {
  readonly GrantId: string;
  readonly Name?: string;
  readonly GranteePrincipal?: string;
  readonly RetiringPrincipal?: string;
  readonly Operations?: readonly string[];
  readonly CreationDate?: number;
}
export interface Rotation { readonly KeyId: string; readonly RotationDate?: number; readonly RotationType?: string }
export interface CloudTrailEvent {
  readonly EventId: string;
  readonly EventName?: string;
  readonly EventTime?: number;
  readonly EventSource?: string;
  readonly Username?: string;
  readonly CloudTrailEvent?: string;
  readonly Resources?: readonly { readonly ResourceType?: string; readonly ResourceName?: string }[];
}
export interface LookupEventsOutput { readonly Events?: readonly CloudTrailEvent[]; readonly NextToken?: string }
