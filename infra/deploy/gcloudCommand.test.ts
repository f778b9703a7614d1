import { describe, expect, it } from 'vitest';
import { gcloudArgv, shellLine } from './gcloudCommand.ts';

describe('gcloud commands as the deploy runs and prints them', () => {
  it('pins every command to the project and never lets it prompt', () => {
    expect(gcloudArgv(['pubsub', 'topics', 'list'], 'my-project')).toEqual([
      'pubsub',
      'topics',
      'list',
      '--project=my-project',
      '--quiet',
    ]);
  });

  it.each([
    [['--role=roles/pubsub.publisher'], '--role=roles/pubsub.publisher'],
    [['--display-name=Tributary api'], "'--display-name=Tributary api'"],
    [["the operators' API"], "'the operators'\\'' API'"],
    [['--database=(default)'], "'--database=(default)'"],
    [[''], "''"],
    [['$HOME', 'a*'], "'$HOME' 'a*'"],
    [
      ['--member=serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com'],
      '--member=serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com',
    ],
    [['a b ${PROJECT_NUMBER} c'], "'a b '${PROJECT_NUMBER}' c'"],
  ])('quotes %j for a shell as %s', (argv, line) => {
    expect(shellLine(argv)).toBe(line);
  });
});
