/** How the deploy calls gcloud: the argv of every command it runs or prints. */
import { projectNumberPlaceholder } from './principals.ts';

/** A plan's command as run: pinned to the project, never prompting. */
export function gcloudArgv(args: readonly string[], project: string): string[] {
  return [...args, `--project=${project}`, '--quiet'];
}

/** Asks for the project's number, which names its service agents; run before any step. */
export function projectNumberQuery(project: string): string[] {
  return ['projects', 'describe', project, '--format=value(projectNumber)'];
}

/**
 * The argv as a POSIX shell line: what a shell splits back into the same argv, except
 * that the project number's placeholder stays a variable for the shell to expand.
 */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

function shellWord(arg: string): string {
  if (arg === '') return "''";
  const parts = arg.split(projectNumberPlaceholder);
  if (parts.every((part) => /^[\w@%+=:,./-]*$/.test(part))) return arg;
  return parts
    .map((part) => (part === '' ? '' : `'${part.replaceAll("'", "'\\''")}'`))
    .join(projectNumberPlaceholder);
}
