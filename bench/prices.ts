/**
 * Google Cloud list prices used by the benchmark's cost model, in US dollars, for a
 * single region in the first pricing tier (us-central1), as published on the products'
 * pricing pages in 2025. Free tiers are ignored: at the rates modelled they are noise.
 * Update this file, and its date, when the price lists change.
 */
export const pricesCheckedOn = '2025-06';

export const prices = {
  /** Cloud Run functions (2nd gen), request-based billing. */
  functions: {
    perVcpuSecond: 0.000024,
    perGibSecond: 0.0000025,
    perMillionRequests: 0.4,
  },
  /** Pub/Sub: throughput, publish and delivery alike. */
  pubsub: { perTib: 40 },
  /** Firestore (Native mode, regional). */
  firestore: {
    perHundredThousandReads: 0.03,
    perHundredThousandWrites: 0.09,
    perHundredThousandDeletes: 0.01,
  },
  /** BigQuery Storage Write API ingestion. */
  bigqueryStorageWrite: { perGib: 0.025 },
} as const;
