import { csvRow } from '../../../shared/audit/export';

describe('audit CSV cells', () => {
  it('writes text a spreadsheet would run as a formula with a leading quote, quoted or not', () => {
    // A run id posted to the operator API, a delivery id header, a display name: anyone's text.
    const hostile = ['=HYPERLINK("https://x","open")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1'];
    expect(csvRow(hostile)).toBe(`"'=HYPERLINK(""https://x"",""open"")",'+1+1,'-2+3,'@SUM(A1),'\tcmd,"'\r=1"\r\n`);
  });

  it('quotes a formula behind white space a spreadsheet may trim first', () => {
    expect(csvRow([' =1+1', '\n=1', '\u00a0@SUM(A1)', '  -2'])).toBe(`' =1+1,"'\n=1",'\u00a0@SUM(A1),'  -2\r\n`);
    // White space before anything else is text.
    expect(csvRow([' acme', '\nnote'])).toBe(' acme,"\nnote"\r\n');
  });

  it('leaves other cells as they are: numbers, plain text, empty', () => {
    expect(csvRow(['acme/shop', -5, null, 'a,b', 'say "hi"'])).toBe('acme/shop,-5,,"a,b","say ""hi"""\r\n');
  });
});
