/** The identities deploy steps grant roles to: our service accounts and Pub/Sub's agent. */
import { functions, serviceAccounts, type FunctionSpec, type ServiceAccountName } from '../spec.ts';

/** Placeholder the runner replaces with the project's number (needed for service agents). */
export const projectNumberPlaceholder = '${PROJECT_NUMBER}';

/** Puts the project's number in place of its placeholder, as the deploy does once it knows it. */
export function withProjectNumber(text: string, projectNumber: string): string {
  return text.replaceAll(projectNumberPlaceholder, projectNumber);
}

export function serviceAccountEmail(name: ServiceAccountName, project: string): string {
  return `${serviceAccounts[name].id}@${project}.iam.gserviceaccount.com`;
}

/** The `--member` value that grants a role to one of our service accounts. */
export function serviceAccountMember(name: ServiceAccountName, project: string): string {
  return `serviceAccount:${serviceAccountEmail(name, project)}`;
}

export function pubsubServiceAgent(): string {
  return `service-${projectNumberPlaceholder}@gcp-sa-pubsub.iam.gserviceaccount.com`;
}

/** The service accounts of the functions that do something, each once. */
export function accountsFor(uses: (fn: FunctionSpec) => boolean): ServiceAccountName[] {
  return [...new Set(functions.filter(uses).map((fn) => fn.serviceAccount))];
}
