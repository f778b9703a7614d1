import { existsSync, readFileSync } from 'node:fs';

/** The forms a secret can take in a log line: as issued, and its key without the prefix. */
export function secretForms(secret: string): string[] {
  const forms = [secret];
  if (secret.startsWith('whsec_')) forms.push(secret.slice('whsec_'.length));
  return forms.filter((form) => form.length >= 16);
}

export type SecretScan = { lines: number; secrets: number; leaked: number };

/** Scans the captured log for every watched secret; reports how many leaked, never which. */
export function scanCapturedLogs(logFile: string, secretsFile: string): SecretScan {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const secrets = existsSync(secretsFile)
    ? [
        ...new Set(
          readFileSync(secretsFile, 'utf8')
            .split('\n')
            .filter((line) => line.length > 0)
            .map((line) => JSON.parse(line) as string),
        ),
      ]
    : [];
  const leaked = secrets.filter((secret) => secretForms(secret).some((f) => text.includes(f)));
  return {
    lines: text.split('\n').filter((line) => line.length > 0).length,
    secrets: secrets.length,
    leaked: leaked.length,
  };
}
