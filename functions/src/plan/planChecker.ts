import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { HttpError, type FieldError } from '../lib/http.ts';
import {
  maxViolationsPerEvent,
  type Enforcement,
  type JsonSchema,
  type PlanVerdict,
  type PublishedPlan,
  type TypeVersion,
  type Violation,
} from './trackingPlan.ts';

/** The parts of an event the plan reads. */
export type PlannedEvent = {
  eventType: string;
  payload: Record<string, unknown>;
  userId?: string | undefined;
  siteId?: string | undefined;
  path?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
};

/**
 * Checks events against a published plan. Each type's schema is compiled once per
 * version and kept while that version is current, so checking an event is one call of
 * generated code.
 */
export class PlanChecker {
  #ajv: Ajv2020 | undefined;
  /** By type: the version compiled and its validator. */
  readonly #compiled = new Map<string, { version: number; validate: CompiledSchema }>();

  check(plan: PublishedPlan, event: PlannedEvent): PlanVerdict {
    const type = plan.types.get(event.eventType);
    if (!type) {
      if (plan.settings.unplanned === 'allow' && plan.types.size === 0)
        return { kind: 'pass', version: null };
      return verdict(plan.settings.unplanned, [
        {
          eventType: event.eventType,
          version: null,
          instancePath: '',
          keyword: 'unplanned',
          message: `type ${event.eventType} is not in the tracking plan`,
        },
      ]);
    }
    const violations = [...missingFields(type, event), ...this.#payloadViolations(type, event)];
    if (violations.length === 0) return { kind: 'pass', version: type.version };
    return verdict(plan.settings.violations, violations.slice(0, maxViolationsPerEvent));
  }

  /** Resolves once the plan can be checked: the validator is loaded for a plan with types. */
  ready(plan: PublishedPlan): Promise<void> {
    return plan.types.size === 0 ? Promise.resolve() : loadValidator();
  }

  /** Whether any event could be refused at the door under this plan. */
  static blocks(plan: PublishedPlan): boolean {
    return plan.settings.unplanned === 'block' || plan.settings.violations === 'block';
  }

  #payloadViolations(type: TypeVersion, event: PlannedEvent): Violation[] {
    const validate = this.#validator(type);
    if (validate === 'uncompilable') {
      return [
        {
          eventType: type.eventType,
          version: type.version,
          instancePath: '',
          keyword: 'schema',
          message: 'the schema of this version does not compile',
        },
      ];
    }
    if (validate(event.payload)) return [];
    return (validate.errors ?? []).map((error) => ({
      eventType: type.eventType,
      version: type.version,
      instancePath: `/payload${error.instancePath}`,
      keyword: error.keyword,
      message: messageOf(error),
    }));
  }

  #validator(type: TypeVersion): CompiledSchema {
    const held = this.#compiled.get(type.eventType);
    if (held?.version === type.version) return held.validate;
    const ajv = (this.#ajv ??= newAjv());
    // The superseded version's code is dropped with it.
    if (held && held.validate !== 'uncompilable') ajv.removeSchema(held.validate.schema);
    let validate: CompiledSchema;
    try {
      validate = ajv.compile(type.schema);
    } catch {
      validate = 'uncompilable';
    }
    this.#compiled.set(type.eventType, { version: type.version, validate });
    return validate;
  }
}

type CompiledSchema = ValidateFunction | 'uncompilable';

function verdict(enforcement: Enforcement, violations: Violation[]): PlanVerdict {
  return { kind: 'violations', enforcement, violations };
}

function missingFields(type: TypeVersion, event: PlannedEvent): Violation[] {
  return type.requiredFields
    .filter((field) => event[field] === undefined)
    .map((field) => ({
      eventType: type.eventType,
      version: type.version,
      instancePath: '',
      keyword: 'required',
      message: `must have required property '${field}'`,
    }));
}

function messageOf(error: ErrorObject): string {
  const message = error.message ?? error.keyword;
  // Ajv names the property an `additionalProperties` error is about in its params only.
  if (error.keyword === 'additionalProperties') {
    const property = (error.params as { additionalProperty?: string }).additionalProperty;
    return property === undefined ? message : `${message}: '${property}'`;
  }
  return message;
}

type Validator = {
  Ajv2020: typeof import('ajv/dist/2020.js').Ajv2020;
  addFormats: (ajv: Ajv2020) => unknown;
};

let validator: Validator | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads Ajv and its formats (about 45 ms): only an instance that meets a plan with types,
 * or an operator's schema, pays for it, so a pipeline without a plan starts as fast as
 * before. `check` and `schemaErrors` need it loaded.
 */
export function loadValidator(): Promise<void> {
  loading ??= Promise.all([import('ajv/dist/2020.js'), import('ajv-formats')]).then(
    ([ajv, formats]) => {
      validator = {
        Ajv2020: ajv.Ajv2020,
        addFormats: (instance) => formats.default.default(instance),
      };
    },
  );
  return loading;
}

function newAjv(): Ajv2020 {
  if (!validator)
    throw new Error('The schema validator is not loaded: await loadValidator() first.');
  const { Ajv2020, addFormats } = validator;
  // Unknown keywords are errors (a typo like `requried` must not pass silently); type
  // strictness is left to the author, and nothing is logged.
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // A schema's `$id` is not registered: a failed compile, or two types with the same
    // `$id`, must not make later compiles fail with "already exists".
    addUsedSchema: false,
    logger: false,
  });
  addFormats(ajv);
  return ajv;
}

let draftAjv: Ajv2020 | undefined;

/** Why a schema cannot be published, or nothing when it compiles (the validator loaded). */
export function schemaErrors(schema: JsonSchema): FieldError[] {
  draftAjv ??= newAjv();
  try {
    const validate = draftAjv.compile(schema);
    draftAjv.removeSchema(validate.schema);
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [{ field: 'schema', message: message.slice(0, 500) }];
  }
}

/** Violations as the field errors of a refusal (400), one per violation. */
export function violationFields(violations: readonly Violation[]): FieldError[] {
  return violations.map((violation) => ({
    field: violation.instancePath || '(root)',
    message:
      violation.version === null
        ? violation.message
        : `${violation.message} (${violation.eventType} v${violation.version}, ${violation.keyword})`,
  }));
}

/** 400: the tracking plan blocks the event; every violation named by its pointer. */
export function planViolation(violations: readonly Violation[]): HttpError {
  return new HttpError(400, 'plan_violation', 'The event breaks the tracking plan.', {
    fields: violationFields(violations),
  });
}
