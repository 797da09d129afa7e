import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BrowserContext, Page } from 'playwright-core';
import { git } from '../../cli/local/sample-repo';
import type { AuditEvent } from '../../events';
import { AuditReader } from '../../shared/audit/reader';
import { documentClient } from '../../shared/aws/clients';
import type { RunRecord } from '../../shared/runs/model';
import { edgeClientConfig, eventually, startTestPlane, type TestPlane } from '../support/local';
import { expectAccessible, lowContrastTexts, unnamedControls } from './a11y';
import { browserAvailable, CHROMIUM, launchChromium } from './chromium';

/**
 * The README's console pictures: rewritten in docs/console only when asked
 * (`GANTRY_UPDATE_SCREENSHOTS=1 npm test -- test/browser`), so that running the suite leaves the
 * checkout as it found it; otherwise they are still taken (the pages must render), into a temp folder.
 */
const SHOTS = process.env.GANTRY_UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', 'docs', 'console')
  : mkdtempSync(join(tmpdir(), 'gantry-console-shots-'));

/** A release commit on `branch` written by `author` (so separation of duties keeps them from approving it). */
function releaseCommit(repo: string, branch: string, author: string): string {
  git(repo, 'checkout', '--quiet', '-B', branch, 'develop');
  execFileSync(
    'git',
    [
      '-c',
      `user.name=${author}`,
      '-c',
      `user.email=${author}@example.com`,
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      `release by ${author}`,
    ],
    { cwd: repo },
  );
  const sha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '--quiet', 'develop');
  return sha;
}

