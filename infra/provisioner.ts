import { readFile } from 'node:fs/promises';
import type { BigQuery, TableField } from '@google-cloud/bigquery';
import type { PubSub } from '@google-cloud/pubsub';
import type { CloudSchedulerClient } from '@google-cloud/scheduler';
import type { GoogleAuth } from 'google-auth-library';
import {
  desiredSubscription,
  ensureSubscription,
  ensureTopic,
  type ApplyOutcome,
  type ApplyOptions,
} from './applyPubSub.ts';
import type { DeployStep } from './deploy/deployStep.ts';
import type { CompositeIndex } from './deploy/firestoreSteps.ts';
import {
  schedules,
  subscriptions,
  warehouseTables,
  type ColumnSpec,
  type ScheduleSpec,
} from './spec.ts';

type ProvisionStep = Extract<DeployStep, { kind: 'provision' }>;

/** Applies one provision step through a client library; idempotent. */
export type Provisioner = (step: ProvisionStep) => Promise<ApplyOutcome | 'deleted'>;

export type Provisioners = Partial<Record<ProvisionStep['resource']['type'], Provisioner>>;

/** Topics and subscriptions, with push endpoints and OIDC identities as given. */
export function pubsubProvisioners(
  pubsub: PubSub,
  options: Omit<ApplyOptions, 'profile'>,
): Provisioners {
  return {
    topic: (step) => ensureTopic(pubsub, step.resource.name),
    subscription: (step) => {
      const spec = subscriptions('cloud').find((s) => s.name === step.resource.name);
      if (!spec) throw new Error(`subscription ${step.resource.name} is not in the spec`);
      return ensureSubscription(
        pubsub,
        spec,
        desiredSubscription(pubsub, spec, { ...options, profile: 'cloud' }),
      );
    },
  };
}

export function bigqueryProvisioners(bigquery: BigQuery): Provisioners {
  return {
    dataset: async (step) => {
      const desired = step.desired as {
        location: string;
        access: { role: string; userByEmail: string }[];
      };
      const dataset = bigquery.dataset(step.resource.name);
      const [exists] = await dataset.exists();
      if (!exists) {
        await dataset.create({ location: desired.location });
      }
      const [metadata] = await dataset.getMetadata();
      const current = (metadata.access ?? []) as { role?: string; userByEmail?: string }[];
      const missing = desired.access.filter(
        (entry) =>
          !current.some((c) => c.role === entry.role && c.userByEmail === entry.userByEmail),
      );
      if (missing.length > 0) await dataset.setMetadata({ access: [...current, ...missing] });
      return !exists ? 'created' : missing.length > 0 ? 'updated' : 'unchanged';
    },
    table: async (step) => {
      const [datasetId, tableId] = step.resource.name.split('.') as [string, string];
      const spec = warehouseTables.find((t) => t.dataset === datasetId && t.name === tableId);
      if (!spec) throw new Error(`table ${step.resource.name} is not in the spec`);
      const table = bigquery.dataset(datasetId).table(tableId);
      const [exists] = await table.exists();
      if (!exists) {
        await table.create({
          description: spec.description,
          schema: { fields: spec.columns.map(toTableField) },
          timePartitioning: { type: spec.partition.type, field: spec.partition.field },
          clustering: { fields: spec.clustering },
        });
        return 'created';
      }
      const [metadata] = await table.getMetadata();
      const currentFields =
        (metadata.schema as { fields?: TableField[] } | undefined)?.fields ?? [];
      const added = columnsToAdd(currentFields, spec.columns);
      if (added.length === 0) return 'unchanged';
      // BigQuery evolves a schema by adding NULLABLE columns; existing ones are never changed.
      await table.setMetadata({
        schema: { fields: [...currentFields, ...added.map(toTableField)] },
      });
      return 'updated';
    },
  };
}

export function schedulerProvisioners(
  scheduler: CloudSchedulerClient,
  target: { project: string; region: string },
): Provisioners {
  return {
    schedule: async (step) => {
      const spec = schedules.find((s) => s.name === step.resource.name);
      if (!spec) throw new Error(`schedule ${step.resource.name} is not in the spec`);
      const parent = `projects/${target.project}/locations/${target.region}`;
      const job = desiredJob(spec, target.project, parent);
      try {
        const [current] = await scheduler.getJob({ name: job.name });
        if (!jobDiffers(current, job)) return 'unchanged';
        await scheduler.updateJob({ job });
        return 'updated';
      } catch (error) {
        if ((error as { code?: unknown }).code !== 5) throw error;
        await scheduler.createJob({ parent, job });
        return 'created';
      }
    },
  };
}

