import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import IntakeView from './IntakeView.svelte';
import type { GpuModel, Job, JobSummary, PaperKind, PaperPreview, Settings } from '../lib/api';
import { setLocale } from '../lib/i18n.svelte';

const settings: Settings = {
  shopName: 'Bench', shopAddress: '', language: 'en', technicians: ['Li Wei'], currentTechnician: 'Li Wei', laborRate: null, labelSize: 'dk62x29',
};
const models = [{ id: 'h100-sxm5-80gb', name: 'H100 SXM5 80GB', architecture: 'hopper', formFactor: 'sxm', memoryGib: 80, pciDeviceIds: ['0x2330'], cooling: 'passive', memoryBandwidth: null }] satisfies GpuModel[];

/** What a paper panel gets for a new job's label or intake receipt (a draft: not issued yet). */
const paperPreview = (args: unknown) => {
  const { kind } = args as { kind: PaperKind };
  const ticket = 'RV-2026-000007';
  const paper = kind === 'label' ? { kind, ticket, size: 'dk62x29' } : { kind, ticket };
  return {
    onFile: { paper, issued: null },
    svg: '<svg xmlns="http://www.w3.org/2000/svg"/>',
    widthMm: kind === 'label' ? 62 : 210,
    heightMm: kind === 'label' ? 29 : 297,
  } as PaperPreview;
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function type(id: string, value: string) {
  const input = byId<HTMLInputElement>(id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('IntakeView', () => {
  let component: ReturnType<typeof mount>;
  let calls: { cmd: string; args: unknown }[];

  beforeEach(() => {
    calls = [];
    setLocale('en');
    component = mount(IntakeView, {
      target: document.body,
      props: { models, settings, onOpen: () => {}, onSettingsChanged: () => {} },
    });
    flushSync();
  });

  afterEach(() => {
    unmount(component);
    clearMocks();
    document.body.innerHTML = '';
  });

  it('takes a scanner’s Enter as the end of the serial and moves to the model', () => {
    byId<HTMLInputElement>('f-board_serial').focus();
    type('f-board_serial', ' 1654922012345\r');
    byId('f-board_serial').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    flushSync();
    expect(byId<HTMLInputElement>('f-board_serial').value).toBe('1654922012345');
    expect(document.activeElement?.id).toBe('f-model');
  });

  it('sends the form with the bench technician and shows the new ticket and its label', async () => {
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return cmd === 'paper_preview' ? paperPreview(args) : ({ id: 7, ticket: 'RV-2026-000007' } as Partial<Job>);
    });
    type('f-board_serial', '1654922012345');
    type('f-customer_name', 'Deep Compute');
    byId('intake-submit').click();
    await settle();
    flushSync();
    expect(calls.map((call) => call.cmd)).toEqual(['intake_job', 'paper_preview', 'paper_preview']);
    expect(calls.slice(1).map((call) => call.args)).toEqual([{ jobId: 7, kind: 'label' }, { jobId: 7, kind: 'intake_receipt' }]);
    const args = calls[0].args as { form: Record<string, unknown>; firstTechnician: string | null };
    // The core logs the technician at the bench; the window sends no name once people are enrolled.
    expect(args.firstTechnician).toBeNull();
    expect(args.form.boardSerial).toBe('1654922012345');
    expect(args.form.quoteCurrency).toBe('CNY');
    expect(byId('intake-created').textContent).toContain('RV-2026-000007');
    expect(byId<HTMLInputElement>('f-board_serial').value).toBe('');
    // The label to stick on the card's bag, ready to print.
    expect(byId<HTMLImageElement>('label-image').alt).toBe('Ticket label of RV-2026-000007');
    expect(byId('label-size').textContent).toContain('Brother DK 62 × 29 mm');
    // And the receipt for the customer, which goes into the job when it is first printed or saved.
    expect(byId<HTMLImageElement>('intake-receipt-image').alt).toBe('Intake receipt of RV-2026-000007');
    expect(byId('intake-receipt-draft').textContent).toContain('records it in the job');
  });

  it('points at the open job of a serial that is already in the shop', async () => {
    const open = {
      id: 3, ticket: 'RV-2026-000003', status: 'diagnosing', open: true, customerName: '深圳算力', modelId: 'h100-sxm5-80gb',
      boardSerial: '1654922012345', benchLocation: null, updatedAt: '2026-12-01T07:00:00Z',
    } satisfies JobSummary;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return cmd === 'open_jobs_for_serial' ? [open] : null;
    });
    let opened: number | null = null;
    unmount(component);
    component = mount(IntakeView, {
      target: document.body,
      props: { models, settings, onOpen: (id: number) => (opened = id), onSettingsChanged: () => {} },
    });
    flushSync();
    // Typed on a Chinese keyboard in full-width mode, then the scanner's Enter.
    type('f-board_serial', '１６５４９２２０１２３４５');
    byId('f-board_serial').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    await settle();
    flushSync();
    expect(calls[0]).toEqual({ cmd: 'open_jobs_for_serial', args: { serial: '1654922012345' } });
    expect(byId('open-jobs').textContent).toContain('RV-2026-000003');
    expect(byId('open-jobs').textContent).toContain('Diagnosing');
    byId('open-jobs').querySelector('button')?.click();
    expect(opened).toBe(3);
  });

  it('shows a refused intake as a translated message and marks the field', async () => {
    mockIPC(() => {
      throw { code: 'invalid_input', message: 'x', field: 'board_serial', problem: { kind: 'empty' } };
    });
    setLocale('zh-CN');
    flushSync();
    byId('intake-submit').click();
    await settle();
    flushSync();
    expect(byId('form-error').textContent).toBe('板卡序列号：必填');
    expect(byId('f-board_serial').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement?.id).toBe('f-board_serial');
  });
});

describe('IntakeView on a fresh bench', () => {
  afterEach(() => {
    clearMocks();
    document.body.innerHTML = '';
  });

  it('asks the first technician for their name and sends it to be enrolled', async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    let settingsChanged = 0;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return cmd === 'paper_preview' ? paperPreview(args) : { id: 1, ticket: 'RV-2026-000001' };
    });
    const fresh = { ...settings, technicians: [], currentTechnician: null };
    const component = mount(IntakeView, {
      target: document.body,
      props: { models, settings: fresh, onOpen: () => {}, onSettingsChanged: () => settingsChanged++ },
    });
    flushSync();
    expect(document.getElementById('need-technician')).toBeNull();
    type('f-technician', '王芳');
    byId('intake-submit').click();
    await settle();
    flushSync();
    expect((calls[0].args as { firstTechnician: string }).firstTechnician).toBe('王芳');
    expect(settingsChanged).toBe(1);
    unmount(component);
  });
});
