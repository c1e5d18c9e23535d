import { describe, expect, it } from 'vitest';
import { AmqpMessages } from './amqp.messages.js';

describe('AmqpMessages.connectFailed', () => {
  it('a vhost RabbitMQ refuses: names the vhost, the user and the commands that fix it', () => {
    const message = AmqpMessages.connectFailed(
      'amqp://app:secret@127.0.0.1:5672/orders',
      'Expected ConnectionOpenOk; got <ConnectionClose channel:0>',
    );
    expect(message).toContain('amqp://app:***@127.0.0.1:5672/orders');
    expect(message).not.toContain('secret');
    expect(message).toContain('RabbitMQ refused the vhost "orders"');
    expect(message).toContain('rabbitmqctl add_vhost orders');
    expect(message).toContain("rabbitmqctl set_permissions -p orders app '.*' '.*' '.*'");
  });

  it('reads the default vhost "/" from amqp://host//', () => {
    const message = AmqpMessages.connectFailed(
      'amqp://guest:guest@127.0.0.1:5672//',
      'Expected ConnectionOpenOk; got <ConnectionClose channel:0>',
    );
    expect(message).toContain('RabbitMQ refused the vhost "/"');
  });

  it('refused credentials, and a server that does not answer', () => {
    const refused = AmqpMessages.connectFailed(
      'amqp://guest:nope@127.0.0.1:5672//',
      'Handshake terminated by server: 403 (ACCESS-REFUSED)',
    );
    expect(refused).toContain('refused the user name or password');
    const down = AmqpMessages.connectFailed('amqp://127.0.0.1:5680', 'connect ECONNREFUSED');
    expect(down).toContain('Check that RabbitMQ is running and reachable');
  });
});
