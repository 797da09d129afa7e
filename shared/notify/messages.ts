import { type ApprovalRequested, ENDED_UNREPORTED, type NotificationDetail } from '../../events';
import { printable } from '../text/printable';
import type { Message } from './ports';
import type { NotifyTarget } from './targets';

/** Block and action ids of an approval request's Slack message, as the Slack route reads them back. */
export const SLACK_IDS = {
  reasonBlock: 'gantry_reason',
  reasonInput: 'reason',
  actionsBlock: 'gantry_decision',
  approve: 'gantry_approve',
  reject: 'gantry_reject',
} as const;

/** A headline and lines, the same words for every target. */
interface Summary {
  readonly headline: string;
  readonly lines: readonly string[];
}

function summaryOf(event: NotificationDetail): Summary {
  const d = event.detail;
  const where = `${d.pipeline}${d.environment ? ` → ${d.environment}` : ''}`;
  const change = `commit ${d.commit.slice(0, 12)}${d.branch ? ` on ${d.branch}` : ''} of ${d.repository} (run ${d.runId})`;
  switch (event.detailType) {
    case 'Run Succeeded':
      return {
        headline: `Run succeeded: ${where}`,
        lines: [change, event.detail.deployed ? 'deployed' : 'built and checked'],
      };
    case 'Run Failed': {
      const { stage, error, reason } = event.detail.failure;
      // An operator's cancel: its reason already says who cancelled it and why.
      if (error === ENDED_UNREPORTED.cancelled) return { headline: `Run cancelled: ${where}`, lines: [change, reason] };
      return { headline: `Run failed: ${where}`, lines: [change, `${stage}: ${reason}`] };
    }
    case 'Approval Requested':
      return {
        headline: `Approval requested: ${where}`,
        lines: [
          change,
          ...(event.detail.asks ?? []).map((ask) => `This approval also releases ${ask}`),
          approvalTerms(event.detail),
          `or: gantry runs approve ${d.runId} --reason "…"`,
        ],
      };
    case 'Deployment Rolled Back':
      return {
        headline: `Deployment rolled back: ${where}`,
        lines: [
          change,
          `${event.detail.target}, deployment ${event.detail.deploymentId || '(none)'}: ${event.detail.reason}`,
        ],
      };
  }
}

type Terms = Pick<ApprovalRequested, 'minApprovals' | 'approvers' | 'deadline'>;

const NOBODY = 'nobody configured';

/** An approval request's terms line: how many approvals, from whom, until when. */
function approvalTerms({ minApprovals, approvers, deadline }: Terms): string {
  return `${minApprovals} approval(s) from ${approvers.join(', ') || NOBODY} until ${deadline}`;
}

/**
 * The terms a line states, if it reads as `approvalTerms` writes them (the inverse of it; the
 * caller checks a line by rendering the terms read back and comparing).
 */
export function termsOf(line: string): Terms | undefined {
  const match = /^(\d{1,9}) approval\(s\) from (.*) until (\S+)$/.exec(line);
  if (match === null) return undefined;
  const [, min = '', names = '', deadline = ''] = match;
  return { minApprovals: Number(min), approvers: names === NOBODY ? [] : names.split(', '), deadline };
}

/**
 * Each line of the summary on one line, as written: a branch name, a test's name in a gate reason
 * or a failure reason is its sender's, and a line break (`&#10;` in a JUnit name) or a control
 * character in it would otherwise start a line that reads as Gantry's own ("✅ Approved by alice")
 * in Slack, Teams and e-mail alike.
 */
function printableSummary({ headline, lines }: Summary): Summary {
  return { headline: printable(headline), lines: lines.map(printable) };
}

/** What reaches `target` about `event`: Slack blocks, a Teams Adaptive Card, or an e-mail's subject and text. */
export function render(target: NotifyTarget, event: NotificationDetail): Message {
  const summary = printableSummary(summaryOf(event));
  switch (target.type) {
    case 'slack':
      return { kind: 'webhook', body: renderSlack(event, target.interactive) };
    case 'teams':
      return { kind: 'webhook', body: teamsMessage(summary) };
    case 'sns':
      return {
        kind: 'sns',
        subject: subjectLine(summary.headline),
        text: [summary.headline, '', ...summary.lines].join('\n'),
      };
  }
}

/**
 * The Slack message of `event` as Gantry posts it; the Slack route renders an approval request
 * again to compare it with the message a button was clicked on.
 */
export function renderSlack(event: NotificationDetail, interactive: boolean): { text: string; blocks: unknown[] } {
  return slackMessage(printableSummary(summaryOf(event)), event, interactive);
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>`, links): text from a change is escaped. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The headline (the config's pipeline and environment names) is mrkdwn; the lines hold text the
 * change's author controls (branch names, gate reasons from test reports, PR titles), so they go
 * in a rich_text block, whose text elements Slack shows as written: no formatting, no links, no
 * mentions (those are elements of their own), whatever the text says.
 */
function slackMessage(summary: Summary, event: NotificationDetail, interactive: boolean) {
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(summary.headline)}*`, verbatim: true } },
    {
      type: 'rich_text',
      elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: summary.lines.join('\n') }] }],
    },
  ];
  if (interactive && event.detailType === 'Approval Requested') {
    blocks.push(
      {
        type: 'input',
        block_id: SLACK_IDS.reasonBlock,
        label: { type: 'plain_text', text: 'Reason (required)' },
        element: { type: 'plain_text_input', action_id: SLACK_IDS.reasonInput },
      },
      {
        type: 'actions',
        block_id: SLACK_IDS.actionsBlock,
        elements: [
          button('Approve', SLACK_IDS.approve, event.detail.runId, 'primary'),
          button('Reject', SLACK_IDS.reject, event.detail.runId, 'danger'),
        ],
      },
    );
  }
  return { text: slackEscape(summary.headline), blocks };
}

function button(text: string, actionId: string, runId: string, style: 'primary' | 'danger') {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value: runId, style };
}

/**
 * Teams renders Markdown in a TextBlock (links, emphasis, lists): the card holds the words in a
 * RichTextBlock's TextRuns instead, which Adaptive Cards show as written.
 */
function teamsMessage(summary: Summary) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [summary.headline, ...summary.lines].map((line, i) => ({
            type: 'RichTextBlock',
            inlines: [{ type: 'TextRun', text: line, ...(i === 0 ? { weight: 'Bolder' } : {}) }],
          })),
        },
      },
    ],
  };
}

/** SNS subjects: at most 100 characters, no line breaks. */
function subjectLine(headline: string): string {
  const flat = `[Gantry] ${headline}`.replace(/[\r\n]+/g, ' ');
  return flat.length <= 100 ? flat : `${flat.slice(0, 99)}…`;
}
