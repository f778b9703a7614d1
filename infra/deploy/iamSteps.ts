/** The service accounts, and the few roles they hold on the whole project. */
import { functions, serviceAccounts, type ServiceAccountName } from '../spec.ts';
import { bindingStep, gcloudStep, type DeployStep } from './deployStep.ts';
import { serviceAccountEmail, serviceAccountMember } from './principals.ts';

export function iamSteps(project: string): DeployStep[] {
  const steps: DeployStep[] = [];
  for (const [name, account] of Object.entries(serviceAccounts) as [
    ServiceAccountName,
    (typeof serviceAccounts)[ServiceAccountName],
  ][]) {
    steps.push(
      gcloudStep(
        { type: 'service-account', name: account.id },
        [
          'iam',
          'service-accounts',
          'create',
          account.id,
          `--display-name=Tributary ${name}`,
          `--description=${account.purpose}`,
        ],
        ['iam', 'service-accounts', 'describe', serviceAccountEmail(name, project)],
      ),
    );
  }
  for (const { account, role } of projectRoles()) {
    steps.push(
      bindingStep(`${role} → ${serviceAccounts[account].id}`, [
        'projects',
        'add-iam-policy-binding',
        project,
        `--member=${serviceAccountMember(account, project)}`,
        `--role=${role}`,
        '--condition=None',
      ]),
    );
  }
  return steps;
}

/** Project-wide roles: only those that cannot be granted on a single resource. */
export function projectRoles(): { account: ServiceAccountName; role: string }[] {
  const roles: { account: ServiceAccountName; role: string }[] = [];
  const add = (account: ServiceAccountName, role: string) => {
    if (!roles.some((r) => r.account === account && r.role === role)) roles.push({ account, role });
  };
  for (const fn of functions) {
    add(fn.serviceAccount, 'roles/datastore.user');
    if (fn.warehouse) add(fn.serviceAccount, 'roles/bigquery.jobUser');
  }
  // The metrics summary reads the processing backlog from Cloud Monitoring.
  add('api', 'roles/monitoring.viewer');
  return roles;
}
