import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function deploy(...args: string[]) {
  return spawnSync(process.execPath, ['scripts/deploy.ts', ...args], { encoding: 'utf8' });
}

describe('npm run deploy', () => {
  it.each([
    [['--plan', '--region', 'europe-west1'], /Missing --project/],
    [
      ['--plan', '--project', 'sample-project', '--region', 'moon-1'],
      /--region "moon-1" is not a region/,
    ],
  ])('fails clearly on %j, touching nothing', (args, message) => {
    const result = deploy(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: npm run deploy/);
  });

  it('prints the plan without touching anything', () => {
    const result = deploy('--plan', '--project', 'sample-project', '--region', 'europe-west1');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Deploy plan for project sample-project in europe-west1/);
    expect(result.stdout).toMatch(/gcloud functions deploy ingest --gen2 --region=europe-west1/);
  });

  it('refuses to destroy without confirmation when nobody can answer', () => {
    const result = spawnSync(
      process.execPath,
      ['scripts/deploy.ts', '--destroy', '--project', 'sample-project', '--region', 'europe-west1'],
      {
        encoding: 'utf8',
        input: '',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/needs confirmation/);
  });
});
