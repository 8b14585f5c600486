/**
 * Which paper on screen the print stylesheet keeps when the print dialog runs: a job may show its
 * label and its receipt at once, and only the one whose Print was pressed goes to the printer.
 */
export const paperToPrint = $state<{ slug: string | null }>({ slug: null });
