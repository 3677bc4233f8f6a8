export { loadWorkflowFile, type LoadedWorkflow, type LoadOptions } from './yaml.js';
export {
  parseWorkflow,
  specHash,
  type Locate,
  type SourcePosition,
  type SpecSource,
} from './parse.js';
export {
  workflow,
  expr,
  jsonata,
  WorkflowBuilder,
  type BuiltBlock,
  type Expr,
  type ExprValue,
  type Ref,
  type Refs,
  type StepRef,
} from './builder.js';
export {
  SpecValidationError,
  formatSpecIssue,
  SPEC_ISSUE_CODES,
  type SpecIssue,
  type SpecIssueCode,
} from './errors.js';
export { workflowJsonSchema, WORKFLOW_SCHEMA_ID } from './json-schema.js';
