// ContinuataClient against a real hub: orgId check, products and pagination,
// tokens with Date times, purchases, report, resumable upload with progress,
// errors with the hub's status and message, retries through a flaky proxy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  APIConnectionError,
  AuthenticationError,
  ConflictError,
  ContinuataClient,
  InternalServerError,
  NotFoundError,
  OrganizationMismatchError,
  PermissionDeniedError,
  UploadError,
  ValidationError,
  bytesSource,
} from '@continuata/sdk';
import { folderSources, uploadFolder } from '@continuata/sdk/node';
import { ORG, startHub } from './hub.js';

let hub;
let client;
before(async () => {
  hub = await startHub();
  client = new ContinuataClient({ apiKey: hub.adminKey, orgId: ORG, baseUrl: hub.url });
});
after(async () => {
  await hub?.stop();
});

const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

test('me, and the orgId checked against the key before the first call', async () => {
  const me = await new ContinuataClient({ apiKey: hub.adminKey, baseUrl: hub.url }).me();
  assert.equal(me.organization.id, ORG);
  assert.equal(me.role, 'admin');
  const wrong = new ContinuataClient({ apiKey: hub.adminKey, orgId: 'another-shop', baseUrl: hub.url });
  await assert.rejects(wrong.products.get('epic-drums-v1'), (error) => {
    assert.ok(error instanceof OrganizationMismatchError);
    assert.match(error.message, /'your-org-id', not 'another-shop'/);
    return true;
  });
  assert.throws(() => new ContinuataClient({ apiKey: 'k', baseUrl: undefined, fetch }), /CONTINUATA_API_URL/);
});

test('products: create, iterate page by page, update, delete', async () => {
  const prefix = unique('kit');
  for (let n = 0; n < 5; n += 1) await client.products.create({ name: `${prefix} ${n}`, slug: `${prefix}-${n}` });
  const seen = [];
  for await (const product of client.products.list({ search: prefix, pageSize: 2 })) seen.push(product);
  assert.deepEqual(seen.map((p) => p.slug).sort(), [0, 1, 2, 3, 4].map((n) => `${prefix}-${n}`));
  assert.ok(seen[0].createdAt instanceof Date);
  const page = await client.products.listPage({ search: prefix, limit: 2, offset: 4 });
  assert.equal(page.products.length, 1);
  assert.deepEqual(page.pagination, { total: 5, limit: 2, offset: 4, hasMore: false });

  const published = await client.products.update(`${prefix}-0`, { status: 'published' });
  assert.equal(published.status, 'published');
  await assert.rejects(client.products.delete(`${prefix}-0`), ConflictError);
  await client.products.delete(`${prefix}-1`);
  await assert.rejects(client.products.get(`${prefix}-1`), (error) => error instanceof NotFoundError && error.status === 404);
});

test('update rights: set on create and update, refused without days, shown on the product', async () => {
  const slug = unique('rights');
  const made = await client.products.create({ name: 'Rights', slug, updateRights: 'window', updateWindowDays: 365 });
  assert.equal(made.updateRights, 'window');
  assert.equal(made.updateWindowDays, 365);
  const changed = await client.products.update(slug, { updateRights: 'none' });
  assert.equal(changed.updateRights, 'none');
  assert.equal(changed.updateWindowDays, null);
  await assert.rejects(client.products.update(slug, { updateRights: 'window' }), (error) => error instanceof ValidationError && /updateWindowDays/.test(error.message));
  await assert.rejects(client.products.update(slug, { notify: true }), ValidationError);
});

test('tokens: Date in, Date out; listed without secrets; revoked', async () => {
  const expiresAt = new Date('2099-07-01T16:00:00Z');
  const token = await client.products.createToken('epic-drums-v1', { customerEmail: 'buyer@example.com', expiresAt, maxDownloads: 2 });
  assert.ok(token.expiresAt instanceof Date);
  assert.equal(token.expiresAt.getTime(), expiresAt.getTime());
  assert.equal(token.maxDownloads, 2);
  assert.ok(token.downloadUrl.startsWith(`${hub.url}/download?token=ct_download_`));

  const listed = [];
  for await (const t of client.products.listTokens('epic-drums-v1', { pageSize: 1 })) listed.push(t);
  const mine = listed.find((t) => t.id === token.id);
  assert.ok(mine && mine.token === undefined && mine.downloadUrl === undefined);

  const revoked = await client.products.revokeToken('epic-drums-v1', token.id);
  assert.equal(revoked.revoked, true);
  assert.equal((await fetch(token.downloadUrl, { headers: { Accept: 'application/json' } })).status, 410);
});

