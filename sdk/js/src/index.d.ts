// Type declarations of @continuata/sdk (the runtime is plain ESM JavaScript).

export declare const VERSION: string;
export declare const TOLERANCE_SECONDS: number;

export interface ClientOptions {
  /** An API key; defaults to the CONTINUATA_API_KEY environment variable. */
  apiKey?: string;
  /** Your organization; checked against the key (GET /api/me) before the first call. */
  orgId?: string;
  /** The hub's address, e.g. http://127.0.0.1:8000; defaults to CONTINUATA_API_URL. */
  baseUrl?: string;
  /** Retries of connection errors and 5xx answers for idempotent calls (default 2). */
  maxRetries?: number;
  /** Per-request timeout in milliseconds (default 60000). */
  timeout?: number;
  fetch?: typeof fetch;
}

export interface Pagination { total: number; limit: number; offset: number; hasMore: boolean }

export interface VersionSummary { id: string; version: string; size: number; fileCount: number; status: string }

export interface Product {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  status: 'draft' | 'published' | 'archived';
  metadata: Record<string, unknown> | null;
  orgId: string;
  activeVersion: VersionSummary | null;
  createdAt: Date;
  updatedAt: Date;
  /** Which new versions past buyers get: all, a window of days from the purchase, or none. */
  updateRights: 'all' | 'window' | 'none';
  updateWindowDays: number | null;
}

export interface VersionFile { id: string; path: string; size: number; sha256: string; status: string; uploadId: string | null }

export interface Version extends VersionSummary {
  changelog: string | null;
  createdAt: Date;
  readyAt: Date | null;
  publishedAt: Date | null;
  files?: VersionFile[];
}

export interface ManifestFile { path: string; size: number; sha256: string }

export interface UploadPart { partNumber: number; size: number; received: boolean; etag: string | null; url?: string }

export interface Upload {
  id: string;
  fileId: string;
  path: string;
  size: number;
  sha256: string;
  status: string;
  partSize: number;
  partCount: number;
  parts: UploadPart[];
}

export interface UploadSource extends ManifestFile {
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface UploadProgress { path: string; bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number }

export interface Token {
  id: string;
  /** The secret; only in the answer that minted it. */
  token?: string;
  /** The buyer's link; only in the answer that minted it. */
  downloadUrl?: string;
  expiresAt: Date;
  maxDownloads: number | null;
  usedCount: number;
  customerEmail: string | null;
  metadata: Record<string, unknown> | null;
  revoked: boolean;
  revokedAt: Date | null;
  createdAt: Date;
  purchaseId: string | null;
  product: { id: string; name: string; version: string };
}

export interface DownloadUrl {
  success: true;
  productId: string;
  version: string;
  downloadToken: string;
  downloadUrl: string;
  expiresAt: Date;
}

export interface PurchaseToken {
  id: string;
  productId: string;
  version: string;
  token?: string | null;
  downloadUrl?: string | null;
  expiresAt: Date;
  maxDownloads: number | null;
  usedCount: number;
  revoked: boolean;
}

/** A purchase's license key (`key` only in the shop's own API answers). */
export interface License {
  id: string;
  productId: string;
  purchaseId: string | null;
  customerEmail: string | null;
  /** 'active', 'revoked', 'on_hold', 'disabled' or 'expired' */
  status: string;
  expiresAt: Date | null;
  /** null: unlimited */
  activationLimit: number | null;
  activations: number;
  key?: string;
}

export interface Purchase {
  id: string;
  orgId: string;
  provider: string;
  providerRef: string;
  customerEmail: string;
  customerName: string | null;
  items: unknown[];
  amount: number | null;
  currency: string | null;
  status: string;
  /** false for a payment made in the provider's test mode or sandbox */
  livemode: boolean;
  problem: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  refundedAt: Date | null;
  tokens: PurchaseToken[];
  licenses: License[];
}

/** The API key's organization and its shop identity, what buyers see ("" when unset). */
export interface ShopOrganization {
  id: string;
  /** The display name buyers see (never the id). */
  name: string;
  /** Every email's Reply-To and footer. */
  supportEmail: string;
  /** The From display name (default: name). */
  senderName: string;
  /** #rrggbb */
  accentColor: string;
  logoUrl: string | null;
  contactEmail: string;
}

export interface Me {
  organization: { id: string; name: string };
  role: 'viewer' | 'member' | 'admin';
  scopes: string[];
  keyId: string;
}

/** The `type` of a webhook delivery: what an endpoint subscribes to (or `"*"`, every one). */
export type WebhookEventType =
  | "purchase.completed"
  | "purchase.refunded"
  | "purchase.on_hold"
  | "purchase.restored"
  | "token.created"
  | "token.revoked"
  | "download.started"
  | "download.completed"
  | "version.ready"
  | "version.published"
  | "email.failed"
  | "license.activated"
  | "license.deactivated"
  | "license.disabled"
  | "license.restored";

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: (WebhookEventType | "*")[];
  description: string | null;
  /** 'enabled' or 'disabled' (by the shop, or by the hub after days of failures). */
  status: string;
  disabledReason: string | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date | null;
  /** whsec_...; only when created or rotated. */
  secret?: string | null;
}

