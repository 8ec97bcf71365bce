// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Rules about values typed `any`: they cannot help where the data is untyped JSON by nature. */
const untypedJson = {
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', 'coverage/', '.tmp/', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  // Policy rules read synthesized Terraform JSON and `terraform show -json` plans, whose shape is the provider's.
  { files: ['scripts/policy/**/*.ts'], rules: untypedJson },
  // The cost model prices synthesized Terraform JSON, of the same shape.
  { files: ['config/cost-model.ts'], rules: untypedJson },
  // Tests read synthesized stacks and plans as JSON, and mock services with async fakes that need not await.
  { files: ['__tests__/**/*.ts'], rules: { ...untypedJson, '@typescript-eslint/require-await': 'off' } },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
