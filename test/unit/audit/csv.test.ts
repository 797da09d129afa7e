import { csvRow } from '../../../shared/audit/export';

describe('audit CSV cells', () => {
  it('writes text a spreadsheet would run as a formula with a leading quote, quoted or not', () => {
    // A run id posted to the operator API, a delivery id header, a display name: anyone's text.
    const hostile = ['=HYPERLINK("https://x","open")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1'];
    expect(csvRow(hostile)).toBe(`"'=HYPERLINK(""https://x"",""open"")",'+1+1,'-2+3,'@SUM(A1),'\tcmd,"'\r=1"\r\n`);
  });

  it('leaves other cells as they are: numbers, plain text, empty', () => {
    expect(csvRow(['acme/shop', -5, null, 'a,b', 'say "hi"'])).toBe('acme/shop,-5,,"a,b","say ""hi"""\r\n');
  });
});
