import { DMS_ACCOUNT_ROLES } from '../../../stacks/core/account-baseline';
import { TRUSTED_SERVICES, documentedTrust } from '../../../stacks/core/trusted-services';
import { TEST_ENV } from '../../helpers/synth';

describe('the trusted-services table', () => {
  test('every service cites where it documents its principal and conditions', () => {
    for (const [service, entry] of Object.entries(TRUSTED_SERVICES)) {
      expect([service, entry.sources.length]).not.toEqual([service, 0]);
      for (const source of entry.sources) expect(source).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|github\.com|repost\.aws)\//);
    }
  });

  test('a principal is looked up by the role that trusts it: DMS account roles get no conditions, other DMS roles get them', () => {
    for (const { roleName } of DMS_ACCOUNT_ROLES) {
      expect(documentedTrust(TEST_ENV, 'dms.amazonaws.com', roleName)).toBe(TRUSTED_SERVICES['dms-account-roles']);
    }
    expect(documentedTrust(TEST_ENV, 'dms.amazonaws.com', 'uh-test-dms-raw-zone-writer')).toBe(TRUSTED_SERVICES.dms);
    expect(documentedTrust(TEST_ENV, 'dms.us-east-1.amazonaws.com', 'uh-test-dms-source-secret')).toBe(TRUSTED_SERVICES['dms-regional']);
    expect(documentedTrust(TEST_ENV, 'glue.amazonaws.com', 'uh-test-crawler')?.conditions(TEST_ENV)).toEqual([]);
  });

  test('a principal the table does not know has no documented trust', () => {
    expect(documentedTrust(TEST_ENV, 'lambda.amazonaws.com', 'any')).toBeUndefined();
  });
});