test('generate-download-url, purchases and the downloads report', async () => {
  const link = await client.generateDownloadUrl('epic-drums-v1');
  assert.equal(link.version, '1.0.0');
  assert.ok(link.expiresAt instanceof Date);
  await assert.rejects(client.generateDownloadUrl('epic-drums-v1', { version: '9.9.9' }), /No active manifest for epic-drums-v1@9.9.9/);

  const reference = unique('order');
  const email = `${reference}@example.com`;
  const first = await client.purchases.create({ reference, customerEmail: email, items: ['epic-drums-v1'], amount: 1900, currency: 'EUR' });
  assert.equal(first.created, true);
  assert.ok(first.purchase.tokens[0].downloadUrl);
  const again = await client.purchases.create({ reference, customerEmail: email, items: [{ productId: 'epic-drums-v1' }] });
  assert.equal(again.created, false);
  const found = [];
  for await (const p of client.purchases.list({ customerEmail: email })) found.push(p.id);
  assert.deepEqual(found, [first.purchase.id]);

  const csv = await client.reports.downloadsCsv({ from: new Date('2000-01-01'), to: '2000-01-02' });
  assert.ok(csv.startsWith('session_id,'));
});

test('errors carry the status and the hub message', async () => {
  await assert.rejects(client.products.create({ name: 'Again', slug: 'epic-drums-v1' }), ConflictError);
  await assert.rejects(client.products.createToken('epic-drums-v1', { customerEmail: 'nope' }), (error) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.status, 422);
    assert.match(error.message, /customerEmail/);
    assert.equal(error.body.success, false);
    return true;
  });
  const stranger = new ContinuataClient({ apiKey: 'ct_key_unknown', baseUrl: hub.url });
  await assert.rejects(stranger.products.get('epic-drums-v1'), (error) => error instanceof AuthenticationError && error.status === 401);
  const viewer = new ContinuataClient({ apiKey: hub.viewerKey, orgId: ORG, baseUrl: hub.url });
  await assert.rejects(viewer.products.create({ name: 'No' }), PermissionDeniedError);

  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const nowhere = new ContinuataClient({ apiKey: hub.adminKey, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 });
  await assert.rejects(nowhere.products.get('epic-drums-v1'), (error) => error instanceof APIConnectionError && error.status === undefined);
});

test('a folder upload resumes what an earlier run left and reports progress', async () => {
  const slug = unique('upload');
  await client.products.create({ name: 'Upload', slug });
  const folder = mkdtempSync(join(tmpdir(), 'continuata-folder-'));
  try {
    const big = randomBytes(11 * 1024 * 1024);
    mkdirSync(join(folder, 'Kicks'));
    writeFileSync(join(folder, 'Kicks', 'Big Kick.wav'), big);
    writeFileSync(join(folder, 'README.txt'), 'thanks\n');
    const sources = await folderSources(folder);
    assert.deepEqual(sources.map((s) => s.path), ['Kicks/Big Kick.wav', 'README.txt']);
    // An earlier run: the version exists and the big file has its first part.
    await client.versions.create(slug, { version: '1.0.0', files: sources.map(({ path, size, sha256 }) => ({ path, size, sha256 })) });
    const started = await client.uploads.start(slug, '1.0.0', 'Kicks/Big Kick.wav');
    assert.equal(started.partCount, 3);
    await client.uploads.putPart(started.id, 1, big.subarray(0, started.partSize));

    const progress = [];
    const version = await uploadFolder(client, slug, '1.0.0', folder, { activate: true, onProgress: (p) => progress.push(p) });
    assert.equal(version.status, 'ready');
    assert.equal(version.fileCount, 2);
    const last = progress.at(-1);
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.filesDone, 2);
    assert.equal((await client.products.get(slug)).activeVersion.version, '1.0.0');

    writeFileSync(join(folder, 'README.txt'), 'changed\n');
    await assert.rejects(uploadFolder(client, slug, '1.0.0', folder), UploadError);
    await assert.rejects(folderSources(join(folder, 'nope')), /is not a folder/);

    // In memory (as in a browser): bytes or Blobs.
    const inMemory = await client.versions.upload(slug, '1.1.0', [
      { path: 'a.txt', data: 'hello' },
      await bytesSource('b.bin', new Blob([new Uint8Array([1, 2, 3])])),
    ]);
    assert.equal(inMemory.status, 'ready');
    assert.equal(inMemory.size, 8);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a file whose parts storage lost before completion is started over', async () => {
  const slug = unique('lost');
  await client.products.create({ name: 'Lost parts', slug });
  const data = randomBytes(6 * 1024 * 1024); // two parts
  const multipart = join(hub.dataDir, 'blobs', '.multipart');
  let dropped = false;
  const progress = [];
  const version = await client.versions.upload(slug, '1.0.0', [{ path: 'kit.zip', data }], {
    onProgress: (p) => {
      progress.push(p.bytesDone);
      if (!dropped && p.bytesDone === p.bytesTotal && p.filesDone === 0) {
        // Storage drops the multipart upload (a lifecycle rule, an operator) before completion.
        assert.ok(existsSync(multipart));
        rmSync(multipart, { recursive: true, force: true });
        dropped = true;
      }
    },
  });
  assert.ok(dropped);
  assert.equal(version.status, 'ready');
  // Both parts were sent twice: progress went back to the start of the file once.
  assert.deepEqual(progress, [5 * 1024 * 1024, data.length, 5 * 1024 * 1024, data.length, data.length]);
});

