/**
 * Which regions a Coffer serves: the home region (COFFER_REGION) always; then either every region
 * name of the `aws` partition (COFFER_REGIONS=any, the default: a client configured for any region
 * just works) or only the regions COFFER_REGIONS lists. A region is a SigV4 credential scope and a
 * part of every ARN; Coffer's ARNs are `arn:aws:…`, so the regions of the other partitions (China,
 * GovCloud, the isolated and sovereign clouds) are served only when listed.
 */

/** An AWS region name: two or three lowercase words and a number (us-east-1, eu-central-2, ap-southeast-4). */
export const REGION_NAME = /^([a-z]+-){2,3}\d+$/;

/** Regions of partitions other than `aws`: cn-north-1 (aws-cn), us-gov-west-1, us-iso-east-1, us-isob-east-1, eusc-de-east-1. */
const OTHER_PARTITION = /^(cn|us-gov|us-iso[a-z]?|eu-iso[a-z]?|eusc)-/;

export interface ServedRegions {
  readonly home: string;
  /** Undefined: every region name of the `aws` partition; else these (the home region first). */
  readonly only: readonly string[] | undefined;
}

export function servesRegion(served: ServedRegions, region: string): boolean {
  if (region === served.home) return true;
  if (served.only !== undefined) return served.only.includes(region);
  return REGION_NAME.test(region) && !OTHER_PARTITION.test(region);
}

/** How the served regions read in a message: `any region name` or the list. */
export const describeRegions = (served: ServedRegions): string => (served.only === undefined ? `${served.home} and any other region name of the aws partition` : served.only.join(', '));
