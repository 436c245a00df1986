import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { blobOf, parseBlob, unwrapKey, wrapKey } from '#src/platform/privacy/local.master-key.js';
import { MasterKeyError } from '#src/platform/privacy/master-key.port.js';
import { closeServer, listenLocal } from './ports.js';

/** A KMS API error as AWS's JSON protocol sends it: the SDK reads `__type` and throws an exception of that name. */
class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface KmsRequest {
  KeyId?: unknown;
  KeySpec?: unknown;
  NumberOfBytes?: unknown;
  CiphertextBlob?: unknown;
  EncryptionContext?: unknown;
}

/**
 * A stand-in for AWS KMS on 127.0.0.1, speaking its JSON 1.1 protocol (`X-Amz-Target: TrentService.<Operation>`),
 * for what the platform uses: `GenerateDataKey` and `Decrypt` of symmetric keys. A ciphertext blob names its key
 * (Decrypt needs no KeyId, and one that names another key is `IncorrectKeyException`); a wrong encryption context
 * or a damaged blob is `InvalidCiphertextException`, as in KMS; an unsigned request is refused. Keys are given
 * at construction (id -> 256 bits), so a test can hold two.
 */
export class LocalKms {
  private server: Server | undefined;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: Readonly<Record<string, Uint8Array>>,
    private readonly region = 'af-south-1',
    private readonly account = '000000000000',
  ) {
    this.keys = new Map(Object.entries(keys).map(([id, key]) => [id, Buffer.from(key)]));
  }

  arnOf(keyId: string): string {
    return `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`;
  }

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return listenLocal(server, port);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
        throw new KmsError(
          'MissingAuthenticationTokenException',
          'Request is missing Authentication Token',
          403,
        );
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as KmsRequest;
      const answer = this.operation(target, body);
      this.send(res, 200, answer);
    } catch (error) {
      const e = error instanceof KmsError ? error : new KmsError('KMSInternalException', String(error), 500);
      res.setHeader('x-amzn-errortype', e.type);
      this.send(res, e.status, { __type: e.type, message: e.message });
    }
  }

  private operation(target: string, body: KmsRequest): Record<string, unknown> {
    switch (target) {
      case 'TrentService.GenerateDataKey':
        return this.generateDataKey(body);
      case 'TrentService.Decrypt':
        return this.decrypt(body);
      default:
        throw new KmsError('UnknownOperationException', `${target} is not supported by the local KMS`);
    }
  }

  private generateDataKey(body: KmsRequest): Record<string, unknown> {
    const keyId = this.keyIdOf(body.KeyId);
    const bytes =
      body.KeySpec === 'AES_256' ? 32 : body.KeySpec === 'AES_128' ? 16 : Number(body.NumberOfBytes);
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
      throw new KmsError('ValidationException', 'KeySpec or NumberOfBytes is required');
    }
    const plaintext = randomBytes(bytes);
    const wrapped = wrapKey(this.keyOf(keyId), plaintext, contextOf(body.EncryptionContext));
    return {
      KeyId: this.arnOf(keyId),
      Plaintext: plaintext.toString('base64'),
      CiphertextBlob: blobOf(keyId, wrapped).toString('base64'),
    };
  }

  private decrypt(body: KmsRequest): Record<string, unknown> {
    const { keyId, wrapped } = parseCiphertext(body.CiphertextBlob);
    if (body.KeyId !== undefined && this.keyIdOf(body.KeyId) !== keyId) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify the key used to encrypt',
      );
    }
    try {
      const plaintext = unwrapKey(this.keyOf(keyId), wrapped, contextOf(body.EncryptionContext));
      return {
        KeyId: this.arnOf(keyId),
        Plaintext: plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    } catch (error) {
      if (error instanceof MasterKeyError) throw new KmsError('InvalidCiphertextException', '');
      throw error;
    }
  }

  /** A key id, or a key ARN of this region and account (aliases are not supported here). */
  private keyIdOf(value: unknown): string {
    if (typeof value !== 'string' || value === '')
      throw new KmsError('ValidationException', 'KeyId is required');
    const prefix = `arn:aws:kms:${this.region}:${this.account}:key/`;
    const id = value.startsWith(prefix) ? value.slice(prefix.length) : value;
    if (!this.keys.has(id)) throw new KmsError('NotFoundException', `Key '${this.arnOf(id)}' does not exist`);
    return id;
  }

  private keyOf(keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new KmsError('NotFoundException', `Key '${this.arnOf(keyId)}' does not exist`);
    return key;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  }
}

function contextOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (
    value === null ||
    typeof value !== 'object' ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw new KmsError('ValidationException', 'EncryptionContext must map strings to strings');
  }
  return value as Record<string, string>;
}

/** The blob carries its key, as KMS's does (the local master key writes the same format). */
function parseCiphertext(value: unknown): { keyId: string; wrapped: Buffer } {
  const blob = parseBlob(typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0));
  if (!blob) throw new KmsError('InvalidCiphertextException', '');
  return blob;
}
