import { afterEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import PaperPanel from './PaperPanel.svelte';
import type { PaperKind, PaperPreview } from '../lib/api';
import { setLocale } from '../lib/i18n.svelte';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function preview(kind: PaperKind, issued: PaperPreview['onFile']['issued']): PaperPreview {
  const paper = kind === 'label' ? { kind, ticket: 'RV-2026-000009', size: 'dk62x29' } : { kind, ticket: 'RV-2026-000009' };
  return {
    onFile: { paper, issued } as PaperPreview['onFile'],
    svg: '<svg xmlns="http://www.w3.org/2000/svg"/>',
    widthMm: kind === 'label' ? 62 : 210,
    heightMm: kind === 'label' ? 29 : 297,
  };
}

describe('PaperPanel', () => {
  let components: ReturnType<typeof mount>[] = [];
  afterEach(() => {
    components.forEach((component) => unmount(component));
    components = [];
    clearMocks();
    document.body.innerHTML = '';
  });

  const show = (kind: PaperKind, onIssued?: () => void) => {
    components.push(mount(PaperPanel, { target: document.body, props: { jobId: 9, kind, onIssued } }));
    flushSync();
  };

  it('records a receipt before printing it on A4, and prints it alone even beside the label', async () => {
    setLocale('zh-CN');
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      const { kind } = args as { kind: PaperKind };
      if (cmd === 'paper_preview') return preview(kind, null);
      if (cmd === 'issue_paper') return preview(kind, { at: '2026-12-03T02:05:00.000Z', by: '王芳' });
      return null;
    });
    let issued = 0;
    show('label');
    show('intake_receipt', () => issued++);
    await settle();
    flushSync();
    expect(byId('intake-receipt-draft').textContent).toContain('打印或保存后即记入工单');

    byId('print-intake-receipt').click();
    await settle();
    flushSync();
    expect(calls.slice(2).map((call) => call.cmd)).toEqual(['issue_paper', 'print_paper']);
    expect(calls[2].args).toEqual({ jobId: 9, kind: 'intake_receipt' });
    expect(calls[3].args).toEqual({ widthMm: 210, heightMm: 297 });
    expect(issued).toBe(1);
    expect(byId('intake-receipt-issued').textContent).toContain('王芳');
    // The print stylesheet keeps only the paper whose Print was pressed.
    expect(byId('intake-receipt-image').classList.contains('to-print')).toBe(true);
    expect(byId('label-image').classList.contains('to-print')).toBe(false);
    expect(document.body.classList.contains('printing-paper')).toBe(true);

    // Printed again, it is the paper on file: nothing new for the job's timeline.
    byId('print-intake-receipt').click();
    await settle();
    expect(issued).toBe(1);
  });

  it('saves a label without recording anything, under a translated title', async () => {
    setLocale('zh-CN');
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === 'paper_preview') return preview((args as { kind: PaperKind }).kind, null);
      if (cmd === 'save_paper_pdf') {
        expect(args).toEqual({ jobId: 9, kind: 'label', title: '保存工单标签 PDF' });
        return '/home/王芳/RV-2026-000009-label.pdf';
      }
      return null;
    });
    show('label');
    await settle();
    flushSync();
    byId('save-label').click();
    await settle();
    flushSync();
    expect(calls).toEqual(['paper_preview', 'save_paper_pdf', 'paper_preview']);
    expect(byId('label-saved').textContent).toContain('/home/王芳/RV-2026-000009-label.pdf');
  });

  it('records nothing when the save dialog is cancelled', async () => {
    setLocale('en');
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      return cmd === 'paper_preview' ? preview((args as { kind: PaperKind }).kind, null) : null;
    });
    let issued = 0;
    show('intake_receipt', () => issued++);
    await settle();
    flushSync();
    byId('save-intake-receipt').click();
    await settle();
    flushSync();
    expect(calls).toEqual(['paper_preview', 'save_paper_pdf']);
    expect(issued).toBe(0);
    expect(byId('intake-receipt-saved')).toBeNull();
    expect(byId('intake-receipt-draft')).not.toBeNull();
  });

  it('says in the technician’s language why a slip cannot be printed yet', async () => {
    setLocale('zh-CN');
    mockIPC(() => {
      throw { code: 'hand_over_not_due', message: 'the card does not go back to its customer while the job is repairing' };
    });
    show('hand_over_slip');
    await settle();
    flushSync();
    expect(byId('hand-over-slip-error').textContent).toContain('请先将工单改为“待取件”');
    expect(byId<HTMLButtonElement>('print-hand-over-slip').disabled).toBe(true);
  });
});
