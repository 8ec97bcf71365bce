/**
 * Terraform's dependency lock file, committed at the repository root: the provider version and package hashes every
 * stack is initialized with. Each stack's folder gets a copy at synth (`AccountStack`), so `terraform init
 * -lockfile=readonly` there installs exactly that provider or fails (README, "Supported versions").
 */
export const PROVIDER_LOCK_FILE = '.terraform.lock.hcl';
