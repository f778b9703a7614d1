/** The secrets, created from generated files, each readable only by the accounts that use it. */
import { secrets, serviceAccounts } from '../spec.ts';
import { bindingStep, gcloudStep, type DeployStep } from './deployStep.ts';
import { accountsFor, serviceAccountMember } from './principals.ts';

export function secretSteps(project: string): DeployStep[] {
  const steps: DeployStep[] = [];
  for (const [variable, secret] of Object.entries(secrets)) {
    steps.push(
      gcloudStep(
        { type: 'secret', name: secret.secretId },
        [
          'secrets',
          'create',
          secret.secretId,
          '--replication-policy=automatic',
          `--data-file=${generatedSecretFile(variable)}`,
        ],
        ['secrets', 'describe', secret.secretId],
      ),
    );
    for (const account of accountsFor((fn) => (fn.secrets as string[]).includes(variable))) {
      steps.push(
        bindingStep(`secretAccessor ${secret.secretId} → ${serviceAccounts[account].id}`, [
          'secrets',
          'add-iam-policy-binding',
          secret.secretId,
          `--member=${serviceAccountMember(account, project)}`,
          '--role=roles/secretmanager.secretAccessor',
        ]),
      );
    }
  }
  return steps;
}

export function generatedSecretFile(variable: string): string {
  return `.tributary/deploy/secrets/${variable}`;
}
