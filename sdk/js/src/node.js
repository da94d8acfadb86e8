// Node-only helpers: a folder on disk as upload sources (hashed by streaming,
// read part by part, so a product of many gigabytes never sits in memory).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { UploadError } from './errors.js';

async function walk(root) {
  const found = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const full = join(root, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full)));
    else if (entry.isFile()) found.push(full);
  }
  return found;
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every file under `folder` as an upload source: relative POSIX path, size, sha256, read(start, end). */
export async function folderSources(folder) {
  let info;
  try {
    info = await stat(folder);
  } catch {
    info = null;
  }
  if (!info?.isDirectory()) throw new UploadError(`${folder} is not a folder`);
  const files = (await walk(folder)).sort();
  if (files.length === 0) throw new UploadError(`${folder} has no files to upload`);
  return Promise.all(
    files.map(async (file) => ({
      path: relative(folder, file).split(sep).join('/'),
      size: (await stat(file)).size,
      sha256: await sha256File(file),
      async read(start, end) {
        const handle = await open(file, 'r');
        try {
          const buffer = new Uint8Array(end - start);
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
          return buffer.subarray(0, bytesRead);
        } finally {
          await handle.close();
        }
      },
    })),
  );
}

/** Upload every file under `folder` as `version` of `productId` (resumable; see client.versions.upload). */
export async function uploadFolder(client, productId, version, folder, options = {}) {
  return client.versions.upload(productId, version, await folderSources(folder), options);
}
