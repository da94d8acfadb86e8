// A real hub for the tests: `continuata-hub init --org your-org-id` and
// `continuata-hub serve` on a free loopback port in a temporary folder, from
// the project's Python environment (CONTINUATA_HUB_BIN, else continuata-hub
// on PATH, else the repository's .venv), with epic-drums-v1 1.0.0 ready.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function hubBinary() {
  if (process.env.CONTINUATA_HUB_BIN) return process.env.CONTINUATA_HUB_BIN;
  const venv = join(here, '..', '..', '..', '.venv', 'bin', 'continuata-hub');
  try {
    execFileSync('continuata-hub', ['--help'], { stdio: 'ignore' });
    return 'continuata-hub';
  } catch {
    if (existsSync(venv)) return venv;
    throw new Error('continuata-hub not found: activate the project venv or set CONTINUATA_HUB_BIN');
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export const ORG = 'your-org-id';
export const KICK = new TextEncoder().encode('kick drum, 1.0.0');

async function call(url, key, method, path, body, contentType = 'application/json') {
  const response = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': contentType },
    body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text).data;
}

/** Start a hub; resolves to {url, adminKey, viewerKey, env, dataDir, stop()}. */
export async function startHub() {
  const bin = hubBinary();
  const dir = mkdtempSync(join(tmpdir(), 'continuata-js-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HUB_')));
  Object.assign(env, {
    HUB_DATA_DIR: join(dir, 'data'),
    HUB_PUBLIC_URL: url,
    HUB_SECRET_KEY: 'js-sdk-tests',
    HUB_UPLOAD_PART_SIZE: String(5 * 1024 * 1024),
    HUB_WEBHOOKS_ALLOW_PRIVATE: 'true', // the endpoint tests register receivers on loopback
  });
  const lastLine = (out) => out.toString().trim().split('\n').at(-1);
  const adminKey = lastLine(execFileSync(bin, ['init', '--org', ORG], { env, cwd: dir }));
  const viewerKey = lastLine(execFileSync(bin, ['keys', 'create', '--org', ORG, '--role', 'viewer'], { env, cwd: dir }));
  const server = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', String(port)], { env, cwd: dir, stdio: 'ignore' });
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let waited = 0; ; waited += 100) {
      if (server.exitCode !== null) throw new Error(`the hub exited with ${server.exitCode}`);
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (waited > 30_000) throw new Error('the hub did not answer /healthz in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // epic-drums-v1 with version 1.0.0 ready, set up with plain HTTP.
    await call(url, adminKey, 'POST', '/api/products', { name: 'Epic Drum Kit Vol. 1', slug: 'epic-drums-v1' });
    const sha256 = createHash('sha256').update(KICK).digest('hex');
    await call(url, adminKey, 'POST', '/api/products/epic-drums-v1/versions', {
      version: '1.0.0',
      files: [{ path: 'kick.wav', size: KICK.length, sha256 }],
    });
    const { upload } = await call(url, adminKey, 'POST', '/api/products/epic-drums-v1/versions/1.0.0/uploads', { path: 'kick.wav' });
    await call(url, adminKey, 'PUT', `/api/uploads/${upload.id}/parts/1`, KICK, 'application/octet-stream');
    await call(url, adminKey, 'POST', `/api/uploads/${upload.id}/complete`, {});
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, adminKey, viewerKey, env, dataDir: env.HUB_DATA_DIR, stop };
}
