import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { BeatOptions } from './beat/beat-options.js';

/** forRoot / forRootAsync of the beat module, from Nest's builder. */
export const {
  ConfigurableModuleClass: ConfigurableBeatModule,
  MODULE_OPTIONS_TOKEN: BEAT_MODULE_OPTIONS,
  OPTIONS_TYPE: BEAT_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<BeatOptions>({ moduleName: 'TaskQueueBeat' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createBeatOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
