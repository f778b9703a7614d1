import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** A source file past this holds more than one thing: split it along its seam. */
const maxLines = 300;
const projectRoot = resolve(import.meta.dirname, '..');
const sourceDirs = ['functions/src', 'infra', 'scripts'];

function sourceFiles(): string[] {
  return sourceDirs
    .flatMap((dir) =>
      readdirSync(join(projectRoot, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
        .map((file) => join(dir, file)),
    )
    .sort();
}

/** Lines as `wc -l` counts them. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('source files', () => {
  it(`are at most ${maxLines} lines each (tests aside)`, () => {
    const files = sourceFiles();
    // The walk found the tree, not an empty folder.
    expect(files).toContain('functions/src/index.ts');
    const over = files
      .map((file) => ({ file, lines: lineCount(readFileSync(join(projectRoot, file), 'utf8')) }))
      .filter(({ lines }) => lines > maxLines)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(over).toEqual([]);
  });
});
