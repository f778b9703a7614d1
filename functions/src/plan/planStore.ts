import type { Firestore, Transaction } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import {
  draftDocument,
  draftOf,
  planOf,
  typeOf,
  versionDocument,
  versionOf,
} from './planDocuments.ts';
import {
  sameDefinition,
  type PlanFile,
  type PlanSettings,
  type PublishedPlan,
  type PlanType,
  type TypeDraft,
  type TypeVersion,
} from './trackingPlan.ts';

export type { PlanType } from './trackingPlan.ts';

export type PublishOutcome =
  | { kind: 'published'; version: TypeVersion; revision: number }
  | { kind: 'no_draft' }
  | { kind: 'unchanged'; version: TypeVersion };

export type ImportOutcome = {
  revision: number;
  published: { eventType: string; version: number }[];
  retired: string[];
  unchanged: string[];
};

/**
 * The tracking plan in Firestore. `tracking_plan/current` holds what is enforced (the
 * settings and each type's current version) in one document, so an instance reads the
 * whole plan with one read; `tracking_plan_types/{type}` holds a type's draft and its
 * immutable `versions/{n}`. Every change is one transaction that also moves `revision`.
 */
export interface PlanStore {
  current(): Promise<PublishedPlan>;
  types(): Promise<PlanType[]>;
  type(eventType: string): Promise<PlanType | undefined>;
  versions(eventType: string): Promise<TypeVersion[]>;
  version(eventType: string, version: number): Promise<TypeVersion | undefined>;
  putDraft(eventType: string, draft: TypeDraft): Promise<void>;
  publish(eventType: string, now: Date): Promise<PublishOutcome>;
  /** Takes a type out of the plan: its events become unplanned; its versions stay. */
  retire(eventType: string): Promise<{ revision: number } | undefined>;
  putSettings(settings: PlanSettings): Promise<{ revision: number }>;
  /** Makes the plan what the file says: changed types get a new version, missing ones retire. */
  apply(file: PlanFile, now: Date): Promise<ImportOutcome>;
}

export class FirestorePlanStore implements PlanStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async current(): Promise<PublishedPlan> {
    return planOf(await this.#currentDoc().get());
  }

  async types(): Promise<PlanType[]> {
    const [plan, snapshot] = await Promise.all([this.current(), this.#types().get()]);
    const types = new Map<string, PlanType>();
    for (const doc of snapshot.docs) types.set(doc.id, typeOf(doc.id, doc.data(), plan));
    for (const name of plan.types.keys())
      if (!types.has(name)) types.set(name, typeOf(name, {}, plan));
    return [...types.values()].sort((a, b) => (a.eventType < b.eventType ? -1 : 1));
  }

  async type(eventType: string): Promise<PlanType | undefined> {
    const [plan, snapshot] = await Promise.all([
      this.current(),
      this.#types().doc(eventType).get(),
    ]);
    if (!snapshot.exists && !plan.types.has(eventType)) return undefined;
    return typeOf(eventType, snapshot.data() ?? {}, plan);
  }

  async versions(eventType: string): Promise<TypeVersion[]> {
    const snapshot = await this.#versions(eventType).orderBy('version', 'desc').get();
    return snapshot.docs.map((doc) => versionOf(doc.data()));
  }

  async version(eventType: string, version: number): Promise<TypeVersion | undefined> {
    const snapshot = await this.#versions(eventType).doc(String(version)).get();
    const data = snapshot.data();
    return data ? versionOf(data) : undefined;
  }

  async putDraft(eventType: string, draft: TypeDraft): Promise<void> {
    await this.#types()
      .doc(eventType)
      .set({ eventType, draft: draftDocument(draft) }, { merge: true });
  }

  async publish(eventType: string, now: Date): Promise<PublishOutcome> {
    return this.#firestore.runTransaction(async (transaction) => {
      const [plan, typeSnapshot] = await Promise.all([
        this.#readPlan(transaction),
        transaction.get(this.#types().doc(eventType)),
      ]);
      const data = typeSnapshot.data() ?? {};
      const draft = data.draft ? draftOf(data.draft as Record<string, unknown>) : null;
      if (!draft) return { kind: 'no_draft' as const };
      const current = plan.types.get(eventType);
      if (current && sameDefinition(current, draft)) {
        transaction.set(this.#types().doc(eventType), { draft: null }, { merge: true });
        return { kind: 'unchanged' as const, version: current };
      }
      const version = this.#writeVersion(transaction, eventType, data, draft, now);
      const revision = this.#writePlan(transaction, plan, { [eventType]: version });
      return { kind: 'published' as const, version, revision };
    });
  }

  async retire(eventType: string): Promise<{ revision: number } | undefined> {
    return this.#firestore.runTransaction(async (transaction) => {
      const plan = await this.#readPlan(transaction);
      if (!plan.types.has(eventType)) return undefined;
      return { revision: this.#writePlan(transaction, plan, { [eventType]: null }) };
    });
  }

  async putSettings(settings: PlanSettings): Promise<{ revision: number }> {
    return this.#firestore.runTransaction(async (transaction) => {
      const plan = await this.#readPlan(transaction);
      return { revision: this.#writePlan(transaction, plan, {}, settings) };
    });
  }