if (!browserAvailable()) {
  describe('the web console in a real browser', () => {
    it(`is not run here: ${CHROMIUM} is absent (GANTRY_REQUIRE_BROWSER=1 makes this a failure)`, () => {
      expect(existsSync(CHROMIUM)).toBe(false);
    });
  });
} else {
  describe('the web console in a real browser', () => {
    let t: TestPlane;
    let chrome: Awaited<ReturnType<typeof launchChromium>>;
    let context: BrowserContext;
    let page: Page;
    /** Every body the console's API answered the browser with. */
    const answered: string[] = [];
    const runOf = (commit: string, what: string, ready: (r: RunRecord) => boolean) =>
      eventually(
        `the run of ${commit.slice(0, 7)} ${what}`,
        async () => (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === commit && ready(r)),
        120_000,
      );
    const ledger = async (runId: string): Promise<AuditEvent[]> => {
      const reader = new AuditReader(documentClient(new DynamoDBClient(edgeClientConfig(t.plane))), 'gantry-audit');
      const events: AuditEvent[] = [];
      for await (const e of reader.query({ runId })) events.push(e);
      return events;
    };
    const base = () => `${t.plane.webhookUrl}/console`;

    beforeAll(async () => {
      t = await startTestPlane();
      chrome = await launchChromium();
      context = chrome.context;
      context.on('response', async (res) => {
        if (!res.url().includes('/console/api/')) return;
        try {
          answered.push(await res.text());
        } catch {
          // a stream closed by navigation: nothing to read
        }
      });
      page = await context.newPage();
      const signIn = await page.goto(t.plane.consoleUrl);
      expect(signIn?.status()).toBe(200);
    }, 120_000);
    afterAll(async () => {
      await chrome?.close();
      await t?.close();
    });

    it('refuses a caller without the banner link, and an action from another origin', async () => {
      const bare = await fetch(`${base()}/api/runs`);
      expect(bare.status).toBe(401);
      expect(await bare.text()).toContain('npm start banner');
      const wrongCode = await fetch(`${base()}/?code=not-the-code`, { redirect: 'manual' });
      expect(wrongCode.status).toBe(401);
      expect(wrongCode.headers.get('set-cookie')).toBeNull();
      const cookies = await context.cookies();
      const cookie = cookies.find((c) => c.name === 'gantry_console');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      const forged = await fetch(`${base()}/api/me`, {
        method: 'POST',
        headers: {
          cookie: `gantry_console=${cookie?.value}`,
          origin: 'http://evil.example',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ identity: 'bob' }),
      });
      expect(forged.status).toBe(403);
    });

    it('finds an unnamed control and low-contrast text when a page has them (the checks can fail)', async () => {
      await page.goto(`${base()}/`);
      await page.locator('h1', { hasText: 'Runs' }).waitFor();
      expect(await unnamedControls(page)).toEqual([]);
      await page.evaluate(`(() => {
        const input = document.createElement('input');
        input.id = 'planted-input';
        const faint = Object.assign(document.createElement('p'), { id: 'planted-text', textContent: 'faint words' });
        faint.style.color = '#aaa';
        document.querySelector('main').append(input, faint);
      })()`);
      expect(await unnamedControls(page)).toEqual([expect.stringMatching(/^\s*- textbox$/)]);
      expect(await lowContrastTexts(page)).toEqual([
        { text: 'faint words', color: 'rgb(170, 170, 170)', background: 'rgb(255, 255, 255)', ratio: 2.32 },
      ]);
      await page.reload();
      await page.locator('h1', { hasText: 'Runs' }).waitFor();
      await expectAccessible(page);
    });

    it("lists the demo's runs, and shows a live run's graph and log changing without a reload", async () => {
      expect((await t.push({ branch: 'develop' })).status).toBe(202);
      const commit = git(t.repo(), 'rev-parse', 'develop');
      const run = await runOf(commit, 'to start', () => true);
      await page.goto(`${base()}/`);
      await page.locator(`tr[data-run="${run.runId}"]`).waitFor({ timeout: 15_000 });
      await page.locator(`tr[data-run="${run.runId}"] a`).click();
      await page.locator('[data-testid="run-status"]').waitFor();
      await expectAccessible(page);
      await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
      const first = await page.locator('[data-testid="run-status"]').textContent();
      const firstDone = await page.locator('.graph [data-status="succeeded"]').count();
      expect(['QUEUED', 'RUNNING']).toContain(first);
      // The graph follows the execution as its states complete, pushed by the server (no reload).
      await eventually(
        'more states to succeed on the page',
        async () =>
          (await page.locator('.graph [data-status="succeeded"]').count()) > firstDone + 2 ? true : undefined,
        90_000,
      );
      await eventually(
        'the build log on the page',
        async () =>
          ((await page.locator('[data-testid="log"]').textContent()) ?? '').includes('Entering phase')
            ? true
            : undefined,
        90_000,
      );
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      // The search asks the server for matching lines only.
      await page.fill('#logq', 'zzz-no-such-line');
      await page.click('form[role="search"] button');
      await eventually('the filtered log to empty', async () =>
        ((await page.locator('[data-testid="log"]').textContent()) ?? '') === '' ? true : undefined,
      );
      await page.goto(`${base()}/`);
      await page.locator(`tr[data-run="${run.runId}"]`).waitFor();
      await expectAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'runs.png') });
    }, 180_000);

    it('hides and refuses the approval for its author, and takes it from an allowed approver', async () => {
      const commit = releaseCommit(t.repo(), 'release/console-1', 'alice');
      expect((await t.push({ branch: 'release/console-1' })).status).toBe(202);
      const run = await runOf(commit, 'to wait for approval', (r) => r.stages.approval?.status === 'waiting');
      const token = run.approval?.taskToken ?? '';
      expect(token.length).toBeGreaterThan(10);
      await page.goto(`${base()}/runs/${encodeURIComponent(run.runId)}`);
      await page.locator('[data-testid="acting-as"] select').waitFor();
      expect(await page.locator('[data-testid="acting-as"] select').inputValue()).toBe('alice');
      await page.locator('[data-testid="why"]').waitFor();
      expect(await page.locator('[data-testid="why"]').textContent()).toContain('another approver must decide');
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

      // The server refuses regardless of what the page shows, with the operator API's reason, and audits it.
      const refused = await page.evaluate(async (runId) => {
        const res = await fetch(`/console/api/runs/${encodeURIComponent(runId)}/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ decision: 'approve', reason: 'my own change' }),
        });
        return { status: res.status, body: await res.json() };
      }, run.runId);
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'separation_of_duties' } } });
      expect((await ledger(run.runId)).filter((e) => e.type === 'operator.refused')).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ id: 'arn:aws:iam::000000000000:user/alice' }) }),
      ]);

      await page.selectOption('[data-testid="acting-as"] select', 'bob');
      await page.getByRole('button', { name: 'Approve' }).waitFor();
      await expectAccessible(page);
      // By keyboard only: Tab to the reason, type it, Tab to Approve (its focus visible), Enter.
      await page.locator('[data-testid="acting-as"] select').focus();
      const focused = () =>
        page.evaluate(`(() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return { id: el.id, text: el.textContent, outline: style.outlineStyle + ' ' + style.outlineWidth };
        })()`) as Promise<{ id: string; text: string; outline: string }>;
      for (let presses = 0; (await focused()).id !== 'reason'; presses++) {
        expect(presses).toBeLessThan(20);
        await page.keyboard.press('Tab');
      }
      await page.keyboard.type('release notes reviewed');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(SHOTS, 'run-phone.png'), fullPage: false });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.keyboard.press('Tab');
      expect(await focused()).toEqual({ id: '', text: 'Approve', outline: 'solid 3px' });
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="action-result"]', { hasText: 'approved' }).waitFor();
      expect(await page.locator('#reason').inputValue()).toBe('release notes reviewed');
      const decided = await runOf(commit, 'to be approved', (r) => r.approval?.outcome === 'approved');
      expect(Object.keys(decided.approval?.decisions ?? {})).toEqual(['bob']);
      await page.locator('.decisions li', { hasText: 'bob approved' }).waitFor();
      expect(await page.locator('.decisions li', { hasText: 'bob approved' }).textContent()).toContain(
        'release notes reviewed',
      );
      await expectAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });

      // The build's artifacts and their signed provenance, as the run record pins them.
      const pinned = decided.provenance?.subjects[0];
      expect(pinned).toBeDefined();
      await page.locator('[data-testid="provenance"]', { hasText: pinned?.name ?? '-' }).waitFor();
      expect(await page.locator('[data-testid="provenance"]').textContent()).toContain(pinned?.sha256.slice(0, 16));
      // Once it deployed, an operator may roll its environment back from the page.
      await runOf(commit, 'to succeed', (r) => r.status === 'SUCCEEDED');
      await page.getByRole('button', { name: 'Roll back' }).waitFor({ timeout: 30_000 });

      // Nothing the console sent the browser carried a task token.
      expect(answered.length).toBeGreaterThan(5);
      for (const body of answered) {
        expect(body).not.toContain(token);
        expect(body).not.toContain('taskToken');
        expect(body).not.toContain('laneToken');
      }
    }, 240_000);

    it('searches the ledger with the CLI filters and exports what it selects with its manifest', async () => {
      const [run] = await t.runs
        .list({ pipeline: 'sample-service', limit: 50 })
        .then((runs) => runs.filter((r) => r.branch === 'release/console-1'));
      if (run === undefined) throw new Error('the approval test made no release run');
      await page.goto(`${base()}/audit`);
      await page.getByLabel('runId').fill(run.runId);
      await page.getByLabel('type').fill('approval');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('table.audit tbody tr', { hasText: 'approval.granted' }).waitFor();
      const rows = await page.locator('table.audit tbody tr').count();
      expect(rows).toBe((await ledger(run.runId)).filter((e) => e.type.startsWith('approval')).length);

      // The ledger's verification, computed on request as `gantry audit verify` computes it.
      expect(await page.locator('[data-testid="verification"] [data-ok]').count()).toBe(0);
      await page.getByRole('button', { name: 'Verify the ledger' }).click();
      const verdict = page.locator('[data-testid="verification"] [data-ok]');
      await verdict.waitFor({ timeout: 30_000 });
      expect(await verdict.getAttribute('data-ok')).toBe('true');
      const said = (await verdict.textContent()) ?? '';
      expect(said).toMatch(/Verified (\d+) event\(s\) in (\d+) chain\(s\); \d+ signed checkpoint\(s\) checked/);
      expect(Number(/Verified (\d+)/.exec(said)?.[1])).toBeGreaterThanOrEqual(rows);
      await expectAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'csv' }).click(),
      ]);
      const csv = readFileSync((await download.path()) ?? '', 'utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toContain('type');
      expect(csv).toHaveLength(rows + 1);
      const manifest = await page.request.get(
        `${base()}/api/audit/export?format=csv&part=manifest&runId=${encodeURIComponent(run.runId)}&type=approval`,
      );
      expect(await manifest.json()).toMatchObject({ count: rows, format: 'csv', sha256: expect.any(String) });

      // A period that is no period is refused with what to fix, on the page, not answered with nothing.
      await page.getByLabel('from', { exact: true }).fill('2026-08-12');
      await page.getByLabel('to', { exact: true }).fill('2026-08-10');
      await page.getByRole('button', { name: 'Search' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'from 2026-08-12 comes after to 2026-08-10: no event can match; swap them' })
        .waitFor();
      expect(await page.locator('table.audit tbody tr').count()).toBe(0);

      // With nothing that bounds it, a search reads the last 30 days, and the page says from when.
      const thirtyDays = () => new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
      const before = thirtyDays();
      for (const f of ['runId', 'type', 'from', 'to']) await page.getByLabel(f, { exact: true }).fill('');
      await page.getByRole('button', { name: 'Search' }).click();
      const since = page.locator('[data-testid="default-from"]');
      await since.waitFor();
      expect([before, thirtyDays()]).toContain(await since.textContent());
      expect(await page.locator('table.audit tbody tr').count()).toBeGreaterThan(rows);
      // Forty characters that name no SHA-1 commit: none found, and the page says how to look further.
      await page.getByLabel('commit', { exact: true }).fill('f'.repeat(40));
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('[data-testid="hint"]', { hasText: 'give all 64 characters' }).waitFor();
      expect(await page.locator('table.audit tbody tr').count()).toBe(0);
      await page.getByLabel('commit', { exact: true }).fill('');

      // The change's evidence dossier, built from the ledger as `gantry audit evidence` builds it.
      await page.goto(`${base()}/runs/${encodeURIComponent(run.runId)}/dossier`);
      const dossier = page.locator('[data-testid="dossier"]');
      await dossier.waitFor();
      expect(await dossier.textContent()).toContain('bob');
      // Its integrity line, as the CLI's: the signed checkpoints were read (none signs this run yet).
      expect(await dossier.textContent()).toContain('signed by no checkpoint yet');
      expect(await dossier.textContent()).not.toContain('checkpoints not checked');
      await expectAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'dossier.png') });
      await page.getByRole('link', { name: 'Metrics' }).click();
      await page.locator('[data-testid="metrics"]').waitFor();
      await expectAccessible(page);
      await page.screenshot({ path: join(SHOTS, 'metrics.png') });
    }, 120_000);
  });
}
