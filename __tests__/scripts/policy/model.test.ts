import { StackModel, allPolicies, modelFromPlan, modelFromSynth, referenced, statementsOf } from '../../../scripts/policy/model';

/** A synthesized cdk.tf.json in the shape cdktf writes it: `//` metadata on the stack and on each resource. */
const SYNTH = {
  '//': { metadata: { backend: 'local', stackName: 'unicornhealth-dev', version: '0.21.0' } },
  provider: { aws: [{ region: 'us-east-1', default_tags: [{ tags: { Environment: 'dev', Project: 'UnicornHealth' } }] }] },
  data: {
    aws_iam_policy_document: {
      trust: {
        statement: [
          {
            effect: 'Allow',
            actions: ['sts:AssumeRole'],
            principals: [{ type: 'Service', identifiers: ['glue.amazonaws.com'] }],
            condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: ['111111111111'] }],
          },
        ],
      },
    },
  },
  resource: {
    aws_kms_key: { key: { '//': { metadata: { path: 'unicornhealth-dev/key', uniqueId: 'key' } }, enable_key_rotation: true } },
    aws_iam_role: {
      crawler: {
        '//': { metadata: { path: 'unicornhealth-dev/crawler' } },
        assume_role_policy: '${data.aws_iam_policy_document.trust.json}',
        depends_on: ['aws_kms_key.key'],
      },
    },
    aws_s3_bucket: { lake: { bucket: 'unicornhealth-dev-lake' } },
    aws_s3_bucket_versioning: { lake: { bucket: '${aws_s3_bucket.lake.id}' } },
  },
};

