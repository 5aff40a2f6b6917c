// When a usage limit lifts, read from the messages Claude Code, Codex and the
// APIs behind them print (limitLifts.ts quotes where each form was seen).
// Expected instants are worked out here from each zone's offset on that day
// (Seoul +9 all year; Warsaw +1 in winter, +2 in summer; New York -5 / -4).

import { describe, expect, it } from 'vitest';
import { usageLimitLiftsAtMs } from '../../../src/engine/limitLifts.js';

const HOUR = 3_600_000;
/** 2026-12-05 11:48 UTC, a Saturday. */
const NOW = Date.UTC(2026, 11, 5, 11, 48);

describe('usageLimitLiftsAtMs', () => {
  it('reads an epoch: Claude Code\'s "usage limit reached|<seconds>", an API\'s resets_at', () => {
    const fivePm = Date.UTC(2026, 11, 5, 17, 0) / 1000;
    expect(usageLimitLiftsAtMs(`Claude AI usage limit reached|${fivePm}`, NOW)).toBe(fivePm * 1000);
    const api = `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"free","resets_at":${fivePm},"resets_in_seconds":602705}}`;
    expect(usageLimitLiftsAtMs(api, NOW)).toBe(fivePm * 1000);
    expect(usageLimitLiftsAtMs('{"type":"usage_limit_reached","resets_in_seconds":600}', NOW)).toBe(NOW + 600_000);
  });

  it('reads a clock time in the zone Claude names: the next time that clock reads it', () => {
    // 5pm in Warsaw (UTC+1 in December) is 16:00 UTC, later today.
    expect(usageLimitLiftsAtMs('Claude usage limit reached. Your limit will reset at 5pm (Europe/Warsaw).', NOW)).toBe(Date.UTC(2026, 11, 5, 16, 0));
    // 1 PM in Dubai (UTC+4) is 09:00 UTC, passed today: tomorrow's.
    expect(usageLimitLiftsAtMs('Claude usage limit reached. Your limit will reset at 1 PM (Asia/Dubai).', NOW)).toBe(Date.UTC(2026, 11, 6, 9, 0));
    // 12am in New York (UTC-5) is 05:00 UTC.
    expect(usageLimitLiftsAtMs("You've hit your limit · resets 12am (America/New_York)", NOW)).toBe(Date.UTC(2026, 11, 6, 5, 0));
  });

  it('reads a date and time in the zone Claude names, in the coming year when the date has passed', () => {
    // Feb 7, 11am in Seoul (UTC+9): 02:00 UTC, in 2027 since Feb 2026 is gone.
    expect(usageLimitLiftsAtMs("You've hit your limit - resets Feb 7, 11am (Asia/Seoul)/login to switch to an API usage-billed account.", NOW)).toBe(Date.UTC(2027, 1, 7, 2, 0));
    // Dec 8, 3:30pm in Warsaw: 14:30 UTC this year.
    expect(usageLimitLiftsAtMs("You've hit your limit · resets Dec 8, 3:30pm (Europe/Warsaw)", NOW)).toBe(Date.UTC(2026, 11, 8, 14, 30));
    // Apr 23 at 4pm in Recife (UTC-3): 19:00 UTC.
    expect(usageLimitLiftsAtMs("You've hit your limit · resets Apr 23 at 4pm (America/Recife)", NOW)).toBe(Date.UTC(2027, 3, 23, 19, 0));
    // A summer date takes the summer offset (UTC+2).
    expect(usageLimitLiftsAtMs("You've hit your limit · resets Jul 1, 9am (Europe/Warsaw)", NOW)).toBe(Date.UTC(2027, 6, 1, 7, 0));
  });

  it('reads an API key\'s spending limit: "regain access on <date> at <time> UTC"', () => {
    const message = 'API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2027-01-01 at 00:00 UTC."}}';
    expect(usageLimitLiftsAtMs(message, NOW)).toBe(Date.UTC(2027, 0, 1, 0, 0));
  });

  it('reads Codex\'s "try again in …" as a wait from now', () => {
    const codex = "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 5 days 22 hours 11 minutes.";
    expect(usageLimitLiftsAtMs(codex, NOW)).toBe(NOW + ((5 * 24 + 22) * 60 + 11) * 60_000);
    expect(usageLimitLiftsAtMs("You've hit your usage limit. Try again in 2 hours 5 minutes.", NOW)).toBe(NOW + 2 * HOUR + 5 * 60_000);
    expect(usageLimitLiftsAtMs("You've hit your usage limit. Try again in 45 minutes.", NOW)).toBe(NOW + 45 * 60_000);
  });

  it('reads Codex\'s "try again at …" in this machine\'s zone, with or without a date', () => {
    const dated = "You've hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again at Jan 5th, 2027 8:19 PM.";
    expect(usageLimitLiftsAtMs(dated, NOW, 'UTC')).toBe(Date.UTC(2027, 0, 5, 20, 19));
    expect(usageLimitLiftsAtMs(dated, NOW, 'America/New_York')).toBe(Date.UTC(2027, 0, 6, 1, 19));
    expect(usageLimitLiftsAtMs("You've hit your usage limit. Upgrade to Pro or try again at 3:10 PM.", NOW, 'UTC')).toBe(Date.UTC(2026, 11, 5, 15, 10));
    // 10:03 PM in Seoul is 13:03 UTC: later today there.
    expect(usageLimitLiftsAtMs("You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 10:03 PM.", NOW, 'Asia/Seoul')).toBe(Date.UTC(2026, 11, 5, 13, 3));
  });

  it('a clock time that passed a moment ago is now (the limit has just lifted), not the same time tomorrow', () => {
    expect(usageLimitLiftsAtMs('Claude usage limit reached. Your limit will reset at 11:40am (UTC).', NOW)).toBe(Date.UTC(2026, 11, 5, 11, 40));
  });

  it('names no time: null', () => {
    for (const message of [
      'API Error: 429 rate limit exceeded',
      "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing).",
      'Rate limit reached for gpt-4o. Please try again in 20s.',
      'Claude usage limit reached. Your limit will reset at 5pm (Mars/Olympus_Mons).',
      'the connection resets after 3 retries',
    ]) {
      expect(usageLimitLiftsAtMs(message, NOW), message).toBeNull();
    }
  });
});
