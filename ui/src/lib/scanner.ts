// A USB barcode scanner is a keyboard that types the label and presses Enter (some add Tab or
// stray whitespace). In the serial field, Enter means "scanned": keep the code, move on.

/** What a scan leaves in the field, without the surrounding whitespace some scanners add, and in
 * plain digits and letters when a Chinese keyboard in full-width mode typed it (１６５４ → 1654). */
export function cleanScan(raw: string): string {
  return raw.normalize('NFKC').replace(/^[\s\u0000-\u001f]+|[\s\u0000-\u001f]+$/g, '');
}

/** True for the key that ends a scan, so the form is not submitted half-filled. */
export function endsScan(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'isComposing'>): boolean {
  return event.key === 'Enter' && !event.ctrlKey && !event.metaKey && !event.isComposing;
}
