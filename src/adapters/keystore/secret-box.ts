/**
 * A SecretBox on the software key store: AES-256-GCM under the active domain key, bound to the
 * access key id. The sealed form is `<domain key id>:<base64>`.
 */
import { zero } from '../../crypto/bytes.ts';
import { credentialAad, unwrapKey, wrapKey } from '../../crypto/wrap.ts';
import type { SecretBox } from '../../ports/secret-box.ts';

export interface DomainKeys {
  readonly activeId: string;
  key(id: string): Buffer;
}

export function createSecretBox(keys: DomainKeys): SecretBox {
  return {
    seal(id, secret) {
      const plaintext = Buffer.from(secret, 'utf8');
      try {
        return `${keys.activeId}:${wrapKey(keys.key(keys.activeId), plaintext, credentialAad(id)).toString('base64')}`;
      } finally {
        zero(plaintext);
      }
    },
    open(id, sealed) {
      const at = sealed.indexOf(':');
      const plaintext = unwrapKey(keys.key(sealed.slice(0, at)), Buffer.from(sealed.slice(at + 1), 'base64'), credentialAad(id));
      try {
        return plaintext.toString('utf8');
      } finally {
        zero(plaintext);
      }
    },
  };
}
