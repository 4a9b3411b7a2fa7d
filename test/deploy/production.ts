/**
 * The production install, as one string: the Dockerfile's production-deps stage runs exactly this (checked by
 * container.test.ts) and production-install.test.ts makes it in a temp folder, so the test that proves the
 * runtime tree has every runtime dependency proves the image's tree too. --prefer-offline lets a warm npm
 * cache (the test's) answer without asking the registry; an empty one (a fresh image build) still fetches.
 */
export const PRODUCTION_INSTALL = 'npm ci --omit=dev --prefer-offline --no-audit --no-fund';

/** npm 11's notice for dependency install scripts that package.json's allowScripts does not cover. */
export const UNREVIEWED_SCRIPTS = 'not yet covered by allowScripts';
