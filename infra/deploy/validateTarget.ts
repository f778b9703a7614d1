/** Checks the project and region a deploy is pointed at, before any step runs. */
import { deployRegions } from '../regions.ts';

export class DeployConfigError extends Error {
  override readonly name = 'DeployConfigError';
}

const projectIdPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function validateTarget(
  project: string | undefined,
  region: string | undefined,
): { project: string; region: string } {
  if (!project)
    throw new DeployConfigError(
      'Missing --project: name the Google Cloud project id to deploy to.',
    );
  if (!projectIdPattern.test(project)) {
    throw new DeployConfigError(
      `--project "${project}" is not a project id (6–30 lowercase letters, digits and dashes, starting with a letter).`,
    );
  }
  if (!region) throw new DeployConfigError('Missing --region: for example --region europe-west1.');
  if (!(deployRegions as readonly string[]).includes(region)) {
    throw new DeployConfigError(
      `--region "${region}" is not a region where every service Tributary uses is offered. Use one of: ${deployRegions.join(', ')}.`,
    );
  }
  return { project, region };
}
