import type { ContinuataClient, UploadProgress, UploadSource, Version } from './index.js';

export declare function folderSources(folder: string): Promise<UploadSource[]>;
export declare function uploadFolder(
  client: ContinuataClient,
  productId: string,
  version: string,
  folder: string,
  options?: { changelog?: string; activate?: boolean; notify?: boolean; note?: string; onProgress?: (progress: UploadProgress) => void },
): Promise<Version>;