  async apply(file: PlanFile, now: Date): Promise<ImportOutcome> {
    return this.#firestore.runTransaction(async (transaction) => {
      const plan = await this.#readPlan(transaction);
      const typeDocs = await Promise.all(
        file.types.map((type) => transaction.get(this.#types().doc(type.eventType))),
      );
      const changes: Record<string, TypeVersion | null> = {};
      const outcome: Omit<ImportOutcome, 'revision'> = {
        published: [],
        retired: [],
        unchanged: [],
      };
      file.types.forEach((type, index) => {
        const draft = {
          schema: type.schema,
          requiredFields: type.requiredFields ?? [],
          description: type.description ?? null,
          updatedAt: now,
        };
        if (sameDefinition(plan.types.get(type.eventType), draft)) {
          outcome.unchanged.push(type.eventType);
          return;
        }
        const data = typeDocs[index]!.data() ?? {};
        const version = this.#writeVersion(transaction, type.eventType, data, draft, now);
        changes[type.eventType] = version;
        outcome.published.push({ eventType: type.eventType, version: version.version });
      });
      const named = new Set(file.types.map((type) => type.eventType));
      for (const name of plan.types.keys()) {
        if (named.has(name)) continue;
        changes[name] = null;
        outcome.retired.push(name);
      }
      const settingsChanged =
        file.settings.unplanned !== plan.settings.unplanned ||
        file.settings.violations !== plan.settings.violations;
      if (Object.keys(changes).length === 0 && !settingsChanged)
        return { revision: plan.revision, ...outcome };
      return { revision: this.#writePlan(transaction, plan, changes, file.settings), ...outcome };
    });
  }

  /** A new immutable version from a draft: `create`, so a version number is never reused. */
  #writeVersion(
    transaction: Transaction,
    eventType: string,
    typeData: Record<string, unknown>,
    draft: Omit<TypeDraft, 'updatedAt'>,
    now: Date,
  ): TypeVersion {
    const version: TypeVersion = {
      eventType,
      version: Number(typeData.latestVersion ?? 0) + 1,
      schema: draft.schema,
      requiredFields: draft.requiredFields,
      description: draft.description,
      publishedAt: now,
    };
    transaction.create(
      this.#versions(eventType).doc(String(version.version)),
      versionDocument(version),
    );
    transaction.set(
      this.#types().doc(eventType),
      { eventType, latestVersion: version.version, draft: null },
      { merge: true },
    );
    return version;
  }

  /** The enforced plan with some types changed (null: retired); answers the new revision. */
  #writePlan(
    transaction: Transaction,
    plan: PublishedPlan,
    changes: Record<string, TypeVersion | null>,
    settings: PlanSettings = plan.settings,
  ): number {
    const types = new Map(plan.types);
    for (const [name, version] of Object.entries(changes)) {
      if (version) types.set(name, version);
      else types.delete(name);
    }
    const revision = plan.revision + 1;
    transaction.set(this.#currentDoc(), {
      revision,
      settings,
      types: Object.fromEntries(
        [...types].map(([name, version]) => [name, versionDocument(version)]),
      ),
    });
    return revision;
  }

  async #readPlan(transaction: Transaction): Promise<PublishedPlan> {
    return planOf(await transaction.get(this.#currentDoc()));
  }

  #currentDoc() {
    return this.#firestore.collection(collections.trackingPlan.name).doc('current');
  }

  #types() {
    return this.#firestore.collection(collections.trackingPlanTypes.name);
  }

  #versions(eventType: string) {
    return this.#types().doc(eventType).collection(collections.trackingPlanVersions.name);
  }
}
