/**
 * The house's structural rules (DESIGN.md "What does not bend"), checked by `npm test` through
 * scripts/check-structure.mjs. Type-only imports are erased at build time and are not counted.
 */
const LISTENERS = '^src/(commands|handlers|jobs)/';
const APP_LAYERS = '^src/(commands|handlers|jobs|flows|slack|views|integrations)/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Files import each other in a cycle: move the shared piece down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'one-door-into-core',
      severity: 'error',
      comment: 'Outside core/, reach core only through src/core/index.ts (bindCore and its re-exports).',
      from: { path: APP_LAYERS },
      to: { path: '^src/core/', pathNot: '^src/core/index\\.ts$' },
    },
    {
      name: 'listeners-do-not-import-each-other',
      severity: 'error',
      comment: 'commands/, handlers/ and jobs/ share work through flows/, never through each other.',
      from: { path: '^src/(commands|handlers|jobs)/' },
      to: { path: '^src/(commands|handlers|jobs)/', pathNot: '^src/$1/' },
    },
    {
      name: 'flows-and-slack-do-not-import-listeners',
      severity: 'error',
      from: { path: '^src/(flows|slack|views)/' },
      to: { path: LISTENERS },
    },
    {
      name: 'slack-and-views-are-below-flows',
      severity: 'error',
      comment: 'slack/ is plumbing and views/ are pure builders: neither runs a workflow.',
      from: { path: '^src/(slack|views)/' },
      to: { path: '^src/flows/' },
    },
    {
      name: 'views-are-pure',
      severity: 'error',
      comment: 'Views build Block Kit from data: no Slack client, no store, no AWS.',
      from: { path: '^src/views/' },
      to: {
        path: ['^src/(slack|store|integrations)/', '^node_modules/(@slack/(web-api|bolt)|@aws-sdk|ioredis)/'],
      },
    },
    {
      name: 'no-aws-sdk-above-core',
      severity: 'error',
      comment: 'Listeners, flows and jobs reach AWS through the bound core, never the SDK.',
      from: { path: APP_LAYERS },
      to: { path: '^node_modules/@aws-sdk/' },
    },
    {
      name: 'core-knows-nothing-of-slack-or-the-store',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        path: [
          '^src/(commands|handlers|jobs|flows|slack|views|store|integrations|cli)/',
          '^src/(app|main|deps|health)\\.ts$',
          '^node_modules/(@slack|ioredis)/',
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'], extensionAlias: { '.js': ['.ts', '.js'] } },
  },
};
