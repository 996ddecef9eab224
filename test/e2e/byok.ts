/**
 * The client side of importing key material, written with node:crypto alone (independent of
 * Coffer's code): wrap material under the public key GetParametersForImport returned, as AWS's
 * "Encrypt the key material" step describes, then ImportKeyMaterial.
 */
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import {
  GetParametersForImportCommand, ImportKeyMaterialCommand, type AlgorithmSpec, type ImportKeyMaterialCommandInput, type KMSClient,
  type WrappingKeySpec,
} from '@aws-sdk/client-kms';

export interface Parameters { readonly publicKey: Buffer; readonly importToken: Buffer; readonly validTo: Date }

export async function parametersFor(kms: KMSClient, keyId: string, algorithm: AlgorithmSpec, spec: WrappingKeySpec): Promise<Parameters> {
  const r = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec }));
  return { publicKey: Buffer.from(r.PublicKey ?? []), importToken: Buffer.from(r.ImportToken ?? []), validTo: r.ParametersValidTo as Date };
}

/** RSAES_OAEP_SHA_*: the material under RSA-OAEP; RSA_AES_KEY_WRAP_SHA_*: OAEP(aes key) || AES-KWP(aes key, material). */
export function wrapLocally(publicKey: Buffer, algorithm: AlgorithmSpec, material: Buffer): Buffer {
  const key = createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
  const oaepHash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  const oaep = (data: Buffer): Buffer => publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data);
  if (algorithm.startsWith('RSAES_OAEP')) return oaep(material);
  const aesKey = randomBytes(32);
  const kwp = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([oaep(aesKey), kwp.update(material), kwp.final()]);
}

export type ImportOptions = Omit<ImportKeyMaterialCommandInput, 'KeyId' | 'ImportToken' | 'EncryptedKeyMaterial'>;

/** GetParametersForImport, wrap, ImportKeyMaterial (KEY_MATERIAL_DOES_NOT_EXPIRE unless `opts` says otherwise). */
export async function importMaterial(
  kms: KMSClient, keyId: string, material: Buffer, opts: ImportOptions = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
  algorithm: AlgorithmSpec = 'RSA_AES_KEY_WRAP_SHA_256', spec: WrappingKeySpec = 'RSA_2048',
): Promise<string> {
  const p = await parametersFor(kms, keyId, algorithm, spec);
  const r = await kms.send(new ImportKeyMaterialCommand({
    KeyId: keyId, ImportToken: p.importToken, EncryptedKeyMaterial: wrapLocally(p.publicKey, algorithm, material), ...opts,
  }));
  return r.KeyMaterialId as string;
}
