import fc from 'fast-check';
import { matchesPattern } from '../../../local/eventbridge';
import { branchSelected, eventPatternFor, globMatches } from '../../../shared/pipelines/branches';

describe('globMatches', () => {
  it.each([
    ['main', 'main', true],
    ['main', 'mainline', false],
    ['release/*', 'release/1.0', true],
    ['release/*', 'release/1.0/hotfix', true],
    ['release/*', 'release', false],
    ['*', 'anything/at/all', true],
    ['feat*-x', 'feature/a-x', true],
    ['feat*-x', 'feature/a-y', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['v\\*', 'v*', true],
    ['v\\*', 'v1', false],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(globMatches(glob, name)).toBe(expected);
  });

  it('selects a branch matched by an include and no exclude', () => {
    expect(branchSelected('release/1.0', ['release/*'], ['release/tmp-*'])).toBe(true);
    expect(branchSelected('release/tmp-x', ['release/*'], ['release/tmp-*'])).toBe(false);
  });
});

describe('eventPatternFor', () => {
  it('uses exact strings, prefixes for name/* globs, and wildcards otherwise', () => {
    expect(eventPatternFor(['main', 'release/*', 'feat*-x'])).toEqual([
      'main',
      { prefix: 'release/' },
      { wildcard: 'feat*-x' },
    ]);
  });

  it('agrees with globMatches on every branch: a rule starts exactly the runs ResolvePlan accepts', () => {
    const part = fc.stringMatching(/^[a-z0-9/.-]{0,6}$/);
    const glob = fc.array(part, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('*'));
    fc.assert(
      fc.property(glob, fc.stringMatching(/^[a-z0-9/.*-]{0,12}$/), (g, branch) => {
        const pattern = { detail: { branch: eventPatternFor([g]) } };
        expect(matchesPattern(pattern, { detail: { branch } })).toBe(globMatches(g, branch));
      }),
      { numRuns: 2000 },
    );
  });
});
