import type { SecretBox } from '../lib/encryption.ts';
import { PipelineError } from '../lib/errors.ts';
import { credentialsContext, type WorkspaceCredentials } from './source.ts';

export function sealCredentials(
  box: SecretBox,
  sourceId: string,
  credentials: WorkspaceCredentials,
): string {
  return box.encrypt(JSON.stringify(credentials), credentialsContext(sourceId));
}

/** Opens a source's credentials; without the key that sealed them the fetch must wait. */
export function openCredentials(
  box: SecretBox | undefined,
  sourceId: string,
  ciphertext: string,
): WorkspaceCredentials {
  if (!box) {
    throw new PipelineError('not_configured', 'ENCRYPTION_KEY is not configured.', {
      retriable: true,
    });
  }
  try {
    return JSON.parse(
      box.decrypt(ciphertext, credentialsContext(sourceId)),
    ) as WorkspaceCredentials;
  } catch (error) {
    // A missing previous key is fixed by configuration: keep the fetch retrying.
    throw new PipelineError(
      'credentials_unreadable',
      `Credentials do not open: ${(error as Error).message}`,
      {
        retriable: true,
      },
    );
  }
}
