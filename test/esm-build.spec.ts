import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

// The built package (npm test builds first); `npm run compat` checks the same in installed apps.
describe('the ESM build', () => {
  it('is the one copy both entries load where Nest is ESM-only', () => {
    const nest = JSON.parse(readFileSync('node_modules/@nestjs/common/package.json', 'utf8')) as { type?: string };
    expect(nest.type).toBe('module');
    expect(readFileSync('dist/index.cjs', 'utf8')).toContain("require('./esm/index.js')");
    expect(readFileSync('dist/index.mjs', 'utf8')).toContain("await import('./esm/index.js')");
  });

  it('serves the management port from its worker thread (the worker file found beside the ESM build)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/esm-thread-app.mjs']);
    const printed = JSON.parse(stdout) as {
      status: number;
      body: { status: boolean; mainThread?: unknown };
      same: boolean;
    };
    expect(printed.status).toBe(200);
    expect(printed.body.status).toBe(true);
    expect(printed.body.mainThread).toEqual(expect.objectContaining({ status: true }));
    expect(printed.same).toBe(true);
  });
});
