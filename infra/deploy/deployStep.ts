/** The shape of a deploy step, and small builders for the kinds every family uses. */

/** A thing the deploy creates or changes, named once. */
export type Resource = { type: ResourceType; name: string };

export type ResourceType =
  | 'apis'
  | 'firestore-database'
  | 'service-account'
  | 'binding'
  | 'secret'
  | 'topic'
  | 'subscription'
  | 'dataset'
  | 'table'
  | 'firestore-field'
  | 'firestore-index'
  | 'firestore-rules'
  | 'source'
  | 'function'
  | 'schedule';

/**
 * One step of a deploy. `gcloud` steps are commands run as printed (skipped when
 * `unlessExists` succeeds); `provision` steps are applied through the client libraries
 * (create if missing, update if different); `build` stages the functions' source.
 */
export type DeployStep =
  | {
      kind: 'gcloud';
      resource: Resource;
      args: string[];
      /** Skip when this describe command succeeds (the resource exists). */
      unlessExists?: string[];
      /** Run only when this describe command succeeds (for deletions). */
      onlyIfExists?: string[];
    }
  | { kind: 'provision'; resource: Resource; desired: Record<string, unknown> }
  | { kind: 'build'; resource: Resource; sourceDir: string };

export type DeployTarget = { project: string; region: string; sourceDir: string };

export function gcloudStep(
  resource: Resource,
  args: string[],
  unlessExists?: string[],
): DeployStep {
  return { kind: 'gcloud', resource, args, ...(unlessExists ? { unlessExists } : {}) };
}

/** An IAM grant, named by what it grants to whom. */
export function bindingStep(name: string, args: string[]): DeployStep {
  return gcloudStep({ type: 'binding', name }, args);
}

export function provisionStep(resource: Resource, desired: Record<string, unknown>): DeployStep {
  return { kind: 'provision', resource, desired };
}
