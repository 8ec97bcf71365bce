/*
 * Name suffixes of the roles of an environment that work with whole rows of the lake, every column included
 * (`<project>-<environment>-<suffix>`). Plain data, without cdktf: the constructs name their roles with it, and the
 * policy rules tell these roles from the readers held to the contract's allow-list with it.
 */
export const LAKE_ROLE_SUFFIX = {
  /** The Glue crawlers of the change log: read the files to check the schema. */
  crawler: 'crawler',
  /** The merge state machine: reads the change log, writes the current state. */
  merge: 'merge',
  /** The table-maintenance state machine: rewrites and vacuums the current state. */
  tableMaintenance: 'table-maintenance',
  /** The account baseline's lake-admin role of the environment (LakeAdministrators, MFA). */
  lakeAdmin: 'lake-admin',
} as const;

/** The role of an environment with one of these suffixes. */
export const lakeRoleName = (namePrefix: string, suffix: (typeof LAKE_ROLE_SUFFIX)[keyof typeof LAKE_ROLE_SUFFIX]): string =>
  `${namePrefix}-${suffix}`;
