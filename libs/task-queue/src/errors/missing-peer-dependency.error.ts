import { ConfigurationError } from './configuration.error.js';

/**
 * An option needs an optional peer dependency (ioredis, amqplib, typeorm) that is not
 * installed; thrown at boot. `packageName` is what to install.
 * @publicApi
 */
export class MissingPeerDependencyError extends ConfigurationError {
  constructor(
    readonly packageName: string,
    feature: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${feature} needs the package "${packageName}", which is not installed. ` +
        `Install it next to celeriac: npm install ${packageName}`,
      options,
    );
  }
}
