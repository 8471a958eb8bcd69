import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What jsdom cannot lay out, checked in the source; e2e/issue16.e2e.ts measures the real pages
// at 390 px in Chromium.
const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const css = readFileSync(file('../styles.css'), 'utf8');

/** The declarations of `selector`'s rule in `text` (the first one). */
function rule(text: string, selector: string): string {
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|\\n)\\s*${escaped}\\s*\\{([^}]*)\\}`).exec(text)?.[1] ?? '';
}

describe('a 390 px phone (issue 16, obs. 9)', () => {
  it('keeps wide tables, and the hidden labels inside them, in their own scroll box', () => {
    const scroll = rule(css, '.table-scroll');
    expect(scroll).toContain('overflow-x: auto');
    // Without it a visually hidden label in a table is placed at its offset in the page and
    // widens the page (the tokens page was 799 px wide).
    expect(scroll).toContain('position: relative');
  });

  it('anchors the notifications panel within the viewport on small screens', () => {
    const small = css.slice(css.indexOf('@media (max-width: 40rem)'));
    expect(rule(small, '.bell')).toContain('position: static');
    const panel = rule(small, '.bell-panel');
    expect(panel).toMatch(/left: /);
    expect(panel).toMatch(/right: /);
    expect(panel).toContain('width: auto');
  });
});

describe('the runs filters on a 390 px phone (issue 22, item 9)', () => {
  it('hide behind the Filters button there, and the button only there', () => {
    const at = css.indexOf('.filters-toggle {');
    expect(rule(css.slice(at - 1), '.filters-toggle')).toContain('display: none');
    const small = css.slice(css.indexOf('@media (max-width: 40rem)', at));
    expect(rule(small, '.filters-toggle')).toContain('display: inline-block');
    expect(rule(small, '.filters-collapsible:not(.filters-open)')).toContain('display: none');
  });
});

describe('favicon (issue 16, obs. 13)', () => {
  it.each(['system', 'admin'])('the %s page names an SVG favicon of its own build', (plane) => {
    const html = readFileSync(file(`../${plane}/index.html`), 'utf8');
    expect(html).toMatch(/<link rel="icon" type="image\/svg\+xml" href="\/favicon\.svg" \/>/);
    expect(existsSync(file('../../public/favicon.svg'))).toBe(true);
  });
});

/** WCAG 2 contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('badge contrast (issue 22, item 8)', () => {
  const variable = (name: string) => new RegExp(`--${name}: (#[0-9a-f]{6});`).exec(css)?.[1] ?? '';
  it.each(['.badge', '.badge-queued', '.badge-succeeded', '.badge-severity-medium', '.badge-cancelled', '.badge-severity-critical'])(
    '%s text is 4.5:1 on the page and on a surface',
    (selector) => {
      const colour = /color: var\(--([a-z-]+)\)/.exec(rule(css, selector))?.[1] ?? '';
      expect(variable(colour)).not.toBe('');
      for (const background of ['background', 'surface']) {
        expect(contrast(variable(colour), variable(background))).toBeGreaterThanOrEqual(4.5);
      }
    },
  );
});
