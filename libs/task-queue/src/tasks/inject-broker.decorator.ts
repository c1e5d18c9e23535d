import { Inject } from '@nestjs/common';
import { getBrokerToken } from '../utils/tokens.js';

/**
 * Inject the configured Broker (for custom producers, queue lengths, purges).
 * @publicApi
 */
export const InjectBroker = (): ParameterDecorator & PropertyDecorator => Inject(getBrokerToken());
