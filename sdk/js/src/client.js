// ContinuataClient: the hub's address and key, retries, the orgId check,
// and the resources (client.products, client.versions, ...).
import {
  APIConnectionError,
  ConflictError,
  ContinuataError,
  OrganizationMismatchError,
  UploadError,
  errorForStatus,
} from './errors.js';

export const VERSION = '0.1.0';
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const PAGE_SIZE = 100;
/**
 * How many times one file's upload is started over when the hub answers 409 to
 * its completion: the upload was aborted meanwhile, or storage lost parts and
 * the hub asks for them again (the next round asks which). As the Python SDK.
 */
const UPLOAD_ROUNDS = 3;

function env(name) {
  return typeof process !== 'undefined' && process.env ? process.env[name] : undefined;
}

/** Times for the hub: Date objects as ISO 8601 (UTC), strings untouched. */
function time(value) {
  return value instanceof Date ? value.toISOString() : value;
}

/** Drop undefined values (null is sent as JSON null). */
function compact(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/** The API's ISO times (fields named ...At) as Date objects, everywhere in an answer. */
export function reviveTimes(value) {
  if (Array.isArray(value)) return value.map(reviveTimes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        /At$/.test(key) && typeof v === 'string' ? new Date(v) : reviveTimes(v),
      ]),
    );
  }
  return value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function sha256Hex(bytes) {
  const subtle = globalThis.crypto?.subtle ?? (await import('node:crypto')).webcrypto.subtle;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** An upload source from bytes held in memory (Uint8Array, ArrayBuffer, Blob/File or string). */
export async function bytesSource(path, data) {
  let bytes;
  if (typeof data === 'string') bytes = new TextEncoder().encode(data);
  else if (typeof Blob !== 'undefined' && data instanceof Blob) bytes = new Uint8Array(await data.arrayBuffer());
  else bytes = new Uint8Array(data);
  return { path, size: bytes.length, sha256: await sha256Hex(bytes), read: async (start, end) => bytes.subarray(start, end) };
}

export class ContinuataClient {
  /**
   * @param {object} options apiKey (else CONTINUATA_API_KEY), orgId (checked on first use),
   *   baseUrl (else CONTINUATA_API_URL), maxRetries (2), timeout in ms (60000), fetch.
   */
  constructor({ apiKey, orgId, baseUrl, maxRetries = 2, timeout = 60_000, fetch: fetchImpl } = {}) {
    this.apiKey = apiKey ?? env('CONTINUATA_API_KEY');
    if (!this.apiKey) throw new ContinuataError('An API key is needed: pass apiKey or set CONTINUATA_API_KEY');
    const base = baseUrl ?? env('CONTINUATA_API_URL');
    if (!base) {
      throw new ContinuataError("The hub's address is needed: pass baseUrl or set CONTINUATA_API_URL (e.g. http://127.0.0.1:8000)");
    }
    this.baseUrl = base.replace(/\/+$/, '');
    this.orgId = orgId;
    this.maxRetries = maxRetries;
    this.timeout = timeout;
    this._fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
    this._orgCheck = null;
    this.products = new Products(this);
    this.versions = new Versions(this);
    this.uploads = new Uploads(this);
    this.purchases = new Purchases(this);
    this.reports = new Reports(this);
    this.webhookEndpoints = new WebhookEndpoints(this);
    this.organization = new Organization(this);
  }

  /** Who the API key is: its organization and role. */
  async me() {
    const me = await this._send({ method: 'GET', path: '/api/me' });
    this._checkOrg(me);
    return me;
  }

  /** A download link valid 24 hours for the product's active (or given) version. */
  async generateDownloadUrl(productId, { version } = {}) {
    return this.request({ method: 'POST', path: '/api/generate-download-url', json: compact({ productId, version }) });
  }

  _checkOrg(me) {
    if (this.orgId === undefined || this.orgId === null) return;
    const actual = me?.organization?.id ?? '';
    if (actual !== this.orgId) {
      throw new OrganizationMismatchError(
        `This API key belongs to organization '${actual}', not '${this.orgId}': check orgId and CONTINUATA_API_KEY`,
      );
    }
  }

  /** Send one request of the API (after the orgId check); resolves to the answer's `data`. */
  async request(call) {
    if (this.orgId !== undefined && this.orgId !== null) {
      this._orgCheck ??= this.me().catch((problem) => {
        this._orgCheck = null;
        throw problem;
      });
      await this._orgCheck;
    }
    return this._send(call);
  }

  _retryDelay(call, attempt, problem, response) {
    if (attempt >= this.maxRetries) return null;
    const delay = Math.min(8000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    const repeatable = call.idempotent ?? IDEMPOTENT_METHODS.has(call.method);
    if (problem) return problem.neverSent || repeatable ? delay : null;
    if (response.status === 429) {
      const advice = Number(response.headers.get('retry-after'));
      return Number.isFinite(advice) && advice > 0 ? Math.min(advice, 30) * 1000 : delay;
    }
    return RETRYABLE_STATUS.has(response.status) && repeatable ? delay : null;
  }

  async _send(call) {
    const url = new URL(this.baseUrl + call.path);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(time(value)));
    }
    const headers = { Authorization: `Bearer ${this.apiKey}`, Accept: 'application/json', ...call.headers };
    let body = call.body;
    if (body === undefined && (call.json !== undefined || ['POST', 'PATCH'].includes(call.method))) {
      body = JSON.stringify(call.json ?? {});
      headers['Content-Type'] = 'application/json';
    }
    for (let attempt = 0; ; attempt += 1) {
      let response;
      let problem;
      try {
        response = await this._fetch(url, { method: call.method, headers, body, signal: AbortSignal.timeout(this.timeout) });
      } catch (error) {
        problem = error;
        // fetch says "fetch failed" with the cause; a refused connection never sent the request.
        problem.neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(error?.cause?.code);
      }
      const wait = this._retryDelay(call, attempt, problem, response);
      if (wait === null) {
        if (problem) {
          throw new APIConnectionError(`Cannot reach the hub at ${this.baseUrl}: ${problem.cause?.message ?? problem.message}`);
        }
        return this._answer(call, response);
      }
      await sleep(wait);
    }
  }

  async _answer(call, response) {
    const text = await response.text();
    if (response.ok) {
      if (call.text) return text;
      if (!text) return null;
      const parsed = JSON.parse(text);
      return reviveTimes(parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed);
    }
    let payload;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = undefined;
    }
    const message = typeof payload?.error === 'string' ? payload.error : text.slice(0, 500) || response.statusText;
    const retryAfter = Number(response.headers.get('retry-after')) || undefined;
    throw errorForStatus(response.status, message, payload, retryAfter);
  }

  /** Every item of a paginated list, page after page (for await ... of). */
  async *_paginate(path, key, query, pageSize = PAGE_SIZE) {
    for (let offset = 0; ; ) {
      const page = await this.request({ method: 'GET', path, query: { ...query, limit: pageSize, offset } });
      yield* page[key];
      offset += page[key].length;
      if (!page.pagination?.hasMore || page[key].length === 0) return;
    }
  }
}