/** The same kind of stack as `terraform show -json` gives it: values unknown until apply are absent from the plan. */
const PLAN = {
  format_version: '1.2',
  planned_values: {
    root_module: {
      resources: [
        {
          address: 'aws_s3_bucket_server_side_encryption_configuration.lake',
          mode: 'managed',
          type: 'aws_s3_bucket_server_side_encryption_configuration',
          name: 'lake',
          values: { bucket: 'unicornhealth-dev-lake', rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms' }] }] },
        },
        { address: 'aws_iam_role.crawler', mode: 'managed', type: 'aws_iam_role', name: 'crawler', values: { name: 'crawler' } },
        { address: 'data.aws_caller_identity.me', mode: 'data', type: 'aws_caller_identity', name: 'me', values: {} },
      ],
    },
  },
  configuration: {
    provider_config: {
      aws: {
        name: 'aws',
        expressions: { region: { constant_value: 'us-east-1' }, default_tags: [{ tags: { constant_value: { Environment: 'prod' } } }] },
      },
    },
    root_module: {
      resources: [
        {
          address: 'aws_s3_bucket_server_side_encryption_configuration.lake',
          mode: 'managed',
          type: 'aws_s3_bucket_server_side_encryption_configuration',
          name: 'lake',
          expressions: {
            bucket: { references: ['aws_s3_bucket.lake.id', 'aws_s3_bucket.lake'] },
            rule: [
              {
                apply_server_side_encryption_by_default: [
                  {
                    kms_master_key_id: { references: ['aws_kms_key.key.arn', 'aws_kms_key.key'] },
                    sse_algorithm: { constant_value: 'aws:kms' },
                  },
                ],
                bucket_key_enabled: { constant_value: true },
              },
            ],
          },
        },
        {
          address: 'aws_iam_role.crawler',
          mode: 'managed',
          type: 'aws_iam_role',
          name: 'crawler',
          expressions: {
            assume_role_policy: { references: ['data.aws_iam_policy_document.trust.json', 'data.aws_iam_policy_document.trust'] },
          },
          depends_on: ['aws_kms_key.key'],
        },
        {
          address: 'data.aws_iam_policy_document.trust',
          mode: 'data',
          type: 'aws_iam_policy_document',
          name: 'trust',
          expressions: {
            statement: [
              {
                actions: { constant_value: ['sts:AssumeRole'] },
                principals: [{ type: { constant_value: 'Service' }, identifiers: { constant_value: ['glue.amazonaws.com'] } }],
              },
            ],
          },
        },
      ],
    },
  },
};

describe('the model of a synthesized stack', () => {
  const model = modelFromSynth('unicornhealth-dev', SYNTH);

  test('every resource, addressed type.name, without the // metadata', () => {
    expect(model.resources.map((r) => r.address)).toEqual([
      'aws_kms_key.key',
      'aws_iam_role.crawler',
      'aws_s3_bucket.lake',
      'aws_s3_bucket_versioning.lake',
    ]);
    expect(model.resources[0]).toEqual({
      type: 'aws_kms_key',
      name: 'key',
      address: 'aws_kms_key.key',
      values: { enable_key_rotation: true },
      dependsOn: [],
    });
    expect(JSON.stringify(model.resources)).not.toContain('metadata');
  });

  test('depends_on is kept as the dependencies, not as a value', () => {
    const role = model.resources.find((r) => r.address === 'aws_iam_role.crawler')!;
    expect(role.dependsOn).toEqual(['aws_kms_key.key']);
    expect(role.values).toEqual({ assume_role_policy: '${data.aws_iam_policy_document.trust.json}' });
  });

  test('the synthesized input is left unchanged', () => {
    expect(SYNTH.resource.aws_kms_key.key['//']).toBeDefined();
    expect(SYNTH.resource.aws_iam_role.crawler.depends_on).toEqual(['aws_kms_key.key']);
  });

  test('provider settings, policy documents and whether it is production', () => {
    expect(model.provider).toMatchObject({ region: 'us-east-1' });
    expect(Object.keys(model.policyDocuments)).toEqual(['trust']);
    expect(model.production).toBe(false);
  });

  test.each([
    ['a dev stack', 'unicornhealth-dev', 'dev', false],
    ['a stack tagged prod', 'anything', 'prod', true],
    ['a stack named -prod', 'unicornhealth-prod', 'dev', true],
  ])('%s is production: %p', (_case, name, environment, production) => {
    const json = structuredClone(SYNTH);
    json.provider.aws[0].default_tags[0].tags.Environment = environment;
    expect(modelFromSynth(name, json).production).toBe(production);
  });

  test.each<[string, Record<string, string>, StackModel['scope']]>([
    ['an environment stack', { Environment: 'dev', Project: 'UnicornHealth' }, 'environment'],
    ['an account baseline', { Account: 'nonprod', Project: 'UnicornHealth' }, 'account'],
    ['a stack tagged with neither', { Project: 'UnicornHealth' }, undefined],
  ])('%s is told by its default tags: %p', (_case, tags, scope) => {
    expect(modelFromSynth('any', { provider: { aws: [{ default_tags: [{ tags }] }] } }).scope).toBe(scope);
  });

  test('an empty stack has no resources, an empty provider and no scope', () => {
    expect(modelFromSynth('empty', {})).toEqual({
      name: 'empty',
      resources: [],
      policyDocuments: {},
      provider: {},
      scope: undefined,
      production: false,
      lifecycleKnown: true,
    });
  });
});

describe('the model of a plan', () => {
  const model = modelFromPlan('unicornhealth-prod', PLAN);

  test('managed resources only; data sources are not resources', () => {
    expect(model.resources.map((r) => r.address)).toEqual([
      'aws_s3_bucket_server_side_encryption_configuration.lake',
      'aws_iam_role.crawler',
    ]);
  });

  test('values the plan does not know yet come from the configuration: constants, and references as ${...}', () => {
    const encryption = model.resources[0].values;
    expect(encryption.bucket).toBe('unicornhealth-dev-lake');
    expect(encryption.rule).toEqual([
      {
        apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms', kms_master_key_id: '${aws_kms_key.key.arn}' }],
        bucket_key_enabled: true,
      },
    ]);
  });

  test('a plan does not carry lifecycle blocks, and says so; a synthesized stack does', () => {
    expect(model.lifecycleKnown).toBe(false);
    expect(modelFromSynth('any', {}).lifecycleKnown).toBe(true);
  });

  test('depends_on comes from the configuration', () => {
    expect(model.resources[1].dependsOn).toEqual(['aws_kms_key.key']);
    expect(model.resources[0].dependsOn).toEqual([]);
  });

  test('policy documents and the provider come from the configuration, and so does the scope', () => {
    expect(model.policyDocuments.trust).toEqual({
      statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['glue.amazonaws.com'] }] }],
    });
    expect(model.provider.region).toBe('us-east-1');
    expect(model.production).toBe(true);
    expect(model.scope).toBe('environment');
  });

  test('the trust policy of the role resolves through its policy-document reference', () => {
    const role = model.resources.find((r) => r.address === 'aws_iam_role.crawler')!;
    expect(statementsOf(model, role.values.assume_role_policy)).toEqual([
      {
        sid: undefined,
        effect: 'Allow',
        actions: ['sts:AssumeRole'],
        resources: [],
        principals: [{ type: 'Service', identifiers: ['glue.amazonaws.com'] }],
        conditions: [],
      },
    ]);
  });
});

