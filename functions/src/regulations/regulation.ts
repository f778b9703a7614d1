import { z } from 'zod';
import type { PrivacyOp } from '../privacy/privacyList.ts';
import { subjectKinds, type SubjectKind } from '../privacy/subjects.ts';

/** What a regulation does, by Tributary's names; Segment's are accepted too (see `regulationInputSchema`). */
export const regulationTypes = [
  'DELETE',
  'SUPPRESS',
  'SUPPRESS_WITH_DELETE',
  'UNSUPPRESS',
] as const;

export type RegulationType = (typeof regulationTypes)[number];

export const regulationStatuses = [
  'INITIALIZED',
  'RUNNING',
  'FINISHED',
  'PARTIAL_SUCCESS',
  'FAILED',
] as const;

export type RegulationStatus = (typeof regulationStatuses)[number];

/** The stores a regulation that deletes sweeps, in the order it sweeps them. */
export const erasureStores = [
  'events',
  'deliveries',
  'idempotency',
  'warehouseRejections',
  'uploads',
  'warehouse',
] as const;

export type ErasureStore = (typeof erasureStores)[number];

/** What one store's sweep proves: where it looked, what it removed, when. */
export type Receipt = {
  store: ErasureStore | 'suppressionList' | 'receivers';
  searched: string;
  removed: number;
  at: Date;
  error: string | null;
};

export type Regulation = {
  regulationId: string;
  type: RegulationType;
  subjectKind: SubjectKind;
  subjectCount: number;
  /** Keyed hashes of the subjects: what the suppression list and tombstones hold. */
  subjectHashes: string[];
  status: RegulationStatus;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** When its change reached the suppression list; sweeps wait for every instance to see it. */
  listedAt: Date | null;
  attempts: number;
  receipts: Receipt[];
  error: string | null;
};

/** Segment's regulation types, as Tributary does them (it has no archive to leave alone). */
const segmentTypes: Record<string, RegulationType> = {
  DELETE_ONLY: 'DELETE',
  DELETE_INTERNAL: 'DELETE',
  SUPPRESS_WITH_DELETE_INTERNAL: 'SUPPRESS_WITH_DELETE',
};

const segmentKinds: Record<string, SubjectKind> = {
  USER_ID: 'userId',
  ANONYMOUS_ID: 'anonymousId',
};

const typeField = z
  .string()
  .transform((value, context) => {
    const type = (regulationTypes as readonly string[]).includes(value)
      ? (value as RegulationType)
      : segmentTypes[value];
    if (!type) {
      context.addIssue({
        code: 'custom',
        message: `must be one of ${[...regulationTypes, ...Object.keys(segmentTypes)].join(', ')}`,
      });
      return z.NEVER;
    }
    return type;
  })
  .describe(
    `${regulationTypes.join(', ')}; Segment's DELETE_ONLY, DELETE_INTERNAL and SUPPRESS_WITH_DELETE_INTERNAL too`,
  );

const kindField = z
  .string()
  .transform((value, context) => {
    const kind = (subjectKinds as readonly string[]).includes(value)
      ? (value as SubjectKind)
      : segmentKinds[value];
    if (!kind) {
      context.addIssue({
        code: 'custom',
        message: 'must be userId or anonymousId (or USER_ID, ANONYMOUS_ID)',
      });
      return z.NEVER;
    }
    return kind;
  })
  .describe("userId or anonymousId; Segment's USER_ID and ANONYMOUS_ID too");

const subjectsField = (max: number) =>
  z
    .array(z.string().min(1).max(200))
    .min(1)
    .max(max)
    .describe(`1 to ${max} ids, each at most 200 characters`);

/**
 * A regulation as filed: Tributary's field names or Segment's (`regulationType`,
 * `subjectType`, `subjectIds`), one of each pair, never both.
 */
export function regulationInputSchema(maxSubjects: number) {
  return z
    .strictObject({
      type: typeField.optional(),
      regulationType: typeField.optional(),
      subjectKind: kindField.optional(),
      subjectType: kindField.optional(),
      subjects: subjectsField(maxSubjects).optional(),
      subjectIds: subjectsField(maxSubjects).optional(),
    })
    .superRefine((input, context) => {
      for (const [ours, segments] of [
        ['type', 'regulationType'],
        ['subjectKind', 'subjectType'],
        ['subjects', 'subjectIds'],
      ] as const) {
        if (input[ours] === undefined && input[segments] === undefined)
          context.addIssue({ code: 'custom', path: [ours], message: `required (or ${segments})` });
        if (input[ours] !== undefined && input[segments] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [segments],
            message: `give ${ours} or ${segments}, not both`,
          });
      }
    })
    .transform((input) => ({
      type: (input.type ?? input.regulationType)!,
      subjectKind: (input.subjectKind ?? input.subjectType)!,
      subjects: [...new Set(input.subjects ?? input.subjectIds)],
    }));
}

export type RegulationInput = z.output<ReturnType<typeof regulationInputSchema>>;

export function deletes(type: RegulationType): boolean {
  return type === 'DELETE' || type === 'SUPPRESS_WITH_DELETE';
}

/** The list changes a regulation makes, in order. */
export function listOps(type: RegulationType): PrivacyOp[] {
  if (type === 'SUPPRESS') return ['suppress'];
  if (type === 'UNSUPPRESS') return ['unsuppress'];
  if (type === 'DELETE') return ['erase'];
  return ['suppress', 'erase'];
}

/** How a regulation ends once every store was tried: a store that failed makes it partial. */
export function finalStatus(receipts: readonly Receipt[]): RegulationStatus {
  const failed = receipts.filter((receipt) => receipt.error !== null).length;
  if (failed === 0) return 'FINISHED';
  return failed === receipts.length ? 'FAILED' : 'PARTIAL_SUCCESS';
}

/** What the API answers: never the subjects nor their hashes. */
export function presentRegulation(regulation: Regulation) {
  const { subjectHashes: _hashes, ...shown } = regulation;
  return shown;
}
