// @continuata/sdk: the Continuata Hub API for Node 18+ and browsers (global fetch, WebCrypto).
export { ContinuataClient, VERSION, bytesSource, reviveTimes } from './client.js';
export * from './errors.js';
export { signWebhook, verifyWebhook, TOLERANCE_SECONDS } from './webhooks.js';
export { verifyLicenseFile } from './licenses.js';
