// Verifying the hub's webhooks (Standard Webhooks) with WebCrypto, in Node 18+
// and browsers: webhook-signature is "v1,<base64 HMAC-SHA256 of id.timestamp.body>"
// keyed with the endpoint secret whsec_<base64>; timestamps more than five
// minutes away are refused, so a captured delivery cannot be replayed.
import { WebhookVerificationError } from './errors.js';

export const TOLERANCE_SECONDS = 5 * 60;

async function subtle() {
  if (globalThis.crypto?.subtle) return globalThis.crypto.subtle;
  const { webcrypto } = await import('node:crypto'); // Node 18 without the global
  return webcrypto.subtle;
}

function base64ToBytes(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function keyBytes(secret) {
  if (typeof secret !== 'string') throw new WebhookVerificationError('The webhook secret is not whsec_<base64>');
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  let key;
  try {
    key = base64ToBytes(encoded);
  } catch {
    throw new WebhookVerificationError('The webhook secret is not whsec_<base64>');
  }
  // An unset secret (an empty environment variable) would accept whatever is
  // signed with an empty key; WebCrypto refuses an empty HMAC key with a DataError.
  if (key.length === 0) throw new WebhookVerificationError("The webhook secret is empty: set the endpoint's whsec_ secret");
  return key;
}

function asBytes(payload) {
  return typeof payload === 'string' ? new TextEncoder().encode(payload) : new Uint8Array(payload);
}

/** The webhook-signature value the hub sends for this delivery. */
export async function signWebhook(secret, webhookId, timestamp, payload) {
  const crypto = await subtle();
  const key = await crypto.importKey('raw', keyBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const prefix = new TextEncoder().encode(`${webhookId}.${timestamp}.`);
  const body = asBytes(payload);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  return `v1,${bytesToBase64(new Uint8Array(await crypto.sign('HMAC', key, signed)))}`;
}

function header(headers, name) {
  let value;
  if (typeof headers?.get === 'function') value = headers.get(name);
  else {
    for (const [key, v] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) value = Array.isArray(v) ? v[0] : v;
  }
  if (value === undefined || value === null) throw new WebhookVerificationError(`The ${name} header is missing`);
  return String(value);
}

function sameText(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Check a delivery's signature and timestamp; resolve to its parsed JSON body.
 * `payload` must be the raw body as received. Rejects with a
 * WebhookVerificationError, and nothing else, for a signature that does not
 * match, a timestamp too far from now, a missing or malformed header (any
 * text), or an empty secret.
 */
export async function verifyWebhook(payload, headers, secret, { tolerance = TOLERANCE_SECONDS, now } = {}) {
  keyBytes(secret); // an empty secret is refused before anything is compared
  const webhookId = header(headers, 'webhook-id');
  const stamp = header(headers, 'webhook-timestamp');
  const timestamp = Number(stamp);
  if (!/^\d+$/.test(stamp)) throw new WebhookVerificationError(`The webhook-timestamp header is not a number: ${stamp}`);
  const current = now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(current - timestamp) > tolerance) {
    throw new WebhookVerificationError("The webhook's timestamp is too far from now (older or newer than the tolerance)");
  }
  const expected = (await signWebhook(secret, webhookId, timestamp, payload)).slice(3);
  for (const candidate of header(headers, 'webhook-signature').split(' ')) {
    const [version, signature] = candidate.split(/,(.*)/s);
    if (version === 'v1' && signature !== undefined && sameText(signature, expected)) {
      const text = typeof payload === 'string' ? payload : new TextDecoder().decode(asBytes(payload));
      try {
        return JSON.parse(text);
      } catch {
        throw new WebhookVerificationError("The webhook's body is not JSON");
      }
    }
  }
  throw new WebhookVerificationError('No webhook signature matches this secret');
}
