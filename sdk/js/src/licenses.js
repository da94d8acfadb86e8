// Verifying the hub's offline license files with no network and no
// dependency: Ed25519 through WebCrypto (Node 18.4+ `node:crypto`'s
// webcrypto, and current browsers). A license file is
//   -----BEGIN LICENSE FILE-----
//   <base64 of {"enc", "sig", "alg": "base64+ed25519"}>
//   -----END LICENSE FILE-----
// where `enc` is the base64 of the license's JSON and `sig` the base64
// Ed25519 signature of `enc`'s ASCII bytes; the public key (raw, base64) is
// GET /api/licenses/public-key?org=<org>.
import { LicenseFileError } from './errors.js';

const BEGIN = '-----BEGIN LICENSE FILE-----';
const END = '-----END LICENSE FILE-----';
const ALGORITHM = 'base64+ed25519';

async function subtle() {
  if (globalThis.crypto?.subtle) return globalThis.crypto.subtle;
  const { webcrypto } = await import('node:crypto'); // Node 18 without the global
  return webcrypto.subtle;
}

function base64ToBytes(text, what) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new LicenseFileError(`The license file's ${what} is not base64`);
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function time(value) {
  return value ? new Date(value) : null;
}

/**
 * Check a license file's signature with the shop's public key (base64 or
 * bytes) and resolve to what it says: { org, productId, productName,
 * licenseId, key, fingerprint, issued, ttl, checkInBy, expiry, raw }.
 * Rejects with a LicenseFileError for a file that is not one, a signature
 * that does not match (one changed byte), another machine's file (when
 * `fingerprint` is given), or one past its checkInBy (its TTL) or its
 * license's expiry at `now` (default: the current time).
 */
export async function verifyLicenseFile(certificate, publicKey, { fingerprint, now } = {}) {
  const text = String(certificate ?? '').trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
    throw new LicenseFileError('Not a license file (no BEGIN LICENSE FILE / END LICENSE FILE lines)');
  }
  const body = text.slice(BEGIN.length, text.length - END.length).replace(/\s+/g, '');
  let envelope;
  try {
    envelope = JSON.parse(new TextDecoder().decode(base64ToBytes(body, 'body')));
  } catch (error) {
    if (error instanceof LicenseFileError) throw error;
    throw new LicenseFileError('The license file is damaged (no enc, sig and alg inside)');
  }
  const { enc, sig, alg } = envelope ?? {};
  if (alg !== ALGORITHM) throw new LicenseFileError(`Unknown license file algorithm ${JSON.stringify(alg)}`);
  if (typeof enc !== 'string' || typeof sig !== 'string') {
    throw new LicenseFileError('The license file is damaged (enc and sig must be text)');
  }
  const crypto = await subtle();
  const raw = typeof publicKey === 'string' ? base64ToBytes(publicKey, 'public key') : new Uint8Array(publicKey);
  let valid = false;
  try {
    const key = await crypto.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    valid = await crypto.verify({ name: 'Ed25519' }, key, base64ToBytes(sig, 'signature'), new TextEncoder().encode(enc));
  } catch (error) {
    if (error instanceof LicenseFileError) throw error;
    valid = false;
  }
  if (!valid) throw new LicenseFileError("The license file's signature does not match: it was changed, or is another shop's");
  const data = JSON.parse(new TextDecoder().decode(base64ToBytes(enc, 'data')));
  const license = {
    org: data.org,
    productId: data.product.id,
    productName: data.product.name,
    licenseId: data.license.id,
    key: data.license.key,
    fingerprint: data.fingerprint,
    issued: time(data.issued),
    ttl: data.ttl,
    checkInBy: time(data.checkInBy),
    expiry: time(data.expiry),
    raw: data,
  };
  const moment = now ?? new Date();
  if (fingerprint !== undefined && fingerprint !== null && fingerprint !== license.fingerprint) {
    throw new LicenseFileError('The license file is for another machine');
  }
  if (license.expiry && moment >= license.expiry) throw new LicenseFileError('The license has expired');
  if (moment >= license.checkInBy) throw new LicenseFileError("The license file's TTL is over: check in with the shop again");
  return license;
}
