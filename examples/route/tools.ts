import { defineTool } from 'switchyard';

/**
 * Tools for the route example: two payment providers and a notifier. `stripe.refund` simulates an
 * outage (every call fails), so the route has something to heal around.
 */
// A type alias, not an interface: it converts from a JSON object.
type Refund = { order: string; amount: number };

export const stripe = defineTool({
  name: 'stripe.refund',
  retry: 'unsafe',
  execute: () => {
    throw new Error('simulated outage: Stripe answered 503 Service Unavailable');
  },
});

export const razorpay = defineTool({
  name: 'razorpay.refund',
  retry: 'unsafe',
  execute: (input, context) => {
    const { order, amount } = input as Refund;
    return {
      provider: 'razorpay',
      order,
      amount,
      id: `rfnd_${context.idempotencyKey.slice(0, 8)}`,
    };
  },
});

export const notify = defineTool({
  name: 'notify.refunded',
  retry: 'unsafe',
  execute: (input) => {
    const { order, amount } = input as Refund;
    return `refunded ${amount} for ${order}`;
  },
});
