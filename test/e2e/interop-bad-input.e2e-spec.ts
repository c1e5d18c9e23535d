import { describe, expect, it } from 'vitest';
import { type PyCall, useInteropFixture } from '../support/interop-fixture.js';
import { runPythonClient } from '../support/interop-processes.js';

/**
 * Bad input from a Python producer to the compiled interop worker (apps/interop), on Redis and
 * on RabbitMQ (a private vhost) with Redis or rpc:// results: the message ends in the dead-letter queue,
 * Python reads a FAILURE that says what was wrong, the worker log says what to do, and the
 * worker keeps serving.
 */
const { ids, transports, useNodeWorker } = useInteropFixture('celeriac-interop-bad-input');

// On rpc://, the FAILURE goes to the caller's reply queue, named in the message it could not read.
describe.each(transports)('bad input from Python on $name', ({ broker, backend }) => {
  const node = useNodeWorker('interop-bad', { broker, backend });
  const { queue } = node;

  const raw = async (
    body: Buffer,
    headers: Record<string, unknown> = {},
    contentEncoding = 'utf-8',
    contentType = 'application/json',
  ): Promise<PyCall> => {
    const report = await runPythonClient<PyCall>(broker(), backend, 'raw', {
      task: 'interop.add',
      queue,
      body_hex: body.toString('hex'),
      headers,
      content_encoding: contentEncoding,
      content_type: contentType,
    });
    ids.push(report.id);
    return report;
  };

  /** The worker's log line of dead-lettering message `id`, once it has been written. */
  const deadLetterLine = async (id: string): Promise<string | undefined> => {
    const worker = node.process();
    await worker.waitFor(new RegExp(`Moved message ${id} from "${queue}" to "${queue}.dlq"`));
    return worker.output.split('\n').find((l) => l.includes(`Moved message ${id}`));
  };

  it('a JSON body with bytes that are not UTF-8: FAILURE saying so, dead-lettered, logged', async () => {
    const report = await raw(Buffer.concat([Buffer.from('[[1, 2], {}, {}]'), Buffer.from([0xff])]));
    expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'InvalidMessageError' });
    expect(report.exc_message).toMatch(/^The message body is not UTF-8 text \(17 bytes\)/);
    const line = await deadLetterLine(report.id);
    expect(line).toContain("publish it with Celery's json serializer");
    expect(line).toContain(`Inspect it there and call DeadLetters.redrive('${queue}') once fixed.`);
    expect(line).not.toContain('..');
  });

  // Python rejects these (`InvalidTaskError: invalid ETA value`); read loosely, a number was a
  // year (12345: the task waited ten thousand years) and a word meant "now".
  it.each([
    ['eta', 12345],
    ['eta', 'tomorrow'],
    ['expires', 'soon'],
    ['expires', 1796534400],
  ])('%s %j is not an ISO 8601 time: FAILURE saying so', async (header, value) => {
    const report = await raw(Buffer.from('[[1, 2], {}, {}]'), { [header]: value });
    expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'InvalidMessageError' });
    expect(report.exc_message).toContain(`invalid ${header} ${JSON.stringify(value)}`);
  });

  // Celery 5.2.6 unpacks the body as `args, kwargs, embed = body`: any other length stops its
  // worker ("Unrecoverable error: ValueError") and the message comes back for ever.
  it.each([
    ['four elements', '[[1, 2], {}, {}, 7]', 4],
    ['two elements', '[[1, 2], {}]', 2],
  ])('a body of %s: FAILURE saying so, dead-lettered, logged, not run', async (_, body, n) => {
    const report = await raw(Buffer.from(body));
    expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'InvalidMessageError' });
    expect(report.exc_message).toContain(`the body must be [args, kwargs, embed] (3 elements)`);
    expect(report.exc_message).toContain(`got ${n}`);
    const line = await deadLetterLine(report.id);
    expect(line).toContain(`Task ${report.id}`);
    expect(line).toContain('fix the producer');
  });

  // kombu decodes a JSON body whatever its content-encoding says (only its content-type
  // chooses the decoder), so Celery runs these: Celeriac too.
  it.each(['binary', 'x-unknown'])(
    'content-encoding %s on a JSON body runs, as in Celery',
    async (enc) => {
      const report = await raw(Buffer.from('[[40, 2], {}, {}]'), {}, enc);
      expect(report).toMatchObject({ state: 'SUCCESS', result: 42 });
    },
  );

  // kombu compares the content type with accept_content's exact string: Celery 5.2.6 refuses
  // these aliases (ContentDisallowed) even though the body is JSON.
  it.each(['application/x-json', 'json', 'application/json; charset=utf-8'])(
    'content type %s is refused as Celery refuses it: FAILURE, dead-lettered',
    async (type) => {
      const report = await raw(Buffer.from('[[1, 2], {}, {}]'), {}, 'utf-8', type);
      expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'InvalidMessageError' });
      expect(report.exc_message).toContain(`Unsupported content type "${type}"`);
    },
  );

  // A canvas field that holds no signature was skipped: the task ran, SUCCESS was stored and
  // the chain / callback / errback / chord it carried was lost without a word.
  it.each([
    ['callbacks', 'nope', 'embed.callbacks', 'not an object'],
    ['callbacks', [{ task: 5 }], 'embed.callbacks[0]', 'no "task" name'],
    ['chain', [{ args: [1] }], 'embed.chain[0]', 'no "task" name'],
    ['errbacks', [17], 'embed.errbacks[0]', 'not an object'],
    ['chord', 'x', 'embed.chord', 'not an object'],
  ])(
    'a %s of %j: FAILURE naming the field, dead-lettered, logged, not run',
    async (field, value, path, problem) => {
      const embed = { callbacks: null, errbacks: null, chain: null, chord: null, [field]: value };
      const report = await raw(Buffer.from(JSON.stringify([[1, 2], {}, embed])));
      expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'InvalidMessageError' });
      expect(report.exc_message).toContain(`${path} is not a task signature (${problem})`);
      const line = await deadLetterLine(report.id);
      expect(line).toContain('The task was not run');
      expect(line).toContain('fix the producer that built it');
    },
  );

  it('keeps serving: the next message runs', async () => {
    const report = await raw(Buffer.from('[[20, 22], {}, {}]'));
    expect(report).toMatchObject({ state: 'SUCCESS', result: 42 });
  });
});
