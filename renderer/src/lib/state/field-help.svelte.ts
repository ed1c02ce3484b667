/**
 * Which form field's help is open: one at a time, so opening another closes it and the form
 * never fills up with explanations. Shared by every FormField on the page.
 */
let openId = $state<string | null>(null);

export const fieldHelp = {
  /** The id of the field whose help is open, or null. */
  get open(): string | null {
    return openId;
  },
  toggle(id: string): void {
    openId = openId === id ? null : id;
  },
  close(): void {
    openId = null;
  },
};
