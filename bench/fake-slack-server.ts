/** The fake Slack Web API in its own process for benchmarks, so "Slack's" work does not share the bot's event loop. */
import { seedSlack } from '../test/helpers/bot.js';
import { startFakeSlack } from '../test/helpers/fake-slack.js';

const fake = await startFakeSlack();
seedSlack(fake);
// Recording every call would grow without bound over a benchmark; keep none.
setInterval(() => fake.reset(), 1000).unref();
process.stdout.write(`${fake.url}\n`);
process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