class Resource {
  constructor(client) {
    this._client = client;
  }
}

class Products extends Resource {
  /** Every product (optionally by status or search): `for await (const p of client.products.list())`. */
  list({ status, search, pageSize } = {}) {
    return this._client._paginate('/api/products', 'products', { status, search }, pageSize);
  }

  /** One page, with the hub's pagination: `{products, pagination}`. */
  listPage({ status, search, limit = 50, offset = 0 } = {}) {
    return this._client.request({ method: 'GET', path: '/api/products', query: { status, search, limit, offset } });
  }

  async get(productId) {
    return (await this._client.request({ method: 'GET', path: `/api/products/${encodeURIComponent(productId)}` })).product;
  }

  async create({ name, slug, description, metadata, updateRights, updateWindowDays }) {
    const json = compact({ name, slug, description, metadata, updateRights, updateWindowDays });
    return (await this._client.request({ method: 'POST', path: '/api/products', json })).product;
  }

  /**
   * Change only the fields given; `status: 'published'` publishes, `activeVersion: '1.1.0'` switches versions
   * (with `notify: true` and an optional `note`, every entitled buyer gets one update email);
   * `updateRights` applies to versions released from then on.
   */
  async update(productId, changes) {
    const path = `/api/products/${encodeURIComponent(productId)}`;
    return (await this._client.request({ method: 'PATCH', path, json: compact(changes), idempotent: true })).product;
  }

  async delete(productId) {
    await this._client.request({ method: 'DELETE', path: `/api/products/${encodeURIComponent(productId)}` });
  }

  /** Mint a download token (30 days and unlimited downloads unless told). */
  async createToken(productId, { customerEmail, expiresAt, maxDownloads, metadata, version } = {}) {
    const json = compact({ customerEmail, expiresAt: time(expiresAt), maxDownloads, metadata, version });
    const path = `/api/products/${encodeURIComponent(productId)}/tokens`;
    return (await this._client.request({ method: 'POST', path, json })).token;
  }

