import type { Firestore } from '@google-cloud/firestore';
import { Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collections } from '../../infra/spec.ts';
import { FirestoreVisitorSaltStore } from '../../functions/src/ingest/browser/visitorSaltStore.ts';
import {
  VisitorSaltHolder,
  visitorSaltBytes,
  visitorSaltExpiry,
} from '../../functions/src/ingest/browser/visitorSalts.ts';
import { createFirestore } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import { uniqueProjectId } from '../support/pipeline.ts';

/**
 * The visitor salts in the Firestore emulator: instances (each with its own client)
 * that start a day together agree on one salt, and whoever rotates deletes the salts
 * past their 48 hours.
 */
describe('visitor salts in Firestore', () => {
  const projectId = uniqueProjectId('salts');
  const clients: Firestore[] = [];
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: { write: (line: string) => lines.push(line) },
  });

  const client = () => {
    const firestore = createFirestore(
      loadConfig({
        GOOGLE_CLOUD_PROJECT: projectId,
        FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
      }),
    );
    clients.push(firestore);
    return firestore;
  };
  let firestore: Firestore;
  const holder = () => new VisitorSaltHolder(new FirestoreVisitorSaltStore(client()), { logger });
  const storedDays = async () =>
    (await firestore.collection(collections.visitorSalts.name).get()).docs.map((doc) => doc.id);

  beforeAll(() => {
    firestore = client();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.terminate()));
  });

  it('gives every instance the same salt of a day, however they race to create it', async () => {
    const instances = Array.from({ length: 6 }, holder);
    const noon = new Date('2026-04-10T12:00:00.000Z');
    const held = await Promise.all(instances.map(async (instance) => instance.at(noon)));
    const salts = held.map((h) => h.saltFor('2026-04-10').toString('hex'));
    expect(new Set(salts).size).toBe(1);
    expect(held[0]!.saltFor('2026-04-10')).toHaveLength(visitorSaltBytes);
    // Yesterday's salt, for late events, is one salt too, and another than today's.
    const yesterdays = held.map((h) => h.saltFor('2026-04-09').toString('hex'));
    expect(new Set(yesterdays).size).toBe(1);
    expect(yesterdays[0]).not.toBe(salts[0]);

    const doc = await firestore.collection(collections.visitorSalts.name).doc('2026-04-10').get();
    expect(Buffer.from(doc.get('salt') as Uint8Array).toString('hex')).toBe(salts[0]);
    expect((doc.get('expireAt') as Timestamp).toDate()).toEqual(visitorSaltExpiry('2026-04-10'));
    expect(visitorSaltExpiry('2026-04-10')).toEqual(new Date('2026-04-12T00:00:00.000Z'));
    // A new instance later that day reads the stored salt, and creates nothing.
    const late = await holder().at(new Date('2026-04-10T23:00:00.000Z'));
    expect(late.saltFor('2026-04-10').toString('hex')).toBe(salts[0]);
  });

  it('deletes the salts older than 48 hours when a holder rotates to a new day', async () => {
    const instance = holder();
    await instance.at(new Date('2026-04-10T12:00:00.000Z'));
    // Left behind by instances long gone: days whose 48 hours are over.
    for (const day of ['2026-04-01', '2026-04-07', '2026-04-08']) {
      await firestore
        .collection(collections.visitorSalts.name)
        .doc(day)
        .create({
          salt: Buffer.alloc(visitorSaltBytes, 1),
          expireAt: Timestamp.fromDate(visitorSaltExpiry(day)),
        });
    }
    expect(await storedDays()).toEqual([
      '2026-04-01',
      '2026-04-07',
      '2026-04-08',
      '2026-04-09',
      '2026-04-10',
    ]);
    // 00:00 UTC on 11 April: the salt of 9 April is 48 hours old.
    const rotated = await instance.at(new Date('2026-04-11T00:00:00.000Z'));
    expect(await storedDays()).toEqual(['2026-04-10', '2026-04-11']);
    expect(rotated.today).toBe('2026-04-11');
    // No salt ever reached a log line.
    const stored = await firestore.collection(collections.visitorSalts.name).get();
    for (const doc of stored.docs) {
      const salt = Buffer.from(doc.get('salt') as Uint8Array);
      for (const encoding of ['hex', 'base64', 'base64url'] as const)
        expect(lines.join('\n')).not.toContain(salt.toString(encoding));
    }
  });
});