/** Firestore rules are deployed through the Firebase Rules API: a ruleset, then the release pointing at it. */
export function rulesProvisioners(
  auth: GoogleAuth,
  project: string,
  rulesFile: string,
): Provisioners {
  return {
    'firestore-rules': async () => {
      const source = await readFile(rulesFile, 'utf8');
      const client = await auth.getClient();
      const base = `https://firebaserules.googleapis.com/v1/projects/${project}`;
      const releaseName = `projects/${project}/releases/cloud.firestore`;
      let currentRuleset: string | undefined;
      try {
        const release = await client.request<{ rulesetName: string }>({
          url: `${base}/releases/cloud.firestore`,
        });
        currentRuleset = release.data.rulesetName;
      } catch (error) {
        if ((error as { status?: unknown }).status !== 404) throw error;
      }
      if (currentRuleset) {
        const ruleset = await client.request<{ source: { files: { content: string }[] } }>({
          url: `https://firebaserules.googleapis.com/v1/${currentRuleset}`,
        });
        if (ruleset.data.source.files.map((f) => f.content).join('\n') === source)
          return 'unchanged';
      }
      const created = await client.request<{ name: string }>({
        url: `${base}/rulesets`,
        method: 'POST',
        data: { source: { files: [{ name: 'firestore.rules', content: source }] } },
      });
      const release = { name: releaseName, rulesetName: created.data.name };
      if (currentRuleset) {
        await client.request({
          url: `${base}/releases/cloud.firestore`,
          method: 'PATCH',
          data: { release },
        });
        return 'updated';
      }
      await client.request({ url: `${base}/releases`, method: 'POST', data: release });
      return 'created';
    },
  };
}

/** The subset of the Firestore Admin API the index provisioner uses. */
export type FirestoreIndexAdmin = {
  listIndexes(request: { parent: string }): Promise<[ExistingIndex[], ...unknown[]]>;
  createIndex(request: {
    parent: string;
    index: Pick<CompositeIndex, 'queryScope' | 'fields'>;
  }): Promise<unknown>;
};

export type ExistingIndex = {
  queryScope?: string | null;
  fields?: { fieldPath?: string | null; order?: string | null }[] | null;
};

/** Composite indexes: created when missing (Firestore builds them in the background). */
export function firestoreIndexProvisioners(
  admin: FirestoreIndexAdmin,
  project: string,
): Provisioners {
  return {
    'firestore-index': async (step) => {
      const desired = step.desired as Pick<
        CompositeIndex,
        'collectionGroup' | 'queryScope' | 'fields'
      >;
      const parent = `projects/${project}/databases/(default)/collectionGroups/${desired.collectionGroup}`;
      const [existing] = await admin.listIndexes({ parent });
      if (existing.some((index) => indexMatches(index, desired.fields, desired.queryScope)))
        return 'unchanged';
      await admin.createIndex({
        parent,
        index: { queryScope: desired.queryScope, fields: desired.fields },
      });
      return 'created';
    },
  };
}

/** Whether an existing index has these fields in this order (the implicit `__name__` aside). */
export function indexMatches(
  existing: ExistingIndex,
  fields: CompositeIndex['fields'],
  queryScope: CompositeIndex['queryScope'] = 'COLLECTION',
): boolean {
  if ((existing.queryScope ?? 'COLLECTION') !== queryScope) return false;
  const current = (existing.fields ?? [])
    .filter((f) => f.fieldPath !== '__name__')
    .map((f) => `${f.fieldPath}:${f.order}`);
  return current.join(',') === fields.map((f) => `${f.fieldPath}:${f.order}`).join(',');
}

export function toTableField(column: ColumnSpec): TableField {
  return {
    name: column.name,
    type: column.type,
    mode: column.mode,
    description: column.description,
  };
}

/** Columns of the spec that the table lacks. */
export function columnsToAdd(current: { name?: string }[], desired: ColumnSpec[]): ColumnSpec[] {
  const names = new Set(current.map((field) => field.name?.toLowerCase()));
  return desired
    .filter((column) => !names.has(column.name.toLowerCase()))
    .map((column) => ({ ...column, mode: 'NULLABLE' }));
}

export type SchedulerJob = {
  name: string;
  description: string;
  schedule: string;
  timeZone: string;
  pubsubTarget: { topicName: string; data: Buffer };
};

export function desiredJob(spec: ScheduleSpec, project: string, parent: string): SchedulerJob {
  return {
    name: `${parent}/jobs/${spec.name}`,
    description: spec.description,
    schedule: spec.cron,
    timeZone: spec.timeZone,
    pubsubTarget: {
      topicName: `projects/${project}/topics/${spec.topic}`,
      data: Buffer.from(JSON.stringify(spec.data)),
    },
  };
}

export function jobDiffers(
  current: {
    schedule?: string | null;
    timeZone?: string | null;
    description?: string | null;
    pubsubTarget?: { topicName?: string | null; data?: Uint8Array | string | null } | null;
  },
  desired: SchedulerJob,
): boolean {
  const currentData = current.pubsubTarget?.data;
  const currentText =
    typeof currentData === 'string'
      ? Buffer.from(currentData, 'base64').toString()
      : Buffer.from(currentData ?? []).toString();
  return (
    current.schedule !== desired.schedule ||
    current.timeZone !== desired.timeZone ||
    (current.description ?? '') !== desired.description ||
    current.pubsubTarget?.topicName !== desired.pubsubTarget.topicName ||
    currentText !== desired.pubsubTarget.data.toString()
  );
}
