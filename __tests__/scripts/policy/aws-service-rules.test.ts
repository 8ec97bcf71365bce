import { dev } from '../../../config/environments';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { AWS_SERVICE_RULES, DMS_SSL_MODES } from '../../../scripts/policy/aws-service-rules';
import { StackModel, modelFromSynth } from '../../../scripts/policy/model';
import { Json, synthesize } from '../../helpers/synth';

/*
 * What the AWS service constraints mean beyond the one breaking change each gets in rules.test.ts: the table they
 * encode, and that they judge a plan (no account id, no lifecycle blocks) as they judge a synthesized stack.
 */
const DEV = synthesize(dev).json;
const copy = (): Json => structuredClone(DEV);
const ruleNamed = (id: string): (typeof AWS_SERVICE_RULES)[number] => AWS_SERVICE_RULES.find((r) => r.id === id)!;
const failures = (id: string, model: StackModel): string[] =>
  ruleNamed(id)
    .evaluate(model)
    .filter((f) => !f.pass)
    .map((f) => f.reason);
const model = (json: Json): StackModel => modelFromSynth('unicornhealth-dev', json);
const one = (json: Json, type: string, idPart: string): Json =>
  Object.entries<Json>(json.resource[type]).find(([id]) => id.includes(idPart))![1];
const documentOf = (json: Json, reference: string): Json =>
  json.data.aws_iam_policy_document[/data\.aws_iam_policy_document\.([^.]+)\.json/.exec(reference)![1]];

describe('UH-AWS-DMS-001: the DMS SSL table', () => {
  test.each(['mysql', 'mariadb', 'aurora'])('%s: require is not supported; the verifying modes are', (engine) => {
    expect(DMS_SSL_MODES[engine]).toEqual(['none', 'verify-ca', 'verify-full']);
  });

  test('PostgreSQL supports every mode, Oracle only verify-ca', () => {
    expect(DMS_SSL_MODES.postgres).toEqual(['none', 'require', 'verify-ca', 'verify-full']);
    expect(DMS_SSL_MODES.oracle).toEqual(['none', 'verify-ca']);
  });

  test('a MySQL source with require fails, naming the modes DMS supports', () => {
    const json = copy();
    one(json, 'aws_dms_endpoint', 'source').ssl_mode = 'require';
    expect(failures('UH-AWS-DMS-001', model(json))).toEqual([
      'ssl_mode require is not supported for mysql (DMS supports none, verify-ca, verify-full)',
    ]);
  });
});

describe('UH-AWS-DMS-002: the S3 target role', () => {
  test('a role that trusts only the regional DMS principal fails: the prerequisites name dms.amazonaws.com', () => {
    const json = copy();
    const trust = documentOf(json, one(json, 'aws_iam_role', 'target-role').assume_role_policy).statement[0];
    trust.principals[0].identifiers = ['dms.us-east-1.amazonaws.com'];
    expect(failures('UH-AWS-DMS-002', model(json))).toEqual([expect.stringMatching(/does not trust dms.amazonaws.com$/)]);
  });
});

describe('UH-AWS-IAM-001: trust conditions per service', () => {
  test('without the account id (an offline plan lifts allowed_account_ids) the tests and keys are still compared', () => {
    const json = copy();
    json.provider.aws[0].allowed_account_ids = null;
    expect(failures('UH-AWS-IAM-001', model(json))).toEqual([]);
    documentOf(json, one(json, 'aws_iam_role', 'crawler-role').assume_role_policy).statement[0].condition = [
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: ['999999999999'] },
    ];
    expect(failures('UH-AWS-IAM-001', model(json))).toEqual([
      'glue.amazonaws.com documents no source conditions, the statement has StringEquals aws:SourceAccount',
    ]);
  });

  test('a DMS endpoint role without the conditions DMS sends fails; a service the table does not know fails', () => {
    const json = copy();
    delete documentOf(json, one(json, 'aws_iam_role', 'target-role').assume_role_policy).statement[0].condition;
    documentOf(json, one(json, 'aws_iam_role', 'crawler-role').assume_role_policy).statement[0].principals[0].identifiers = [
      'lambda.amazonaws.com',
    ];
    expect(failures('UH-AWS-IAM-001', model(json))).toEqual([
      expect.stringMatching(/^trusts lambda.amazonaws.com, whose documented conditions/),
      expect.stringMatching(
        /^dms.amazonaws.com documents StringEquals aws:SourceAccount .*the statement has none; dms.us-east-1.amazonaws.com documents/,
      ),
    ]);
  });
});