  /** Every token of the product, newest first (secrets are never shown again). */
  listTokens(productId, { pageSize } = {}) {
    return this._client._paginate(`/api/products/${encodeURIComponent(productId)}/tokens`, 'tokens', {}, pageSize);
  }

  async revokeToken(productId, tokenId) {
    const path = `/api/products/${encodeURIComponent(productId)}/tokens/${encodeURIComponent(tokenId)}`;
    return (await this._client.request({ method: 'DELETE', path })).token;
  }
}

function sameFiles(version, files) {
  const key = (f) => `${f.path}\u0000${f.size}\u0000${f.sha256}`;
  const theirs = new Set((version.files ?? []).map(key));
  return theirs.size === files.length && files.every((f) => theirs.has(key(f)));
}

class Versions extends Resource {
  async list(productId) {
    return (await this._client.request({ method: 'GET', path: `/api/products/${encodeURIComponent(productId)}/versions` })).versions;
  }

  async get(productId, version) {
    const path = `/api/products/${encodeURIComponent(productId)}/versions/${encodeURIComponent(version)}`;
    return (await this._client.request({ method: 'GET', path })).version;
  }

  /** A pending version from a manifest [{path, size, sha256}]; upload its files next. */
  async create(productId, { version, files, changelog }) {
    const path = `/api/products/${encodeURIComponent(productId)}/versions`;
    return (await this._client.request({ method: 'POST', path, json: compact({ version, files, changelog }) })).version;
  }

  /**
   * Upload files as `version`, resumably: run it again after a failure and only what is
   * missing is sent. `files`: upload sources ({path, size, sha256, read(start, end)}, see
   * `bytesSource` and, in Node, `folderSources` from '@continuata/sdk/node') or {path, data}.
   * `onProgress({path, bytesDone, bytesTotal, filesDone, filesTotal})` is called after each part.
   */
  async upload(productId, version, files, { changelog, activate = false, notify = false, note, onProgress } = {}) {
    const sources = await Promise.all(files.map((f) => (typeof f.read === 'function' ? f : bytesSource(f.path, f.data))));
    if (sources.length === 0) throw new UploadError('There are no files to upload');
    const manifest = sources.map(({ path, size, sha256 }) => ({ path, size, sha256 }));
    const byPath = new Map(sources.map((s) => [s.path, s]));
    let current;
    try {
      current = await this.create(productId, { version, files: manifest, changelog });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      current = await this.get(productId, version); // an earlier run created it: resume
      if (!sameFiles(current, manifest)) {
        throw new UploadError(`Version ${version} already exists with different files; choose a new version`);
      }
    }
    const pending = (current.files ?? []).filter((f) => f.status !== 'ready');
    const progress = { path: '', bytesDone: 0, bytesTotal: pending.reduce((n, f) => n + f.size, 0), filesDone: 0, filesTotal: pending.length };
    for (const file of pending) {
      progress.path = file.path;
      await this._uploadFile(productId, version, byPath.get(file.path), progress, onProgress);
      progress.filesDone += 1;
      onProgress?.({ ...progress });
    }
    if (activate) {
      await this._client.products.update(productId, compact({ activeVersion: version, notify: notify || undefined, note: notify ? note : undefined }));
    }
    return this.get(productId, version);
  }

  /** Send one file's missing parts and complete it. */
  async _uploadFile(productId, version, source, progress, onProgress) {
    for (let round = 1; ; round += 1) {
      const upload = await this._client.uploads.start(productId, version, source.path);
      let sent = 0;
      for (const part of upload.parts) {
        if (!part.received) {
          const start = (part.partNumber - 1) * upload.partSize;
          await this._client.uploads.putPart(upload.id, part.partNumber, await source.read(start, start + part.size));
        }
        progress.bytesDone += part.size;
        sent += part.size;
        onProgress?.({ ...progress });
      }
      try {
        await this._client.uploads.complete(upload.id);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError) || round >= UPLOAD_ROUNDS) throw error;
        progress.bytesDone -= sent;
      }
    }
  }
}

class Uploads extends Resource {
  /** Initiate a file's upload, or resume the one in progress (received parts are marked). */
  async start(productId, version, path) {
    const url = `/api/products/${encodeURIComponent(productId)}/versions/${encodeURIComponent(version)}/uploads`;
    return (await this._client.request({ method: 'POST', path: url, json: { path } })).upload;
  }

  async get(uploadId) {
    return (await this._client.request({ method: 'GET', path: `/api/uploads/${encodeURIComponent(uploadId)}` })).upload;
  }

