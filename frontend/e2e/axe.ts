import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/**
 * Runs axe-core (bundled with @axe-core/playwright: nothing is fetched) over the page as it is
 * now, with the WCAG 2 level A and AA rules (tags `wcag2a`, `wcag2aa`), and fails with each
 * violation's rule id, what it means, and the elements it found it on. `what` names the page in
 * the failure message.
 */
export async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const violations = results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact ?? 'no impact'}): ${violation.help}\n` +
      violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary ?? ''}`).join('\n'),
  );
  expect(violations, `axe found WCAG 2 A/AA violations on ${what}:\n${violations.join('\n')}`).toEqual([]);
}
