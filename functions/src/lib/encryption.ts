import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One AES-256 key and the id that ciphertexts carry, so keys can rotate. */
export type EncryptionKey = { id: string; key: Buffer };

const algorithm = 'aes-256-gcm';
const ivBytes = 12;
const tagBytes = 16;
const format = 'v1';

export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/**
 * Encrypts small secrets at rest with AES-256-GCM. A ciphertext reads
 * `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url): it names the key that sealed it, so
 * after a key rotation old values still open with the previous key while new ones use
 * the current key. The `context` (for example the document path) is bound as
 * additional authenticated data: a ciphertext copied to another document does not open.
 */
export class SecretBox {
  readonly #current: EncryptionKey;
  readonly #keys: Map<string, Buffer>;

  constructor(current: EncryptionKey, previous: readonly EncryptionKey[] = []) {
    for (const { id, key } of [current, ...previous]) {
      if (key.length !== 32) throw new Error(`Encryption key ${id} must be 32 bytes.`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`Invalid encryption key id ${id}.`);
    }
    this.#current = current;
    this.#keys = new Map([...previous, current].map(({ id, key }) => [id, key]));
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv(algorithm, this.#current.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return [format, this.#current.id, iv.toString('base64url'), sealed.toString('base64url')].join(
      '.',
    );
  }

  decrypt(token: string, context: string): string {
    const [version, keyId, ivText, sealedText, ...rest] = token.split('.');
    if (version !== format || !keyId || !ivText || !sealedText || rest.length > 0) {
      throw new DecryptionError('Not a ciphertext of this format.');
    }
    const key = this.#keys.get(keyId);
    if (!key) throw new DecryptionError(`No encryption key with id ${keyId} is configured.`);
    const iv = Buffer.from(ivText, 'base64url');
    const sealed = Buffer.from(sealedText, 'base64url');
    if (iv.length !== ivBytes || sealed.length < tagBytes) {
      throw new DecryptionError('Malformed ciphertext.');
    }
    try {
      const decipher = createDecipheriv(algorithm, key, iv, { authTagLength: tagBytes });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
      return Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - tagBytes)),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new DecryptionError('The ciphertext does not open with its key and context.', {
        cause: error,
      });
    }
  }

  /** Whether a ciphertext was sealed with an older key and should be re-encrypted. */
  isStale(token: string): boolean {
    return token.split('.')[1] !== this.#current.id;
  }
}

/** Parses `id:base64,id:base64` (previous keys kept for decryption only). */
export function parseKeyList(text: string): EncryptionKey[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const separator = item.indexOf(':');
      if (separator <= 0) throw new Error('each key must read id:base64');
      return { id: item.slice(0, separator), key: decodeKey(item.slice(separator + 1)) };
    });
}

/** A base64 (or base64url) text that must decode to exactly 32 bytes. */
export function decodeKey(text: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new Error('must be base64');
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`must decode to 32 bytes, not ${key.length}`);
  return key;
}

/** A fresh key, base64, for `ENCRYPTION_KEY`. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}