test('idempotent calls are retried on 5xx, others are not', async () => {
  let failuresLeft = 0;
  const seen = { GET: 0, POST: 0 };
  const proxy = createServer(async (request, response) => {
    seen[request.method] = (seen[request.method] ?? 0) + 1;
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      response.writeHead(503, { 'Content-Type': 'application/json' }).end('{"success": false, "error": "Service unavailable"}');
      return;
    }
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const upstream = await fetch(hub.url + request.url, {
      method: request.method,
      headers: { Authorization: request.headers.authorization, 'Content-Type': request.headers['content-type'] ?? 'application/json' },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    response.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') }).end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const flaky = new ContinuataClient({ apiKey: hub.adminKey, baseUrl: `http://127.0.0.1:${proxy.address().port}`, maxRetries: 2 });
    failuresLeft = 2;
    assert.equal((await flaky.products.get('epic-drums-v1')).id, 'epic-drums-v1');
    assert.equal(seen.GET, 3);
    failuresLeft = 1;
    await assert.rejects(flaky.products.createToken('epic-drums-v1'), (error) => error instanceof InternalServerError && error.status === 503);
    assert.equal(seen.POST, 1);
  } finally {
    proxy.close();
  }
});

test('webhook endpoint methods (when the hub serves them)', async (t) => {
  const probe = await fetch(`${hub.url}/api/webhook-endpoints`, { headers: { Authorization: `Bearer ${hub.adminKey}` } });
  if (probe.status === 404) {
    t.skip('this hub does not serve /api/webhook-endpoints yet');
    return;
  }
  const endpoint = await client.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hooks', events: ['token.created'], description: 'shop' });
  assert.match(endpoint.secret, /^whsec_/);
  assert.ok((await client.webhookEndpoints.list()).some((e) => e.id === endpoint.id));
  const changed = await client.webhookEndpoints.update(endpoint.id, { description: 'the shop' });
  assert.equal(changed.description, 'the shop');
  const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id);
  assert.notEqual(rotated.secret, endpoint.secret);
  assert.ok(Array.isArray(await client.webhookEndpoints.deliveries(endpoint.id)));
  await client.webhookEndpoints.redeliver(endpoint.id, { since: new Date('2000-01-01') });
  await client.webhookEndpoints.delete(endpoint.id);
  await assert.rejects(client.webhookEndpoints.get(endpoint.id), NotFoundError);
});

test('organization: the shop identity buyers see, read and changed (admin key)', async () => {
  const before = await client.organization.get();
  assert.equal(before.id, ORG);
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC';
  const changed = await client.organization.update({
    name: 'Kick & Snare Audio', supportEmail: 'help@kick-snare.example', accentColor: '#0f766e', logo: `data:image/png;base64,${png}`,
  });
  assert.equal(changed.name, 'Kick & Snare Audio');
  assert.equal(changed.supportEmail, 'help@kick-snare.example');
  assert.match(changed.logoUrl, /\/logos\/[0-9a-f]{64}$/);
  const removed = await client.organization.update({ logo: null });
  assert.equal(removed.logoUrl, null);
  assert.equal(removed.name, 'Kick & Snare Audio');
  await assert.rejects(client.organization.update({ accentColor: 'teal' }), (error) => error.status === 422 && /#rrggbb/.test(error.message));
});
