import {
  type CloudFormationTemplate,
  packagedTemplate as packaged,
} from '#src/platform/local/iam/packaged-template.js';

export type { CloudFormationTemplate };

/**
 * The CloudFormation template `serverless package --stage <stage>` writes, packaged offline once per stage and
 * per content of the sources, whichever test file (or `npm start`) asks first: the others wait on the lock and
 * read the cache (.local/templates/). Packaging twice at once collides in serverless-esbuild's `.esbuild` folder.
 * Throws with serverless's output when packaging fails (e.g. a stage other than dev, sit and prod).
 */
export function packagedTemplate(stage: string): CloudFormationTemplate {
  return packaged({ root: process.cwd(), stage });
}
