/**
 * Encryption at rest for BMS passwords: AES-256-GCM with a key from SECRET_KEY, or, for embedded runs,
 * a generated key kept in the data folder with owner-only permissions.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(secret: string) {
    const trimmed = secret.trim();
    const raw = /^[A-Za-z0-9+/=]{43,44}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
    // A 32-byte base64 key is used as is; any other secret is stretched to 32 bytes.
    this.key = raw?.length === 32 ? raw : createHash('sha256').update(trimmed).digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Unreadable encrypted secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** The configured key, or the data folder's generated key (created on first use, mode 0600). */
export function loadSecretBox(secretKey: string | undefined, dataDir: string): SecretBox {
  if (secretKey) return new SecretBox(secretKey);
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return new SecretBox(readFileSync(file, 'utf8'));
}