export interface DeliveryAttempt {
  at: Date | null;
  statusCode: number | null;
  latencyMs: number | null;
  response: string | null;
  error: string | null;
  succeeded: boolean;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  attemptLog: DeliveryAttempt[];
}

export declare class ContinuataClient {
  constructor(options?: ClientOptions);
  readonly baseUrl: string;
  readonly orgId?: string;
  products: Products;
  versions: Versions;
  uploads: Uploads;
  purchases: Purchases;
  reports: Reports;
  webhookEndpoints: WebhookEndpoints;
  organization: OrganizationResource;
  me(): Promise<Me>;
  generateDownloadUrl(productId: string, options?: { version?: string }): Promise<DownloadUrl>;
}

declare class Products {
  list(options?: { status?: string; search?: string; pageSize?: number }): AsyncIterableIterator<Product>;
  listPage(options?: { status?: string; search?: string; limit?: number; offset?: number }): Promise<{ products: Product[]; pagination: Pagination }>;
  get(productId: string): Promise<Product>;
  create(product: {
    name: string; slug?: string; description?: string; metadata?: Record<string, unknown>;
    updateRights?: Product['updateRights']; updateWindowDays?: number;
  }): Promise<Product>;
  update(
    productId: string,
    changes: {
      name?: string; description?: string | null; metadata?: Record<string, unknown> | null; status?: Product['status']; activeVersion?: string | null;
      updateRights?: Product['updateRights']; updateWindowDays?: number | null; notify?: boolean; note?: string | null;
    },
  ): Promise<Product>;
  delete(productId: string): Promise<void>;
  createToken(
    productId: string,
    options?: { customerEmail?: string; expiresAt?: Date | string; maxDownloads?: number | null; metadata?: Record<string, unknown>; version?: string },
  ): Promise<Token & { token: string; downloadUrl: string }>;
  listTokens(productId: string, options?: { pageSize?: number }): AsyncIterableIterator<Token>;
  revokeToken(productId: string, tokenId: string): Promise<Token>;
}

declare class Versions {
  list(productId: string): Promise<Version[]>;
  get(productId: string, version: string): Promise<Version>;
  create(productId: string, version: { version: string; files: ManifestFile[]; changelog?: string }): Promise<Version>;
  upload(
    productId: string,
    version: string,
    files: Array<UploadSource | { path: string; data: Uint8Array | ArrayBuffer | Blob | string }>,
    options?: { changelog?: string; activate?: boolean; notify?: boolean; note?: string; onProgress?: (progress: UploadProgress) => void },
  ): Promise<Version>;
}

declare class Uploads {
  start(productId: string, version: string, path: string): Promise<Upload>;
  get(uploadId: string): Promise<Upload>;
  putPart(uploadId: string, partNumber: number, data: Uint8Array): Promise<{ partNumber: number; size: number; etag: string }>;
  complete(uploadId: string): Promise<{ file: VersionFile; version: Version }>;
  abort(uploadId: string): Promise<void>;
}

