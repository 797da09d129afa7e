import type { Page } from 'playwright-core';

const CONTROL_ROLES = [
  'textbox',
  'searchbox',
  'combobox',
  'listbox',
  'button',
  'checkbox',
  'radio',
  'spinbutton',
  'slider',
  'switch',
];
/** A control in chromium's accessibility tree with no name: the role not followed by a quoted name. */
const UNNAMED = new RegExp(`^\\s*- (${CONTROL_ROLES.join('|')})(?=$|:| \\[)`);

/** The form controls the page exposes with no accessible name, as chromium's accessibility tree computes it. */
export async function unnamedControls(page: Page): Promise<string[]> {
  const tree = await page.locator('body').ariaSnapshot();
  return tree.split('\n').filter((line) => UNNAMED.test(line));
}

export interface ContrastFailure {
  readonly text: string;
  readonly color: string;
  readonly background: string;
  readonly ratio: number;
}

/**
 * Every visible text (and every form control's text) whose colour against its effective background
 * (the ancestors' background colours composited, white under all) is below `minimum`:1 (WCAG 2's
 * relative luminance and contrast ratio, computed in the page from getComputedStyle).
 */
export function lowContrastTexts(page: Page, minimum = 4.5): Promise<ContrastFailure[]> {
  // Plain JS run in the page (this project's TypeScript has no DOM library).
  return page.evaluate(`(${CONTRAST_IN_PAGE})(${Number(minimum)})`);
}

const CONTRAST_IN_PAGE = `(min) => {
  const parse = (css) => {
    const n = (css.match(/[\\d.]+/g) || []).map(Number);
    return [n[0] || 0, n[1] || 0, n[2] || 0, n.length > 3 ? n[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const luminance = (c) => {
    const lin = (v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    return layers.reduceRight((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const hasText = (el) =>
    [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
  const failures = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('select') && el.tagName !== 'SELECT') continue;
    if (!(hasText(el) || el.matches('input, select, textarea')) || !visible(el)) continue;
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < min)
      failures.push({
        text: (el.textContent || el.value || '').trim().slice(0, 60) || el.tagName,
        color: getComputedStyle(el).color,
        background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')',
        ratio: Math.round(ratio * 100) / 100,
      });
  }
  return failures;
}`;

/** The page's form controls all named and its texts all readable: what the console promises of every page. */
export async function expectAccessible(page: Page): Promise<void> {
  expect({ unnamed: await unnamedControls(page), lowContrast: await lowContrastTexts(page) }).toEqual({
    unnamed: [],
    lowContrast: [],
  });
}
