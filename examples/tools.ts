import { createHash } from 'node:crypto';
import { defineTool } from 'switchyard';

/**
 * Tools for the examples. `payments.charge` is flaky on purpose: it fails the first attempts of some
 * orders (decided by a hash of its idempotency key, so a given run always fails the same way) to show
 * retries with backoff doing real work.
 */
function unit(text: string): number {
  return parseInt(createHash('sha256').update(text).digest('hex').slice(0, 8), 16) / 0x1_0000_0000;
}

export const greet = defineTool({
  name: 'text.greet',
  retry: 'safe',
  inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  execute: (input) => ({ text: `Hello, ${(input as { name: string }).name}!` }),
});

export const listOrders = defineTool({
  name: 'orders.list',
  retry: 'safe',
  execute: (input) => {
    const count = (input as { count?: number }).count ?? 8;
    return Array.from({ length: count }, (_, i) => ({
      id: `ord-${i + 1}`,
      amount: 40 + ((i * 37) % 90),
    }));
  },
});

export const charge = defineTool({
  name: 'payments.charge',
  version: '1.0.0',
  retry: 'unsafe',
  execute: (input, context) => {
    const order = input as { id: string; amount: number };
    if (context.attempt < 3 && unit(`${order.id}|${context.attempt}`) < 0.35) {
      throw Object.assign(new Error(`payment gateway timed out charging ${order.id}`), {
        retryable: true,
      });
    }
    return {
      id: order.id,
      charged: order.amount,
      receipt: `rcpt-${context.idempotencyKey.slice(0, 8)}`,
    };
  },
});

export const sum = defineTool({
  name: 'math.sum',
  retry: 'safe',
  execute: (input) => ((input as { values?: number[] }).values ?? []).reduce((a, b) => a + b, 0),
});

export const notify = defineTool({
  name: 'notify.send',
  retry: 'unsafe',
  execute: (input) => ({ sent: true, message: (input as { message: string }).message }),
});
