/** Firestore's field settings, composite indexes and security rules, from the repository's files. */
import firestoreIndexes from '../../firestore.indexes.json' with { type: 'json' };
import { gcloudStep, provisionStep, type DeployStep } from './deployStep.ts';

export function firestoreSteps(): DeployStep[] {
  return [
    ...firestoreFieldSettings().map((field) =>
      gcloudStep(
        { type: 'firestore-field', name: `${field.collection}.${field.field}` },
        field.args,
      ),
    ),
    ...firestoreCompositeIndexes().map((index) =>
      provisionStep(
        { type: 'firestore-index', name: index.name },
        {
          collectionGroup: index.collectionGroup,
          queryScope: index.queryScope,
          fields: index.fields,
        },
      ),
    ),
    provisionStep(
      { type: 'firestore-rules', name: 'cloud.firestore' },
      { source: 'firestore.rules' },
    ),
  ];
}

export type CompositeIndex = {
  name: string;
  collectionGroup: string;
  /** COLLECTION_GROUP serves queries across every collection of that name (subcollections). */
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: { fieldPath: string; order: 'ASCENDING' | 'DESCENDING' }[];
};

/** The composite indexes of firestore.indexes.json, each named by its fields. */
export function firestoreCompositeIndexes(
  indexes: {
    collectionGroup: string;
    queryScope?: string;
    fields: { fieldPath: string; order: string }[];
  }[] = firestoreIndexes.indexes,
): CompositeIndex[] {
  return indexes.map((index) => {
    const fields = index.fields.map((f) => ({
      fieldPath: f.fieldPath,
      order: f.order === 'DESCENDING' ? ('DESCENDING' as const) : ('ASCENDING' as const),
    }));
    const described = fields.map(
      (f) => `${f.fieldPath} ${f.order === 'ASCENDING' ? 'asc' : 'desc'}`,
    );
    const queryScope =
      index.queryScope === 'COLLECTION_GROUP'
        ? ('COLLECTION_GROUP' as const)
        : ('COLLECTION' as const);
    const scope = queryScope === 'COLLECTION_GROUP' ? ' across subcollections' : '';
    return {
      name: `${index.collectionGroup}(${described.join(', ')})${scope}`,
      collectionGroup: index.collectionGroup,
      queryScope,
      fields,
    };
  });
}

type FieldOverride = {
  collectionGroup: string;
  fieldPath: string;
  ttl?: boolean;
  indexes: unknown[];
};

/** Firestore field settings from firestore.indexes.json, as gcloud commands. */
export function firestoreFieldSettings(
  overrides: FieldOverride[] = firestoreIndexes.fieldOverrides,
): { collection: string; field: string; args: string[] }[] {
  return overrides.flatMap((override) => {
    const base = { collection: override.collectionGroup, field: override.fieldPath };
    const settings = [];
    if (override.indexes.length === 0) {
      settings.push({
        ...base,
        args: [
          'firestore',
          'indexes',
          'fields',
          'update',
          override.fieldPath,
          `--collection-group=${override.collectionGroup}`,
          '--disable-indexes',
        ],
      });
    }
    if (override.ttl) {
      settings.push({
        ...base,
        field: `${override.fieldPath} (ttl)`,
        args: [
          'firestore',
          'fields',
          'ttls',
          'update',
          override.fieldPath,
          `--collection-group=${override.collectionGroup}`,
          '--enable-ttl',
        ],
      });
    }
    return settings;
  });
}
