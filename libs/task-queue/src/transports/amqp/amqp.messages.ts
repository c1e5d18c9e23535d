/**
 * Actionable texts of the RabbitMQ broker's errors and logs: what happened, and what to do.
 */

/** `amqp://user:secret@host/vhost` → `amqp://user:***@host/vhost`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** The vhost an `amqp://` URL names, as amqplib reads it (`/` when the path is empty). */
function vhostOf(url: string): string {
  const path = URL.canParse(url) ? new URL(url).pathname.slice(1) : '';
  return path ? decodeURIComponent(path) : '/';
}

/** What to check, from the cause: the vhost, the credentials, else the server. */
const NO_HANDSHAKE = 'no AMQP handshake';

function connectAdvice(url: string, cause: string): string {
  if (/ConnectionOpenOk|NOT_ALLOWED|vhost/i.test(cause)) {
    const vhost = vhostOf(url);
    const user = URL.canParse(url) ? decodeURIComponent(new URL(url).username) || 'guest' : 'guest';
    return (
      `RabbitMQ refused the vhost "${vhost}": it does not exist, or the user "${user}" has no ` +
      `permissions on it (rabbitmqctl add_vhost ${vhost}; rabbitmqctl set_permissions -p ` +
      `${vhost} ${user} '.*' '.*' '.*'). The vhost is the URL's path: amqp://host:5672// is "/".`
    );
  }
  if (cause.includes(NO_HANDSHAKE)) {
    return (
      "Check that the URL's port is RabbitMQ's AMQP port (5672, 5671 for amqps://; 15672 is " +
      'the management UI, 6379 Redis) and that RabbitMQ is not stuck.'
    );
  }
  if (/ACCESS_REFUSED|ACCESS-REFUSED/.test(cause)) {
    return 'RabbitMQ refused the user name or password in the URL: check them.';
  }
  if (/closed abruptly during opening handshake/i.test(cause)) {
    return (
      'The server on that port closed the connection without an AMQP handshake: it is most ' +
      'likely not RabbitMQ (PostgreSQL on 5432 and MariaDB on 3306 do this), or it only ' +
      "accepts TLS (use amqps://, port 5671). Check the URL's host and port: RabbitMQ's AMQP " +
      'port is 5672; if it is RabbitMQ, its log says why it closed the connection.'
    );
  }
  return (
    'Check that RabbitMQ is running and reachable, and that the user, password and vhost in ' +
    'the URL are right.'
  );
}

