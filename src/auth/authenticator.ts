/**
 * SigV4 plus the credential rules around it: the access key must resolve to active credentials;
 * temporary credentials need their session token in `X-Amz-Security-Token` (compared by SHA-256,
 * in constant time) and must not have expired on the domain clock (test mode moves that clock;
 * request freshness stays on the real one); long-term credentials must not carry a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ExpiredTokenException, UnrecognizedClientException } from '../errors/common-errors.ts';
import { SigV4Verifier, type SigV4Request, type SigV4VerifierOptions, type VerifiedSignature } from './sigv4.ts';

export interface ResolvedCredential<C> {
  readonly secretAccessKey: string;
  readonly caller: C;
  /** Temporary credentials: SHA-256 of their session token. */
  readonly sessionTokenHash?: Buffer;
  /** Temporary credentials: epoch ms. */
  readonly expiration?: number;
  readonly active: boolean;
}

export interface AuthenticatorOptions<C> extends Omit<SigV4VerifierOptions<ResolvedCredential<C>>, 'lookup'> {
  /** The credential of an access key id (asynchronous: a lookup may read storage). */
  readonly resolve: (accessKeyId: string) => Promise<ResolvedCredential<C> | undefined>;
  /** The domain clock (epoch ms) that session expirations are measured on. */
  readonly domainNow: () => number;
}

/** What the pipelines need: a request in, the verified caller out (or an AwsError). */
export interface RequestAuthenticator<C> {
  verify(req: SigV4Request): Promise<VerifiedSignature<C>>;
}

export class Authenticator<C> implements RequestAuthenticator<C> {
  readonly #verifier: SigV4Verifier<ResolvedCredential<C>>;
  readonly #domainNow: () => number;
  readonly #resolve: AuthenticatorOptions<C>['resolve'];

  constructor(opts: AuthenticatorOptions<C>) {
    const { resolve, domainNow, ...rest } = opts;
    this.#domainNow = domainNow;
    this.#resolve = resolve;
    // The lookup happens between claim() and check(), asynchronously; verify() is never called.
    this.#verifier = new SigV4Verifier<ResolvedCredential<C>>({ ...rest, lookup: () => undefined });
  }

  async verify(req: SigV4Request): Promise<VerifiedSignature<C>> {
    const claim = this.#verifier.claim(req);
    const resolved = await this.#resolve(claim.accessKeyId);
    const signed = this.#verifier.check(req, claim, resolved !== undefined && resolved.active ? resolved : undefined);
    const cred = signed.identity;
    if (cred.sessionTokenHash === undefined) {
      if (signed.securityToken !== undefined) throw new UnrecognizedClientException();
    } else {
      const presented = signed.securityToken === undefined ? undefined : createHash('sha256').update(signed.securityToken, 'utf8').digest();
      if (presented === undefined || presented.length !== cred.sessionTokenHash.length || !timingSafeEqual(presented, cred.sessionTokenHash)) {
        throw new UnrecognizedClientException();
      }
      if (cred.expiration !== undefined && this.#domainNow() >= cred.expiration) throw new ExpiredTokenException();
    }
    const out: VerifiedSignature<C> = {
      identity: cred.caller, accessKeyId: signed.accessKeyId, region: signed.region, service: signed.service, amzDate: signed.amzDate,
    };
    if (signed.securityToken !== undefined) out.securityToken = signed.securityToken;
    return out;
  }
}
