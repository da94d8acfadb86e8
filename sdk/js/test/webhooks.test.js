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
