import { describe, expect, it } from 'vitest';
import { eventEnvelopeSchema } from '../lib/eventEnvelope.ts';
import { activityToEvents, derivedEventId, eventTypeOf, parametersOf } from './activityEvent.ts';

const receivedAt = new Date('2026-11-01T12:00:00Z');
const activity = {
  id: {
    time: '2026-11-01T11:58:01.123Z',
    uniqueQualifier: '-123456789',
    applicationName: 'login',
    customerId: 'C01',
  },
  actor: { email: 'ada@example.com', profileId: '42', callerType: 'USER' },
  ipAddress: '203.0.113.9',
  events: [
    {
      type: 'login',
      name: 'login_success',
      parameters: [
        { name: 'login_type', value: 'google_password' },
        { name: 'is_suspicious', boolValue: false },
        { name: 'login_challenge_method', multiValue: ['password'] },
      ],
    },
    { type: 'login', name: 'login_verification' },
  ],
};

describe('activityToEvents', () => {
  it('maps each event of an activity to a valid pipeline event', () => {
    const mapped = activityToEvents('src_1', 'login', activity, receivedAt);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.envelopes.map((e) => e.eventType)).toEqual([
      'workspace.login.login_success',
      'workspace.login.login_verification',
    ]);
    const [first] = mapped.envelopes;
    expect(first).toMatchObject({
      source: 'workspace',
      producer: 'src_1',
      occurredAt: '2026-11-01T11:58:01.123Z',
      receivedAt: '2026-11-01T12:00:00.000Z',
      userId: 'ada@example.com',
      payload: {
        application: 'login',
        eventName: 'login_success',
        actor: { email: 'ada@example.com', profileId: '42', callerType: 'USER' },
        ipAddress: '203.0.113.9',
        uniqueQualifier: '-123456789',
        parameters: {
          login_type: 'google_password',
          is_suspicious: false,
          login_challenge_method: ['password'],
        },
      },
    });
    for (const envelope of mapped.envelopes) {
      expect(eventEnvelopeSchema.safeParse(envelope).success).toBe(true);
    }
  });

  it('gives the same activity the same ids every time, and another source other ids', () => {
    const once = activityToEvents('src_1', 'login', activity, receivedAt);
    const again = activityToEvents('src_1', 'login', activity, new Date());
    const elsewhere = activityToEvents('src_2', 'login', activity, receivedAt);
    const ids = (m: typeof once) => (m.ok ? m.envelopes.map((e) => e.eventId) : []);
    expect(ids(again)).toEqual(ids(once));
    expect(ids(elsewhere)).not.toEqual(ids(once));
    expect(new Set(ids(once)).size).toBe(2);
  });

  it('refuses an activity without its identity', () => {
    expect(activityToEvents('src_1', 'login', { id: { time: 'x' } }, receivedAt)).toEqual({
      ok: false,
      reason: 'activity without id.time or id.uniqueQualifier',
    });
  });
});

describe('eventTypeOf', () => {
  it.each([
    ['login', 'login_success', 'workspace.login.login_success'],
    ['admin', 'CHANGE_PASSWORD', 'workspace.admin.change_password'],
    ['drive', 'view-file', 'workspace.drive.view_file'],
    ['token', '', 'workspace.token.unknown'],
  ])('%s %s → %s', (application, name, type) => {
    expect(eventTypeOf(application, name)).toBe(type);
  });
});

describe('parametersOf and derivedEventId', () => {
  it('takes whichever value field is set', () => {
    expect(
      parametersOf([{ name: 'n', intValue: '3' }, { name: 'm' }, { value: 'nameless' }]),
    ).toEqual({ n: '3', m: null });
  });

  it('derives a UUID (version 8, RFC variant)', () => {
    expect(derivedEventId('src_1', 'k', 0)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
