import fc from 'fast-check';
import { type FakeProviders, startFakeProviders } from '../../../local/fakeprovider';
import { bitbucketKey, MAX_DESCRIPTION_LENGTH, truncateDescription } from '../../../shared/status';
import { statusFor, testReporter } from './helpers';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('truncateDescription', () => {
  it('keeps a description that fits', () => {
    expect(truncateDescription('Gates passed: 412 tests, coverage 91%')).toBe('Gates passed: 412 tests, coverage 91%');
  });

  it('keeps exactly 140 characters', () => {
    const text = 'x'.repeat(140);
    expect(truncateDescription(text)).toBe(text);
  });

  it('cuts 141 characters to 140 ending with an ellipsis', () => {
    const cut = truncateDescription('x'.repeat(141));
    expect(cut).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(cut.endsWith('x…')).toBe(true);
  });

  it('does not split an emoji with a skin tone at the cut', () => {
    const cut = truncateDescription(`${'a'.repeat(137)}👍🏽 and more`);
    expect(cut).toBe(`${'a'.repeat(137)}…`);
  });

  it('does not separate a letter from its combining accent', () => {
    const cut = truncateDescription(`${'a'.repeat(138)}e\u0301e\u0301e\u0301`);
    expect(cut).toBe(`${'a'.repeat(138)}…`);
  });

  it('flattens newlines and runs of spaces from error messages', () => {
    expect(truncateDescription('  Build failed:\n  exit code 2\t(npm test)  ')).toBe(
      'Build failed: exit code 2 (npm test)',
    );
  });

  it('never exceeds the limit nor leaves half a surrogate pair, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        const cut = truncateDescription(text);
        expect(cut.length).toBeLessThanOrEqual(MAX_DESCRIPTION_LENGTH);
        expect(LONE_SURROGATE.test(cut)).toBe(false);
      }),
    );
  });
});

describe('bitbucketKey', () => {
  it('keeps a context that fits', () => {
    expect(bitbucketKey('gantry/sample-service', 40)).toBe('gantry/sample-service');
  });

  it('shortens a long context to the limit, the same way every time', () => {
    const context = 'gantry/a-pipeline-with-a-rather-long-name-indeed';
    expect(bitbucketKey(context, 40)).toHaveLength(40);
    expect(bitbucketKey(context, 40)).toBe(bitbucketKey(context, 40));
  });

  it('keeps apart two long contexts that share their start', () => {
    const a = 'gantry/a-pipeline-with-a-rather-long-name-one';
    const b = 'gantry/a-pipeline-with-a-rather-long-name-two';
    expect(bitbucketKey(a, 40)).not.toBe(bitbucketKey(b, 40));
  });
});

describe('descriptions the providers receive', () => {
  let fake: FakeProviders;

  beforeAll(async () => {
    fake = await startFakeProviders();
  });
  afterAll(() => fake.close());

  it('fits a 500-character description within what GitHub accepts', async () => {
    const outcome = await testReporter().reporter.report(
      statusFor(fake, 'github', { description: 'failed '.repeat(70) }),
    );

    expect(outcome.outcome).toBe('delivered');
    expect(fake.statuses()[0]?.description).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(fake.statuses()[0]?.description?.endsWith('…')).toBe(true);
  });
});
