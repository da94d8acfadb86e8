// The Products API document's JavaScript example (test/fixtures/seed-example.mjs,
// copied verbatim), run under Node against a real hub with the environment an
// integrator sets. It imports '@continuata/sdk' by name (the package's self-reference).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHub } from './hub.js';

let hub;
before(async () => {
  hub = await startHub();
});
after(async () => {
  await hub?.stop();
});

test('the seed JavaScript example runs as written', async () => {
  const script = fileURLToPath(new URL('./fixtures/seed-example.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    env: { ...process.env, CONTINUATA_API_KEY: hub.adminKey, CONTINUATA_API_URL: hub.url },
  });
  const match = stdout.match(/^Download URL: (\S+\/download\?token=(ct_download_\S+))\n$/);
  assert.ok(match, stdout);
  assert.ok(match[1].startsWith(`${hub.url}/download?token=`));

  const page = await fetch(match[1], { headers: { Accept: 'application/json' } });
  assert.equal(page.status, 200);
  const listing = (await page.json()).data;
  assert.deepEqual(listing.files.map((f) => f.path), ['kick.wav']);

  const tokens = await fetch(`${hub.url}/api/products/epic-drums-v1/tokens`, {
    headers: { Authorization: `Bearer ${hub.adminKey}` },
  }).then((r) => r.json());
  const [minted] = tokens.data.tokens;
  assert.deepEqual(minted.metadata, { orderId: 'order_123', source: 'website' });
  assert.equal(minted.customerEmail, 'customer@example.com');
  const days = (new Date(minted.expiresAt) - Date.now()) / 86_400_000;
  assert.ok(days > 29.9 && days < 30.1, `${days}`);
});
