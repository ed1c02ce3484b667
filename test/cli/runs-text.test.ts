import { describe, expect, it } from 'vitest';
import { eventText } from '../../main/cli/runs-text.js';
import type { RunEvent } from '../../shared/types.js';

describe('a run history as the CLI prints it', () => {
  it('prints a warning with what to try, and the recovery from it without advice', () => {
    const at = Date.UTC(2026, 11, 7, 12, 0, 0);
    const warning: RunEvent = {
      kind: 'warning',
      at,
      step: 72,
      warning: {
        code: 'mode-collapse',
        step: 72,
        title: 'The samples look alike: mode collapse',
        message: 'The grid is one image.',
        advice: 'Resume from an earlier checkpoint.',
      },
    };
    const recovered: RunEvent = {
      kind: 'warning',
      at,
      step: 264,
      warning: {
        code: 'mode-collapse',
        step: 264,
        title: 'The samples vary again',
        message: 'They differ 35% as much as training images do.',
        advice: '',
        cleared: true,
      },
    };
    expect(eventText(warning)).toMatch(
      /step {6}72 {2}warning: The samples look alike: mode collapse\. The grid is one image\. Try: Resume/,
    );
    expect(eventText(recovered)).toMatch(
      /step {5}264 {2}recovered: The samples vary again\. They differ 35%/,
    );
    expect(eventText(recovered)).not.toMatch(/Try:/);
  });
});