describe('policy statements', () => {
  const model = modelFromSynth('unicornhealth-dev', SYNTH);

  test('a reference to a local policy document resolves to its statements', () => {
    expect(statementsOf(model, '${data.aws_iam_policy_document.trust.json}')).toEqual([
      {
        sid: undefined,
        effect: 'Allow',
        actions: ['sts:AssumeRole'],
        resources: [],
        principals: [{ type: 'Service', identifiers: ['glue.amazonaws.com'] }],
        conditions: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: ['111111111111'] }],
      },
    ]);
  });

  test('a policy document rendered as JSON (as in a plan) resolves through its json', () => {
    const withRendered: StackModel = {
      ...model,
      policyDocuments: {
        rendered: { json: JSON.stringify({ Statement: { Effect: 'Deny', Action: 's3:*', Resource: '*', Principal: '*' } }) },
      },
    };
    expect(statementsOf(withRendered, '${data.aws_iam_policy_document.rendered.json}')).toEqual([
      {
        sid: undefined,
        effect: 'Deny',
        actions: ['s3:*'],
        resources: ['*'],
        principals: [{ type: '*', identifiers: ['*'] }],
        conditions: [],
      },
    ]);
  });

  test('a JSON policy string is read in IAM spelling: Principal maps, Condition blocks, single values as lists', () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        { Action: ['kms:Decrypt'], Resource: '*', Principal: { Service: ['logs.amazonaws.com', 'sns.amazonaws.com'] } },
      ],
    });
    expect(statementsOf(model, policy)).toEqual([
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        actions: ['s3:*'],
        resources: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'],
        principals: [{ type: 'AWS', identifiers: ['*'] }],
        conditions: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
      {
        sid: undefined,
        effect: 'Allow',
        actions: ['kms:Decrypt'],
        resources: ['*'],
        principals: [{ type: 'Service', identifiers: ['logs.amazonaws.com', 'sns.amazonaws.com'] }],
        conditions: [],
      },
    ]);
  });

  test.each([
    ['a reference to a document that does not exist', '${data.aws_iam_policy_document.missing.json}'],
    ['a value computed at apply time', '${aws_iam_policy.p.policy}'],
    ['text that is not JSON', 'not a policy'],
    ['no value', undefined],
    ['a value that is not text', { Statement: [] }],
  ])('%s has no known statements', (_case, policy) => {
    expect(statementsOf(model, policy)).toBeUndefined();
  });

  test('allPolicies finds the policy attribute of each policy-bearing resource', () => {
    expect(allPolicies(model).map((p) => [p.resource.address, p.attribute, p.statements.length])).toEqual([
      ['aws_iam_role.crawler', 'assume_role_policy', 1],
    ]);
  });

  test('referenced resolves ${type.name.attribute} to the resource, and nothing else', () => {
    expect(referenced(model, '${aws_s3_bucket.lake.id}')?.address).toBe('aws_s3_bucket.lake');
    expect(referenced(model, '${aws_s3_bucket.archive.id}')).toBeUndefined();
    expect(referenced(model, 'unicornhealth-dev-lake')).toBeUndefined();
    expect(referenced(model, 42)).toBeUndefined();
  });
});
