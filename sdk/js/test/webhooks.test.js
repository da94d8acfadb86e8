// verifyWebhook (Standard Webhooks, WebCrypto) on the specification's own example.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebhookVerificationError, signWebhook, verifyWebhook } from '@continuata/sdk';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const STAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const headers = (signature = SIGNATURE, stamp = String(STAMP)) => ({
  'webhook-id': ID,
  'webhook-timestamp': stamp,
  'webhook-signature': signature,
});

test('the specification example signs and verifies', async () => {
  assert.equal(await signWebhook(SECRET, ID, STAMP, BODY), SIGNATURE);
  assert.deepEqual(await verifyWebhook(BODY, headers(), SECRET, { now: STAMP + 10 }), { test: 2432232314 });
  const fetchHeaders = new Headers(headers(`v1,bm90IHRoaXMgb25l ${SIGNATURE}`));
  assert.deepEqual(await verifyWebhook(new TextEncoder().encode(BODY), fetchHeaders, SECRET, { now: STAMP }), { test: 2432232314 });
});

test('tampered, stale or incomplete deliveries are refused', async () => {
  const refused = (promise, pattern) => assert.rejects(promise, (e) => e instanceof WebhookVerificationError && pattern.test(e.message));
  await refused(verifyWebhook('{"test": 2432232315}', headers(), SECRET, { now: STAMP }), /No webhook signature matches/);
  await refused(verifyWebhook(BODY, headers(`v2,${SIGNATURE.slice(3)}`), SECRET, { now: STAMP }), /No webhook signature matches/);
  await refused(verifyWebhook(BODY, headers(), SECRET, { now: STAMP + 301 }), /too far from now/);
  await refused(verifyWebhook(BODY, headers(), SECRET, { now: STAMP - 301 }), /too far from now/);
  await refused(verifyWebhook(BODY, { 'webhook-id': ID, 'webhook-signature': SIGNATURE }, SECRET), /webhook-timestamp header is missing/);
  await refused(verifyWebhook(BODY, headers(SIGNATURE, 'soon'), SECRET, { now: STAMP }), /not a number/);
});

test('an empty secret verifies nothing (and is refused as a verification error, not a DataError)', async () => {
  const { createHmac } = await import('node:crypto');
  const forged = `v1,${createHmac('sha256', Buffer.alloc(0)).update(`${ID}.${STAMP}.${BODY}`).digest('base64')}`;
  for (const secret of ['', 'whsec_']) {
    await assert.rejects(
      verifyWebhook(BODY, headers(forged), secret, { now: STAMP }),
      (e) => e instanceof WebhookVerificationError && /secret is empty/.test(e.message),
    );
    await assert.rejects(signWebhook(secret, ID, STAMP, BODY), (e) => e instanceof WebhookVerificationError);
  }
});

test('a malformed header of any text is a verification error', async () => {
  const malformed = ['v1,\u00e9t\u00e9', `${SIGNATURE}\u00e9`, 'v1,\u{1F600}', '\u00e9', 'v1,\u0000', 'v1', ',', '', ' '];
  for (const signature of malformed) {
    await assert.rejects(verifyWebhook(BODY, headers(signature), SECRET, { now: STAMP }), WebhookVerificationError);
  }
  for (const stamp of ['\u0661\u0666\u0661\u0664', ' 1614265330', '+1614265330', '1e9', '9'.repeat(400), '']) {
    await assert.rejects(verifyWebhook(BODY, headers(SIGNATURE, stamp), SECRET, { now: STAMP }), WebhookVerificationError);
  }
});

test('random headers, bodies and secrets either verify or raise the verification error', async () => {
  // A small seeded fuzzer (no dependency): any text in any header.
  let seed = 20;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pieces = [SIGNATURE, String(STAMP), ID, 'v1,', 'v1', ',', ' ', 'whsec_', '\u00e9', '\u{1F600}', '\u0000', '\ud800', '=', '+/'];
  const text = () => {
    let out = '';
    const n = Math.floor(next() * 6);
    for (let i = 0; i < n; i += 1) {
      out += next() < 0.5 ? pieces[Math.floor(next() * pieces.length)] : String.fromCharCode(Math.floor(next() * 0x3000));
    }
    return out;
  };
  for (let i = 0; i < 500; i += 1) {
    const sent = { 'webhook-id': next() < 0.5 ? ID : text(), 'webhook-timestamp': next() < 0.5 ? String(STAMP) : text(), 'webhook-signature': text() };
    const secret = next() < 0.5 ? SECRET : text();
    const body = next() < 0.5 ? BODY : text();
    try {
      await verifyWebhook(body, sent, secret, { now: STAMP });
    } catch (e) {
      assert.ok(e instanceof WebhookVerificationError, `${e?.name}: ${e?.message} for ${JSON.stringify({ sent, secret, body })}`);
    }
  }
});
