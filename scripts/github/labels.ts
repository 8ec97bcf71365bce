import { IssuesApi } from './api';

/** The label a maintainer adds to a pull request whose plan may destroy or replace stateful resources. */
export const STATEFUL_DESTROY_LABEL = 'allow-stateful-destroy';

/**
 * Whether the pull request carries the approval label NOW. Read through the API, never from the event payload: a
 * re-run of a job replays the payload of the event that started it, so a label added after that event would stay
 * invisible to every re-run.
 */
export async function statefulDestroyApproval(
  issues: IssuesApi,
  pullRequest: number,
): Promise<{ readonly approved: boolean; readonly labels: string[] }> {
  const labels = await issues.listLabels(pullRequest);
  return { approved: labels.includes(STATEFUL_DESTROY_LABEL), labels };
}
