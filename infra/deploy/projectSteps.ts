/** What the project needs before any of our resources: its APIs and its Firestore database. */
import { gcloudStep, type DeployStep } from './deployStep.ts';

export const requiredApis = [
  'artifactregistry.googleapis.com',
  'bigquery.googleapis.com',
  'bigquerystorage.googleapis.com',
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudscheduler.googleapis.com',
  'firebaserules.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com',
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
];

export function projectSteps(region: string): DeployStep[] {
  return [
    gcloudStep({ type: 'apis', name: 'required APIs' }, ['services', 'enable', ...requiredApis]),
    gcloudStep(
      { type: 'firestore-database', name: '(default)' },
      ['firestore', 'databases', 'create', `--location=${region}`, '--type=firestore-native'],
      ['firestore', 'databases', 'describe', '--database=(default)'],
    ),
  ];
}
