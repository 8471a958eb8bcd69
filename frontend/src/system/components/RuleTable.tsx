import type { RuleDetail } from '../../api/types';
import { ruleRows } from '../../lib/runbook';

/**
 * A runbook's rules from its `rule_details` (key, name, what it does) and, given
 * `changesByRule` (a preflight's or a run's), how many findings each one changes.
 */
export function RuleTable({
  rules,
  changesByRule,
  caption,
}: {
  rules: readonly RuleDetail[];
  changesByRule?: Readonly<Record<string, number | undefined>> | null;
  caption: string;
}) {
  const rows = ruleRows(rules, changesByRule);
  const counted = changesByRule !== undefined && changesByRule !== null;
  return (
    <div className="table-scroll">
      <table className="rule-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Name</th>
            <th scope="col">What it does</th>
            {counted && (
              <th scope="col" className="numeric">
                Findings
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((rule) => (
            <tr key={rule.key}>
              <th scope="row">{rule.key}</th>
              <td>{rule.name ? <code>{rule.name}</code> : <span className="muted">—</span>}</td>
              <td>{rule.description || <span className="muted">Not described by this runbook</span>}</td>
              {counted && <td className="numeric">{rule.count ?? 0}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
