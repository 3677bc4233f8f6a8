/** Counts the tokens of a model's output; the red flag on length compares this with the limit. */
export type TokenCounter = (text: string) => number;

/** What JavaScript's `\s` matches. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * A rough, documented stand-in for a BPE tokenizer: one token per run of up to 6 ASCII letters, per
 * run of up to 3 digits, and per any other non-space UTF-16 code unit (punctuation, brackets, each
 * non-ASCII character); whitespace is free. That is, the number of matches of
 * `/[A-Za-z]{1,6}|\d{1,3}|\S/g`. On English prose and on bracketed lists of numbers it lands near
 * what GPT-style tokenizers count (both split words into a few pieces and numbers into groups of up
 * to three digits) without being exact. Pass the model's own count when it is known: a sample's
 * `outputTokens` (the provider's usage report) takes precedence over any counter.
 */
export function estimateTokens(text: string): number {
  let count = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (isSpace(code)) {
      i++;
      continue;
    }
    count++;
    if (isLetter(code)) {
      const end = Math.min(length, i + 6);
      i++;
      while (i < end && isLetter(text.charCodeAt(i))) i++;
    } else if (isDigit(code)) {
      const end = Math.min(length, i + 3);
      i++;
      while (i < end && isDigit(text.charCodeAt(i))) i++;
    } else {
      i++;
    }
  }
  return count;
}
