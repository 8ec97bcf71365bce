import { Lazy, TerraformResource } from 'cdktf';

/**
 * A reference for `lifecycle.replaceTriggeredBy`: the resource's address, or one of its attributes
 * (`aws_glue_catalog_table.catalog_change-log-patient.storage_descriptor[0].columns`), bare. cdktf 0.21 renders a
 * resource given there as `${aws_glue_catalog_table.x}`, which Terraform refuses in JSON ("This character is not used
 * within the language": `replace_triggered_by` takes references, not templates). Resolved at synth, when the stack
 * has given the resource its name.
 */
export function replaceTrigger(resource: TerraformResource, attribute?: string): string {
  return Lazy.stringValue({
    produce: () => [resource.terraformResourceType, resource.friendlyUniqueId, ...(attribute ? [attribute] : [])].join('.'),
  });
}
