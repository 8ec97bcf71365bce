import { CostLine, EnvironmentEstimate } from '../../config/cost-model';
import { PRICE_REGION } from '../../config/prices';
import { formatTable, left, right, wrapped } from '../cli/output';

/** An estimate with the budget it is held against. */
export interface BudgetedEstimate extends EnvironmentEstimate {
  readonly monthlyBudgetUsd: number;
}

export const usd = (value: number): string => `$${value.toFixed(2)}`;

const quantity = (l: CostLine): string => `${Number(l.quantity.toFixed(3)).toLocaleString('en-US')} ${l.unit}`;
/** A price the checked page did not show is marked, so a reader knows which figures to verify. */
const priceOf = (l: CostLine): string => `${l.confirmed ? '' : '*'}$${Number(l.unitUsd.toPrecision(4))}`;

/** The terminal report: per environment, the at-rest and activity lines and their totals, then the summary. */
export function formatCostReport(estimates: readonly BudgetedEstimate[], width?: number): string {
  const sections = estimates.map((e) => {
    const table = (lines: readonly CostLine[]): string =>
      formatTable(
        [left('item'), right('quantity'), right('unit price'), right('per month'), wrapped('assumption')],
        lines.map((l) => [l.item, quantity(l), priceOf(l), usd(l.monthlyUsd), l.assumption ?? '']),
        width,
      );
    return [
      `${e.stack}: at rest ${usd(e.atRest.totalUsd)} a month`,
      table(e.atRest.lines),
      '',
      `${e.stack}: activity ${usd(e.activity.totalUsd)} a month (${e.activity.releasesPerMonth} releases at ${usd(e.activity.perReleaseUsd)}, and people's queries)`,
      table(e.activity.lines),
      ...(e.unpriced.length ? ['', `not priced (add a rule in config/cost-model.ts): ${e.unpriced.join(', ')}`] : []),
    ].join('\n');
  });
  const summary = formatTable(
    [left('environment'), right('at rest'), right('activity'), right('per release'), right('expected'), right('budget')],
    estimates.map((e) => [
      e.environment,
      usd(e.atRest.totalUsd),
      usd(e.activity.totalUsd),
      usd(e.activity.perReleaseUsd),
      usd(e.expectedUsd),
      usd(e.monthlyBudgetUsd),
    ]),
    width,
  );
  return `${sections.join('\n\n')}\n\n${summary}\n* a price the checked copy of its page did not show (config/prices.ts); ${PRICE_REGION} on-demand list prices`;
}

/** The README's generated cost section lies between these markers. */
export const README_MARKERS = { begin: '<!-- cost:begin (npm run cost -- --write-readme) -->', end: '<!-- cost:end -->' } as const;

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The Markdown tables between the README markers: the summary, then each environment's lines. */
export function costMarkdown(estimates: readonly BudgetedEstimate[]): string {
  const rows = (lines: readonly CostLine[]): string[] =>
    lines.map((l) => `| ${cell(l.item)} | ${quantity(l)} | ${priceOf(l)} | ${usd(l.monthlyUsd)} | ${cell(l.assumption ?? '')} |`);
  const header = ['| Item | Quantity a month | Unit price | Per month | Assumption |', '| --- | ---: | ---: | ---: | --- |'];
  return [
    '| Environment | At rest | Activity | Per release | Expected month | Budget |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...estimates.map(
      (e) =>
        `| ${e.environment} | **${usd(e.atRest.totalUsd)}** | ${usd(e.activity.totalUsd)} (${e.activity.releasesPerMonth} releases) | ${usd(e.activity.perReleaseUsd)} | ${usd(e.expectedUsd)} | ${usd(e.monthlyBudgetUsd)} |`,
    ),
    ...estimates.flatMap((e) => [
      '',
      `**${e.environment}, at rest** (${usd(e.atRest.totalUsd)})`,
      '',
      ...header,
      ...rows(e.atRest.lines),
      '',
      `**${e.environment}, activity** (${usd(e.activity.totalUsd)} a month)`,
      '',
      ...header,
      ...rows(e.activity.lines),
    ]),
    '',
    `\\* a price the checked copy of its page did not show (\`config/prices.ts\`). ${PRICE_REGION} on-demand list prices, 730 hours a month.`,
  ].join('\n');
}

/** The README with its generated section replaced; an error when the markers are missing. */
export function withCostSection(readme: string, markdown: string): string {
  const begin = readme.indexOf(README_MARKERS.begin);
  const end = readme.indexOf(README_MARKERS.end);
  if (begin < 0 || end < begin) throw new Error(`the README has no ${README_MARKERS.begin} ... ${README_MARKERS.end} section`);
  return `${readme.slice(0, begin + README_MARKERS.begin.length)}\n${markdown}\n${readme.slice(end)}`;
}

/** The generated section of a README as it stands, for comparing with the command's output. */
export function costSectionOf(readme: string): string | undefined {
  const begin = readme.indexOf(README_MARKERS.begin);
  const end = readme.indexOf(README_MARKERS.end);
  return begin < 0 || end < begin ? undefined : readme.slice(begin + README_MARKERS.begin.length, end).trim();
}
