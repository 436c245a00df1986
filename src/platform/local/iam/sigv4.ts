/**
 * SigV4 verification for the local stand-ins: the signature a request carries, recomputed with the secret key the
 * caller's access key stands for (AWS's "Signature Version 4" canonical request, string to sign and signing key).
 * Enough for the SDK's JSON and Query protocol requests the stand-ins serve; nothing here is bundled into a Lambda.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  method: string;
  /** Path and query, as received (`/`, `/?Action=...`). */
  url: string;
  /** Node's lower-cased headers. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding, as SigV4 wants it (unreserved characters kept). */
const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=');
      return [
        encode(decodeURIComponent(k.replace(/\+/g, ' '))),
        encode(decodeURIComponent(v.replace(/\+/g, ' '))),
      ];
    })
    .sort(([a = '', x = ''], [b = '', y = '']) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Whether the request's SigV4 signature is the one `secretAccessKey` makes (false: malformed or another secret). */
export function signatureMatches(request: SignedRequest, secretAccessKey: string): boolean {
  const authorization = String(request.headers.authorization ?? '');
  const parsed = AUTHORIZATION.exec(authorization);
  const amzDate = request.headers['x-amz-date'];
  if (!parsed || typeof amzDate !== 'string') return false;
  const [, , date = '', region = '', service = '', signedHeaders = '', signature = ''] = parsed;
  const [path = '/', query = ''] = request.url.split('?', 2) as [string, string?];
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash =
    typeof request.headers['x-amz-content-sha256'] === 'string'
      ? request.headers['x-amz-content-sha256']
      : sha256(request.body);
  // Not S3: each path segment is encoded once more (the SDK signs the encoded path encoded again).
  const canonicalPath = path
    .split('/')
    .map((segment) => encode(segment))
    .join('/');
  const canonicalRequest = [
    request.method,
    canonicalPath,
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
