import { App } from 'cdktf';
import { ConfigError, loadConfig } from './src/config';
import { DrStack, stackName } from './src/dr-stack';

// Config is loaded and validated before the App exists: bad config writes nothing.
let config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
const app = new App();
new DrStack(app, stackName(config), { config });
app.synth();
