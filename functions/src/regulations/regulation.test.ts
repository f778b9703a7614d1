import { describe, expect, it } from 'vitest';
import { finalStatus, listOps, regulationInputSchema, type Receipt } from './regulation.ts';

const schema = regulationInputSchema(3);

const receipt = (error: string | null): Receipt => ({
  store: 'events',
  searched: '',
  removed: 0,
  at: new Date(),
  error,
});

describe('a regulation as filed', () => {
  it("takes Tributary's names or Segment's, and keeps each subject once", () => {
    expect(
      schema.parse({ type: 'DELETE', subjectKind: 'userId', subjects: ['a', 'a', 'b'] }),
    ).toEqual({
      type: 'DELETE',
      subjectKind: 'userId',
      subjects: ['a', 'b'],
    });
    expect(
      schema.parse({
        regulationType: 'SUPPRESS_WITH_DELETE_INTERNAL',
        subjectType: 'USER_ID',
        subjectIds: ['a'],
      }),
    ).toMatchObject({ type: 'SUPPRESS_WITH_DELETE', subjectKind: 'userId' });
    expect(
      schema.parse({ type: 'DELETE_ONLY', subjectKind: 'ANONYMOUS_ID', subjects: ['a'] }),
    ).toMatchObject({
      type: 'DELETE',
      subjectKind: 'anonymousId',
    });
  });

  it.each([
    [{ type: 'DELETE_ARCHIVE_ONLY', subjectKind: 'userId', subjects: ['a'] }, 'type'],
    [{ type: 'DELETE', subjectKind: 'OBJECT_ID', subjects: ['a'] }, 'subjectKind'],
    [{ type: 'DELETE', subjectKind: 'userId', subjects: ['a', 'b', 'c', 'd'] }, 'subjects'],
    [{ type: 'DELETE', subjectKind: 'userId', subjects: ['a'], subjectIds: ['a'] }, 'subjectIds'],
    [{ type: 'DELETE', subjectKind: 'userId', subjects: ['x'.repeat(201)] }, 'subjects'],
    [{ type: 'DELETE', subjectKind: 'userId' }, 'subjects'],
    [{ type: 'DELETE', subjectKind: 'userId', subjects: ['a'], extra: 1 }, ''],
  ])('refuses %j, naming %s', (input, field) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.')).join(' ')).toContain(field);
  });

  it('changes the list as its type says, and ends partial when a store failed', () => {
    expect(listOps('SUPPRESS_WITH_DELETE')).toEqual(['suppress', 'erase']);
    expect(listOps('UNSUPPRESS')).toEqual(['unsuppress']);
    expect(finalStatus([receipt(null), receipt(null)])).toBe('FINISHED');
    expect(finalStatus([receipt(null), receipt('down')])).toBe('PARTIAL_SUCCESS');
    expect(finalStatus([receipt('down')])).toBe('FAILED');
  });
});
