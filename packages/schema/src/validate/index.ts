export { DefinitionSchema, EdgeSchema, StepIdSchema, StepSchema } from './definition-schema.js';
export { type SchemaProblem, schemaProblems } from './schema-errors.js';
export {
  findTemplateReferences,
  RUN_TEMPLATE_FIELDS,
  TEMPLATE_ROOTS,
  type TemplateReference,
  type TemplateRoot,
  templateReferenceProblem,
} from './templates.js';
export { DEFINITION_PATH, isValidDefinition, type ValidateDefinitionOptions, validateDefinition } from './validate-definition.js';
