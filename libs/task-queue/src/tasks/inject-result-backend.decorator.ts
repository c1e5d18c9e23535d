import { Inject } from '@nestjs/common';
import { getResultBackendToken } from '../utils/tokens.js';

/**
 * Inject the configured ResultBackend (null when results are off).
 * @publicApi
 */
export const InjectResultBackend = (): ParameterDecorator & PropertyDecorator =>
  Inject(getResultBackendToken());