declare class Purchases {
  list(options?: { customerEmail?: string; pageSize?: number }): AsyncIterableIterator<Purchase>;
  create(purchase: {
    reference: string;
    customerEmail: string;
    items: Array<string | { productId: string; version?: string }>;
    customerName?: string;
    amount?: number;
    currency?: string;
    metadata?: Record<string, unknown>;
  }): Promise<{ purchase: Purchase; created: boolean }>;
}

declare class Reports {
  downloadsCsv(options?: { from?: Date | string; to?: Date | string }): Promise<string>;
}

declare class OrganizationResource {
  get(): Promise<ShopOrganization>;
  update(changes: {
    name?: string;
    supportEmail?: string;
    senderName?: string;
    accentColor?: string;
    contactEmail?: string;
    /** A data URI (data:image/png;base64,...), or null to remove the logo. */
    logo?: string | null;
  }): Promise<ShopOrganization>;
}

declare class WebhookEndpoints {
  list(): Promise<WebhookEndpoint[]>;
  create(endpoint: { url: string; events: (WebhookEventType | "*")[]; description?: string }): Promise<WebhookEndpoint>;
  get(endpointId: string): Promise<WebhookEndpoint>;
  update(endpointId: string, changes: { url?: string; events?: (WebhookEventType | "*")[]; description?: string; enabled?: boolean }): Promise<WebhookEndpoint>;
  delete(endpointId: string): Promise<void>;
  deliveries(endpointId: string): Promise<WebhookDelivery[]>;
  redeliver(endpointId: string, options: { eventId: string } | { since: Date | string }): Promise<unknown>;
  rotateSecret(endpointId: string): Promise<WebhookEndpoint>;
}

export declare function bytesSource(path: string, data: Uint8Array | ArrayBuffer | Blob | string): Promise<UploadSource>;
export declare function reviveTimes<T>(value: T): T;

export declare function signWebhook(secret: string, webhookId: string, timestamp: number, payload: string | Uint8Array): Promise<string>;
export declare function verifyWebhook<T = unknown>(
  payload: string | Uint8Array,
  headers: Headers | Record<string, string | string[] | undefined>,
  secret: string,
  options?: { tolerance?: number; now?: number },
): Promise<T>;

/** What a verified offline license file says (see verifyLicenseFile). */
export type VerifiedLicense = {
  org: string;
  productId: string;
  productName: string;
  licenseId: string;
  key: string;
  fingerprint: string;
  issued: Date;
  /** seconds the file is good for offline */
  ttl: number;
  /** after this, check in with the hub again */
  checkInBy: Date;
  /** the license's own expiry; null: it does not expire */
  expiry: Date | null;
  raw: Record<string, unknown>;
};

/**
 * Check an offline license file's Ed25519 signature with the shop's public
 * key (GET /api/licenses/public-key, base64 or bytes), its machine and its
 * TTL, with no network. Rejects with a LicenseFileError.
 */
export declare function verifyLicenseFile(
  certificate: string,
  publicKey: string | Uint8Array,
  options?: { fingerprint?: string; now?: Date },
): Promise<VerifiedLicense>;

export declare class ContinuataError extends Error {}
export declare class APIError extends ContinuataError {
  /** The HTTP status; undefined when no answer arrived. */
  status?: number;
  /** The hub's message. */
  message: string;
  body?: unknown;
}
export declare class APIConnectionError extends APIError {}
export declare class APIStatusError extends APIError { status: number }
export declare class ValidationError extends APIStatusError {}
export declare class AuthenticationError extends APIStatusError {}
export declare class PermissionDeniedError extends APIStatusError {}
export declare class NotFoundError extends APIStatusError {}
export declare class ConflictError extends APIStatusError {}
export declare class RateLimitError extends APIStatusError { retryAfter?: number }
export declare class InternalServerError extends APIStatusError {}
export declare class OrganizationMismatchError extends ContinuataError {}
export declare class UploadError extends ContinuataError {}
export declare class WebhookVerificationError extends ContinuataError {}
export declare class LicenseFileError extends ContinuataError {}