describe('UH-AWS-RS-001: workgroup parameters', () => {
  test('a plan, which carries no lifecycle block, is judged on the parameters alone', () => {
    const json = copy();
    delete one(json, 'aws_redshiftserverless_workgroup', 'workgroup').lifecycle;
    expect(failures('UH-AWS-RS-001', model(json))).toEqual([expect.stringMatching(/lifecycle.ignore_changes lacks config_parameter/)]);
    expect(failures('UH-AWS-RS-001', { ...model(json), lifecycleKnown: false })).toEqual([]);
  });
});

describe('UH-AWS-LF-001: lake reads through Lake Formation only', () => {
  const lakeDeny = (json: Json): Json =>
    documentOf(json, one(json, 'aws_s3_bucket_policy', 'storage_lake_').policy).statement.find(
      (s: Json) => s.sid === 'DenyLakeObjectReadsOutsideLakeFormation',
    );

  test('a deny of each registered location (the change log, the current state) is enough; of another prefix it is not', () => {
    const json = copy();
    const bucketObjects = lakeDeny(json).resources[0];
    lakeDeny(json).resources = [bucketObjects.replace(/\/\*$/, '/raw/*'), bucketObjects.replace(/\/\*$/, '/current/*')];
    expect(failures('UH-AWS-LF-001', model(json))).toEqual([]);
    lakeDeny(json).resources = [bucketObjects.replace(/\/\*$/, '/raw/*')];
    expect(failures('UH-AWS-LF-001', model(json))).toEqual([expect.stringMatching(/current past the column grants$/)]);
    lakeDeny(json).resources = [bucketObjects.replace(/\/\*$/, '/curated/*')];
    expect(failures('UH-AWS-LF-001', model(json)).sort()).toEqual([
      expect.stringMatching(/current past the column grants$/),
      expect.stringMatching(/raw past the column grants$/),
    ]);
  });

  test('a deny that exempts another role instead of the registration role is refused, for each location', () => {
    const json = copy();
    lakeDeny(json).condition[0].values = ['arn:aws:iam::111111111111:role/somebody-else'];
    expect(failures('UH-AWS-LF-001', model(json))).toEqual(
      Array(2).fill('also lets somebody-else read lake objects directly, past Lake Formation'),
    );
  });
});

describe('UH-AWS-GLUE-002: Iceberg tables for Athena', () => {
  const patient = (json: Json): Json => one(json, 'aws_glue_catalog_table', 'current-state_table-patient');

  test('without the ignored catalog entries the synthesized stack fails; a plan, which carries no lifecycle, is judged on the version alone', () => {
    const json = copy();
    patient(json).lifecycle.ignore_changes = ['description'];
    expect(failures('UH-AWS-GLUE-002', model(json))).toEqual([
      expect.stringMatching(/^lifecycle.ignore_changes lacks parameters, storage_descriptor: every Athena commit rewrites them/),
    ]);
    expect(failures('UH-AWS-GLUE-002', { ...model(json), lifecycleKnown: false })).toEqual([]);
  });

  test('a change-log table (not Iceberg) is not judged', () => {
    const findings = ruleNamed('UH-AWS-GLUE-002').evaluate(model(copy()));
    expect(findings.map((f) => f.resource).every((address) => address.includes('current-state_table-'))).toBe(true);
    // One current-state table per contract table, the smoke probe's included.
    expect(findings).toHaveLength(CLINIC_TABLES.length);
  });
});

describe('UH-AWS-DMS-006: the change log DMS writes', () => {
  test('a target without the operation of full-load rows fails, naming the endpoint', () => {
    const json = copy();
    one(json, 'aws_dms_s3_endpoint', 'target').include_op_for_full_load = false;
    expect(failures('UH-AWS-DMS-006', model(json))).toEqual([
      'aws_dms_s3_endpoint.migration_target leaves the operation out of full-load rows',
    ]);
  });

  test('every selected table needs its change sequence; a sequence of another expression does not count', () => {
    const json = copy();
    const task = one(json, 'aws_dms_replication_config', 'replication');
    const mappings = JSON.parse(task.table_mappings);
    mappings.rules.find((r: Json) => r['rule-name'] === 'add-change-sequence-account').expression = '$AR_H_TIMESTAMP';
    task.table_mappings = JSON.stringify(mappings);
    expect(failures('UH-AWS-DMS-006', model(json))).toEqual([
      'no $AR_H_CHANGE_SEQ column for unicornhealth.account: the merge cannot order its changes',
    ]);
  });
});
