import { describe, expect, it } from 'vitest';
import { isValidEventTypeFilter, matchesEventType, wantsEventType } from './matchesEventType.ts';

describe('matchesEventType', () => {
  it.each([
    ['page.viewed', 'page.viewed', true],
    ['page.viewed', 'page.viewed.twice', false],
    ['page.viewed', 'page.clicked', false],
    ['workspace.*', 'workspace.login.login_success', true],
    ['workspace.*', 'workspace.admin', true],
    ['workspace.*', 'workspaces.login', false],
    ['workspace.login.*', 'workspace.login.login_success', true],
    ['workspace.login.*', 'workspace.admin.change', false],
    ['*', 'anything.at_all', true],
  ])('%s takes %s: %s', (filter, eventType, expected) => {
    expect(matchesEventType(filter, eventType)).toBe(expected);
  });

  it('an endpoint wants an event when any filter takes it', () => {
    expect(wantsEventType(['page.viewed', 'workspace.*'], 'workspace.drive.edit')).toBe(true);
    expect(wantsEventType(['page.viewed'], 'checkout.completed')).toBe(false);
    expect(wantsEventType([], 'page.viewed')).toBe(false);
  });
});

describe('isValidEventTypeFilter', () => {
  it.each(['page.viewed', 'page_view', 'page', 'workspace.*', 'workspace.login.*', '*', 'a_b.c_d'])(
    'accepts %s',
    (f) => {
      expect(isValidEventTypeFilter(f)).toBe(true);
    },
  );

  it.each(['', 'Page.viewed', 'workspace*', 'workspace.*.login', '**', '.*', 'page.', 'a.b*'])(
    'refuses %j',
    (filter) => {
      expect(isValidEventTypeFilter(filter)).toBe(false);
    },
  );
});