export const AmqpMessages = {
  noHandshake: (timeoutMs: number): string =>
    `${NO_HANDSHAKE} within ${timeoutMs} ms (nothing answered as RabbitMQ on that host and port)`,
  notConnected: (): string => 'RabbitMQ is not connected (the connection is down or reconnecting).',
  noAnswer: (url: string, timeoutMs: number): string =>
    `RabbitMQ at ${redactUrl(url)} did not answer within ${timeoutMs} ms (the connection is ` +
    `open but the broker does not respond: check that RabbitMQ is not stuck, e.g. on a disk or ` +
    `memory alarm, and that the network to it is up).`,
  connectFailed: (url: string, cause: string): string =>
    `Could not connect to RabbitMQ at ${redactUrl(url)}: ${cause}. ${connectAdvice(url, cause)}`,
  connectionLost: (url: string, cause: string, delay: number): string =>
    `RabbitMQ connection to ${redactUrl(url)} lost (${cause}). Reconnecting in ${delay} ms ` +
    `with backoff (failed retries are not logged); unacked messages go back ` +
    `to their queues and will be redelivered. Publishes wait for the reconnect or fail, per ` +
    `the whenDisconnected option.`,
  reconnectFailed: (attempt: number, cause: string, delay: number): string =>
    `RabbitMQ reconnect attempt ${attempt} failed (${cause}); still reconnecting with ` +
    `backoff, next attempt in ${delay} ms.`,
  connectionBlocked: (url: string, reason: string): string =>
    `RabbitMQ blocked publishing on the connection to ${redactUrl(url)} (${reason}): a memory ` +
    `or disk alarm. Publishes wait for their confirm and fail after publishTimeout with an ` +
    `unknown outcome; consuming goes on. Free memory or disk on RabbitMQ (rabbitmq-diagnostics ` +
    `alarms) to lift it.`,
  closeUnanswered: (url: string, timeoutMs: number, blocked: string | undefined): string =>
    `RabbitMQ at ${redactUrl(url)} did not answer the close within ${timeoutMs} ms` +
    (blocked ? ` (it blocked this connection: ${blocked})` : '') +
    `: dropping the connection. RabbitMQ puts its unacked messages back in their queues; a ` +
    `task that finished just before may run again.`,
  connectionUnblocked: (url: string): string =>
    `RabbitMQ unblocked publishing on the connection to ${redactUrl(url)}; publishes go through again.`,
  reconnected: (url: string, attempt: number): string =>
    `RabbitMQ connection restored after ${attempt} attempt(s) (${redactUrl(url)}); topology ` +
    `re-declared and consumers resumed.`,
  disconnectedFail: (queue: string): string =>
    `Cannot publish to "${queue}": the RabbitMQ connection is down and whenDisconnected is ` +
    `'fail'. Nothing was sent; retry later or use whenDisconnected: 'wait'.`,
  publishTimedOut: (queue: string, ms: number, confirmed: boolean, blocked?: string): string =>
    confirmed
      ? `Publish to "${queue}" was not confirmed by RabbitMQ within ${ms} ms; the message may ` +
        `or may not have been stored (outcome unknown: retry with the same task id). ` +
        (blocked
          ? `RabbitMQ has blocked this connection's publishes (${blocked}): free memory or ` +
            `disk on RabbitMQ.`
          : `Check RabbitMQ's health (memory/disk alarms block publishers).`)
      : `Publish to "${queue}" gave up after ${ms} ms waiting for the RabbitMQ connection; ` +
        `nothing was sent. Check that RabbitMQ is up, or raise publishTimeout.`,
  publishOutcomeUnknown: (queue: string, why: string): string =>
    `Publish to "${queue}" failed after the message was written: ${why}. RabbitMQ may have ` +
    `stored it, so it may still run. Retry with the same task id, and give the task ` +
    `dedupe: true, so that a worker drops the copy that already succeeded.`,
  noAnswerBeforePublish: (queue: string, ms: number): string =>
    `Publish to "${queue}" gave up after ${ms} ms: RabbitMQ did not answer while the queue ` +
    `was declared or the channel opened; nothing was sent. Check RabbitMQ's health, or raise ` +
    `publishTimeout.`,
  publishNacked: (queue: string): string =>
    `RabbitMQ refused (nacked) a message for "${queue}": it was not stored. RabbitMQ refuses ` +
    `a message when the queue is full and declared with x-overflow: reject-publish (its ` +
    `x-max-length or x-max-length-bytes reached), or on an internal error: check the queue's ` +
    `length and limits, then the RabbitMQ log.`,
  publishTooLarge: (queue: string, size: number, max: number): string =>
    `RabbitMQ refused a message of ${size} bytes for "${queue}": it is larger than the ` +
    `server's max_message_size (${max} bytes), so it was not stored. Send less (store large ` +
    `payloads elsewhere and pass a reference), or raise max_message_size in rabbitmq.conf.`,
  queueGone: (queue: string): string =>
    `Queue "${queue}" no longer exists on RabbitMQ (deleted after it was declared): a publish ` +
    `to it came back unroutable. Declaring it again and resending; if it keeps disappearing, ` +
    `check who deletes it (x-expires policies, rabbitmqctl delete_queue).`,
  delayQueueGone: (prefix: string): string =>
    `A queue of the delay ladder (${prefix}.<n>) no longer exists on RabbitMQ (deleted after ` +
    `it was declared): a delayed message parked into it came back unroutable. Declaring the ` +
    `ladder again and resending; if it keeps disappearing, check who deletes it (x-expires ` +
    `policies, rabbitmqctl delete_queue).`,
  delayIntoRejectingQueue: (queue: string, overflow: string): string =>
    `Queue "${queue}" is declared with x-overflow: ${overflow} and receives delayed messages ` +
    `(ETA, countdown, retries): RabbitMQ moves them out of the delay ladder by dead-lettering, ` +
    `and drops one that arrives while the queue is full (no publisher hears of it). Size the ` +
    `queue for its delayed messages, or use x-overflow: drop-head with a dead-letter exchange.`,
  publishUnroutable: (queue: string): string =>
    `RabbitMQ returned a message for "${queue}": no queue took it (the queue was deleted, and ` +
    `declaring it again did not help); it was not stored. Check who deletes the queue ` +
    `(rabbitmqctl list_queues, policies with x-expires).`,
  closed: (): string => 'The AMQP broker is closed; create a new one to publish again.',
  declarationMismatch: (what: string, cause: string): string =>
    `RabbitMQ refused to declare ${what}: ${cause}. It already exists with other arguments ` +
    `(durable, x-max-priority, x-queue-type, ...). Declare it exactly as the other side ` +
    `(Python Celery: task_queue_max_priority, task_default_queue_type, queue_arguments) or ` +
    `delete it (rabbitmqctl delete_queue) if it is stale.`,
  foreignExchange: (queue: string, exchange: string, cause: string): string =>
    `Queue "${queue}": its exchange "${exchange}" exists as another type (${cause}), declared ` +
    `by another program (Celery's task_queues with a topic or fanout Exchange). Celeriac ` +
    `publishes tasks to the default exchange and needs no exchange of its own, so it leaves ` +
    `that exchange and its bindings as they are and consumes the queue. To say so in the ` +
    `configuration (and drop this line), set queues["${queue}"].exchange: '' on the AmqpBroker.`,
  quorumPriority: (queue: string): string =>
    `Queue "${queue}" is configured with both type 'quorum' and maxPriority: RabbitMQ quorum ` +
    `queues have no x-max-priority. Remove one of the two settings.`,
  quorumPriorityIgnored: (queue: string, maxPriority: number): string =>
    `Queue "${queue}" is a quorum queue: the broker-wide maxPriority ${maxPriority} is not ` +
    `declared on it (quorum queues have no x-max-priority), so priorities are not honoured there.`,
  quorumPriorityGlobal: (maxPriority: number): string =>
    `queueType is 'quorum' and maxPriority is ${maxPriority}: quorum queues have no ` +
    `x-max-priority, so the priority is not declared and not honoured on them. Set ` +
    `maxPriority per classic queue instead, or drop it.`,
  settleOnDeadChannel: (action: string, tag: string): string =>
    `Could not ${action} delivery ${tag}: its channel is closed. Nothing to do: RabbitMQ has ` +
    `already put the message back and will redeliver it.`,
  redeliveredDone: (queue: string, id: string): string =>
    `Task ${id} came back from "${queue}" after its ack was lost with the connection ` +
    `(RabbitMQ closed it, for instance after missed heartbeats while a handler held the event ` +
    `loop): this worker already ran it to its end, so it is acked without running again.`,
  acksLost: (count: number, cause: string): string =>
    `Could not send ${count} ack(s): ${cause}. Their channel is closed: RabbitMQ has put the ` +
    `messages back and will redeliver them (the tasks already ran once).`,
  handlerThrew: (queue: string, cause: string): string =>
    `The delivery handler for "${queue}" threw: ${cause}. The message stays unacked until ` +
    `the handler settles it or the consumer closes.`,
  consumerChannelError: (queues: string[], cause: string): string => {
    const timeout = /acknowledgement .*timed out.*?Timeout value used: (\d+) ms/s.exec(cause);
    if (!timeout) return `Consumer channel error: ${cause}`;
    return (
      `RabbitMQ closed the consumer channel of ${queues.join(', ')}: a delivery was not acked ` +
      `within RabbitMQ's consumer_timeout (${timeout[1]} ms), so a task ran longer than that ` +
      `(acks are sent when a task ends). Its message goes back to the queue and the task will ` +
      `run again (with dedupe: true, not once it succeeded); consuming resumes on a new channel. ` +
      `Raise consumer_timeout in rabbitmq.conf (or the queue argument x-consumer-timeout on ` +
      `RabbitMQ 3.12+) above the longest task, or split the task.`
    );
  },
  cannotResumeConsuming: (queues: string[], cause: string): string =>
    `Could not resume consuming ${queues.join(', ')}: ${cause}. Retrying with backoff (up to ` +
    `30 s apart; the same failure is not logged again).`,
  notConsuming: (queues: string[], cause: string): string =>
    `Not consuming ${queues.join(', ')}: subscribing again failed: ${cause}`,
  resumedConsuming: (queues: string[], failures: number): string =>
    `Resumed consuming ${queues.join(', ')} after ${failures} failed attempt(s).`,
  consumerCancelledByServer: (queue: string): string =>
    `RabbitMQ cancelled the consumer of "${queue}" (queue deleted or failed over); ` +
    `re-subscribing.`,
  deadLetterFailed: (queue: string, cause: string): string =>
    `Could not dead-letter a message of "${queue}" (${cause}); it was requeued instead so ` +
    `that nothing is lost.`,
  deferFailed: (queue: string, cause: string): string =>
    `Could not park a deferred message of "${queue}" (${cause}); it was requeued instead.`,
  invalidDelayQueue: (queue: string): string =>
    `Queue name "${queue}" cannot be used with delays: it must not contain "*" or "#" and must ` +
    `be short enough for a 255-byte routing key.`,
};
