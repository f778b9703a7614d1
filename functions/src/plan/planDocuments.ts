import { timestampDate } from '../lib/documentCollection.ts';
import {
  defaultSettings,
  emptyPlan,
  type EnvelopeField,
  type JsonSchema,
  type PlanSettings,
  type PlanType,
  type PublishedPlan,
  type TypeDraft,
  type TypeVersion,
} from './trackingPlan.ts';

/** The plan's Firestore documents, to and from what the code works with. */

// Schemas are stored as JSON text: a schema's keys (`$defs`, `$ref`) and depth are its
// author's, and Firestore limits both in maps.
export function versionDocument(version: TypeVersion): Record<string, unknown> {
  return {
    eventType: version.eventType,
    version: version.version,
    schema: JSON.stringify(version.schema),
    requiredFields: version.requiredFields,
    description: version.description,
    publishedAt: version.publishedAt,
  };
}

export function versionOf(data: Record<string, unknown>): TypeVersion {
  return {
    eventType: String(data.eventType),
    version: Number(data.version),
    schema: JSON.parse(String(data.schema)) as JsonSchema,
    requiredFields: (data.requiredFields as EnvelopeField[] | undefined) ?? [],
    description: (data.description as string | null | undefined) ?? null,
    publishedAt: timestampDate(data.publishedAt) ?? new Date(0),
  };
}

export function draftDocument(draft: TypeDraft): Record<string, unknown> {
  return { ...draft, schema: JSON.stringify(draft.schema) };
}

export function draftOf(data: Record<string, unknown>): TypeDraft {
  return {
    schema: JSON.parse(String(data.schema)) as JsonSchema,
    requiredFields: (data.requiredFields as EnvelopeField[] | undefined) ?? [],
    description: (data.description as string | null | undefined) ?? null,
    updatedAt: timestampDate(data.updatedAt) ?? new Date(0),
  };
}

export function typeOf(
  eventType: string,
  data: Record<string, unknown>,
  plan: PublishedPlan,
): PlanType {
  const current = plan.types.get(eventType) ?? null;
  return {
    eventType,
    current,
    draft: data.draft ? draftOf(data.draft as Record<string, unknown>) : null,
    latestVersion: Number(data.latestVersion ?? current?.version ?? 0),
  };
}

export function planOf(snapshot: { data(): Record<string, unknown> | undefined }): PublishedPlan {
  const data = snapshot.data();
  if (!data) return emptyPlan;
  const types = (data.types ?? {}) as Record<string, Record<string, unknown>>;
  return {
    revision: Number(data.revision ?? 0),
    settings: { ...defaultSettings, ...(data.settings as Partial<PlanSettings> | undefined) },
    types: new Map(Object.entries(types).map(([name, version]) => [name, versionOf(version)])),
  };
}
