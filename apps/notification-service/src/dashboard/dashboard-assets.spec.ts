import { join, resolve } from 'node:path';
import { findWebFolder } from './dashboard-assets';

describe('findWebFolder', () => {
  const repository = resolve(__dirname, '../../../..');
  const web = join(repository, 'apps/notification-service/src/dashboard/web');

  it('finds the page next to the TypeScript sources', () => {
    expect(findWebFolder(__dirname)).toBe(web);
  });

  it('finds the same folder from the compiled output, where tsc copied no html, js or css', () => {
    expect(findWebFolder(join(repository, 'dist/apps/notification-service/src/dashboard'))).toBe(web);
  });

  it('fails naming the folder it looked for when there is no page above', () => {
    expect(() => findWebFolder('/')).toThrow('apps/notification-service/src/dashboard/web/index.html');
  });
});
