// Re-exports the CommonJS build (see index.mjs).
import cjs from '../dist/testing.js';

export const { Emulator } = cjs;
