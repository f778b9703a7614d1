import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkEmulatorPrerequisites,
  emulatorEnvironment,
  emulatorJvmFlags,
  EmulatorError,
  startEmulator,
} from './emulators.ts';

describe('emulator prerequisites', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('stops with the install command when gcloud is missing', () => {
    process.env.PATH = '/nonexistent';
    expect(() => checkEmulatorPrerequisites()).toThrow(EmulatorError);
    expect(() => checkEmulatorPrerequisites()).toThrow(
      /gcloud components install beta pubsub-emulator cloud-firestore-emulator/,
    );
  });

  it('refuses a port that another process holds, naming the variable to reuse it', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const address = squatter.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(startEmulator('pubsub', port)).rejects.toThrow(
        /PUBSUB_EMULATOR_HOST=127\.0\.0\.1:\d+/,
      );
    } finally {
      squatter.close();
    }
  });
});

describe('emulator JVM flags', () => {
  it('runs the emulators at the first JIT tier by default', () => {
    expect(emulatorEnvironment({ PATH: '/bin' })).toMatchObject({
      PATH: '/bin',
      JAVA_TOOL_OPTIONS: '-XX:TieredStopAtLevel=1',
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    });
    expect(emulatorJvmFlags).toBe('-XX:TieredStopAtLevel=1');
  });

  it("keeps the user's JAVA_TOOL_OPTIONS, even an empty one", () => {
    expect(emulatorEnvironment({ JAVA_TOOL_OPTIONS: '-Xmx2g' }).JAVA_TOOL_OPTIONS).toBe('-Xmx2g');
    expect(emulatorEnvironment({ JAVA_TOOL_OPTIONS: '' }).JAVA_TOOL_OPTIONS).toBe('');
  });
});
