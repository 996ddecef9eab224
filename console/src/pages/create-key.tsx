/** CreateKey with a description, key spec and usage, optional alias (CreateAlias) and tags; then the new key's page. */
import { useState } from 'preact/hooks';
import { call, describeError, type Session } from '../api.ts';
import type { KeyMetadata } from '../kms-types.ts';
import { ErrorBox, setFlash } from '../ui.tsx';

const SPECS: Readonly<Record<string, readonly string[]>> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'], ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'], ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  HMAC_224: ['GENERATE_VERIFY_MAC'], HMAC_256: ['GENERATE_VERIFY_MAC'], HMAC_384: ['GENERATE_VERIFY_MAC'], HMAC_512: ['GENERATE_VERIFY_MAC'],
};

/** `key=value` lines → KMS tags (a line without `=` is a key with an empty value). */
export function parseTags(text: string): { TagKey: string; TagValue: string }[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? { TagKey: l, TagValue: '' } : { TagKey: l.slice(0, eq).trim(), TagValue: l.slice(eq + 1).trim() };
  });
}

export function CreateKey({ session }: { session: Session }) {
  const [spec, setSpec] = useState('SYMMETRIC_DEFAULT');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const usages = SPECS[spec] ?? ['ENCRYPT_DECRYPT'];
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (name: string): string => String(form.get(name) ?? '').trim();
    const tags = parseTags(value('tags'));
    const alias = value('alias');
    setBusy(true);
    setError(undefined);
    try {
      const { KeyMetadata: meta } = await call<{ KeyMetadata: KeyMetadata }>(session, 'kms', 'CreateKey', {
        Description: value('description'), KeySpec: spec, KeyUsage: value('usage') || usages[0], ...(tags.length > 0 ? { Tags: tags } : {}),
      });
      if (alias !== '') {
        try {
          await call(session, 'kms', 'CreateAlias', { AliasName: alias.startsWith('alias/') ? alias : `alias/${alias}`, TargetKeyId: meta.KeyId });
        } catch (err) {
          // The key exists: go to it, and say what went wrong with the alias there.
          setFlash(`The key was created, but not its alias: ${describeError(err)}`);
          location.hash = `#/keys/${encodeURIComponent(meta.KeyId)}`;
          return;
        }
      }
      location.hash = `#/keys/${encodeURIComponent(meta.KeyId)}`;
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Create key</h1>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <label>Description<input name="description" maxLength={8192} /></label>
        <label>Key spec
          <select name="spec" value={spec} onChange={(e) => setSpec(e.currentTarget.value)}>
            {Object.keys(SPECS).map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Key usage
          <select name="usage">{usages.map((u) => <option key={u} value={u}>{u}</option>)}</select>
        </label>
        <label>Alias (optional)<input name="alias" placeholder="alias/my-key" maxLength={256} spellcheck={false} /></label>
        <label>Tags (optional, one key=value a line)<textarea name="tags" rows={3} spellcheck={false} /></label>
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
        {error !== undefined ? <ErrorBox>{error}</ErrorBox> : null}
      </form>
    </section>
  );
}
