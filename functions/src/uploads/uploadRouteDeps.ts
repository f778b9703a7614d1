import type { UploadDeps } from './takeUpload.ts';

/** What the producers' upload routes use, as part of the api function's deps. */
export type UploadRouteDeps = { ops: { uploads: UploadDeps } };

/** A key looked up by its id, for acting on its behalf: what a request with it would carry. */
export type KeyOnFile = {
  keyId: string;
  name: string;
  rateLimitPerSecond: number | null;
  revoked: boolean;
  /** A browser key (allowed origins): public, for tracking calls only. */
  browser: boolean;
};

/** What the operators' upload routes use: the same uploads, and the keys they upload for. */
export type OperatorUploadRouteDeps = {
  ops: {
    uploads: UploadDeps;
    apiKeys: { findById(keyId: string): Promise<KeyOnFile | undefined> };
  };
};
