import { describe, expect, it } from 'vitest';
import { translateQuery } from './dialectQuery.ts';

describe('translateQuery', () => {
  const names = { site_id: 'siteId', date: 'date' };
  it.each([
    ['their names', { site_id: 's', date: 'd' }, { siteId: 's', date: 'd' }, []],
    ['nothing', undefined, {}, []],
    ['our name, which is not theirs', { siteId: 's' }, {}, ['siteId']],
    ['a name inherited from Object', { constructor: 'x' }, {}, ['constructor']],
  ])('%s', (_, query, translated, unknown) => {
    const result = translateQuery(query, names);
    expect(result.query).toEqual(translated);
    expect(result.errors.map((e) => e.field)).toEqual(unknown);
  });
});