  async putPart(uploadId, partNumber, data) {
    const path = `/api/uploads/${encodeURIComponent(uploadId)}/parts/${partNumber}`;
    const headers = { 'Content-Type': 'application/octet-stream' };
    return (await this._client.request({ method: 'PUT', path, body: data, headers })).part;
  }

  /** Assemble the parts; the hub checks size and sha256. Resolves to `{file, version}`. */
  complete(uploadId) {
    return this._client.request({ method: 'POST', path: `/api/uploads/${encodeURIComponent(uploadId)}/complete` });
  }

  async abort(uploadId) {
    await this._client.request({ method: 'DELETE', path: `/api/uploads/${encodeURIComponent(uploadId)}` });
  }
}

class Purchases extends Resource {
  /** Every purchase, newest first, each with its tokens. */
  list({ customerEmail, pageSize } = {}) {
    return this._client._paginate('/api/purchases', 'purchases', { customerEmail }, pageSize);
  }

  /**
   * Record a purchase from your own checkout; safe to repeat with the same reference.
   * `items`: product ids or {productId, version}. Resolves to `{purchase, created}`.
   */
  create({ reference, customerEmail, items, customerName, amount, currency, metadata }) {
    const shaped = items.map((item) => (typeof item === 'string' ? { productId: item } : compact(item)));
    const json = compact({ reference, customerEmail, items: shaped, customerName, amount, currency, metadata });
    return this._client.request({ method: 'POST', path: '/api/purchases', json, idempotent: true });
  }
}

function day(value) {
  return value instanceof Date ? value.toISOString().slice(0, 10) : value;
}

class Reports extends Resource {
  /** The download-sessions report as CSV text (days in UTC, both inclusive; admin key). */
  downloadsCsv({ from, to } = {}) {
    return this._client.request({ method: 'GET', path: '/api/reports/downloads', query: { from: day(from), to: day(to) }, text: true });
  }
}

class Organization extends Resource {
  /** The organization and its shop identity: what buyers see (admin key). */
  get() {
    return this._client.request({ method: 'GET', path: '/api/organization' });
  }

  /** Change the fields given ("" clears a text field); `logo` is a data URI
   * (data:image/png;base64,...) of a PNG, JPEG, WebP or GIF of at most 256 KB, or null to remove it. */
  update(changes) {
    const json = compact(changes);
    return this._client.request({ method: 'PATCH', path: '/api/organization', json, idempotent: true });
  }
}

class WebhookEndpoints extends Resource {
  async list() {
    const data = await this._client.request({ method: 'GET', path: '/api/webhook-endpoints' });
    return Array.isArray(data) ? data : data.endpoints;
  }

  /** A new endpoint; its `secret` (whsec_...) is shown in this answer only. */
  async create({ url, events, description }) {
    const json = compact({ url, events, description });
    return (await this._client.request({ method: 'POST', path: '/api/webhook-endpoints', json })).endpoint;
  }

  async get(endpointId) {
    return (await this._client.request({ method: 'GET', path: `/api/webhook-endpoints/${encodeURIComponent(endpointId)}` })).endpoint;
  }

  async update(endpointId, changes) {
    const path = `/api/webhook-endpoints/${encodeURIComponent(endpointId)}`;
    return (await this._client.request({ method: 'PATCH', path, json: compact(changes), idempotent: true })).endpoint;
  }

  async delete(endpointId) {
    await this._client.request({ method: 'DELETE', path: `/api/webhook-endpoints/${encodeURIComponent(endpointId)}` });
  }

  /** The endpoint's delivery log: every attempt. */
  async deliveries(endpointId) {
    const data = await this._client.request({ method: 'GET', path: `/api/webhook-endpoints/${encodeURIComponent(endpointId)}/deliveries` });
    return Array.isArray(data) ? data : data.deliveries;
  }

  /** Send one event (`eventId`) or every event since a time (`since`) again. */
  redeliver(endpointId, { eventId, since } = {}) {
    if ((eventId === undefined) === (since === undefined)) throw new ContinuataError('give exactly one of eventId and since');
    const path = `/api/webhook-endpoints/${encodeURIComponent(endpointId)}/redeliver`;
    return this._client.request({ method: 'POST', path, json: compact({ eventId, since: time(since) }) });
  }

  /** A new signing secret, shown in this answer only. */
  async rotateSecret(endpointId) {
    const path = `/api/webhook-endpoints/${encodeURIComponent(endpointId)}/rotate-secret`;
    return (await this._client.request({ method: 'POST', path })).endpoint;
  }
}
