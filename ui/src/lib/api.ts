// Typed calls to the Rust commands. Every shape is generated from the Rust types (ts-rs, see
// src-tauri/src/bindings.rs) into ./bindings; nothing here restates one.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { Answer } from './bindings/Answer';
import type { AppInfo } from './bindings/AppInfo';
import type { BackupReport } from './bindings/BackupReport';
import type { BenchSnapshot } from './bindings/BenchSnapshot';
import type { BenchView } from './bindings/BenchView';
import type { Certificate } from './bindings/Certificate';
import type { CertificateDocument } from './bindings/CertificateDocument';
import type { CertificateLanguage } from './bindings/CertificateLanguage';
import type { CertificatePreview } from './bindings/CertificatePreview';
import type { Condition } from './bindings/Condition';
import type { Currency } from './bindings/Currency';
import type { DiagnosticRun } from './bindings/DiagnosticRun';
import type { EvidenceValue } from './bindings/EvidenceValue';
import type { ExportFormat } from './bindings/ExportFormat';
import type { ExportResult } from './bindings/ExportResult';
import type { FileVerification } from './bindings/FileVerification';
import type { Finding } from './bindings/Finding';
import type { Frequency } from './bindings/Frequency';
import type { GateCondition } from './bindings/GateCondition';
import type { GpuModel } from './bindings/GpuModel';
import type { GpuReading } from './bindings/GpuReading';
import type { Health } from './bindings/Health';
import type { HistoryPage } from './bindings/HistoryPage';
import type { HistoryQuery } from './bindings/HistoryQuery';
import type { HistoryRow } from './bindings/HistoryRow';
import type { HistorySort } from './bindings/HistorySort';
import type { Identity } from './bindings/Identity';
import type { IdentityApproval } from './bindings/IdentityApproval';
import type { IntakeForm } from './bindings/IntakeForm';
import type { Invalidity } from './bindings/Invalidity';
import type { IpcError } from './bindings/IpcError';
import type { Job } from './bindings/Job';
import type { JobCosts } from './bindings/JobCosts';
import type { JobDiagnostics } from './bindings/JobDiagnostics';
import type { JobEvent } from './bindings/JobEvent';
import type { JobSummary } from './bindings/JobSummary';
import type { KernelLogImport } from './bindings/KernelLogImport';
import type { LabelSize } from './bindings/LabelSize';
import type { LaborAdjustmentForm } from './bindings/LaborAdjustmentForm';
import type { Language } from './bindings/Language';
import type { LiveXid } from './bindings/LiveXid';
import type { LoadedStatusList } from './bindings/LoadedStatusList';
import type { Money } from './bindings/Money';
import type { Next } from './bindings/Next';
import type { Outcome } from './bindings/Outcome';
import type { PaperKind } from './bindings/PaperKind';
import type { PaperPreview } from './bindings/PaperPreview';
import type { Part } from './bindings/Part';
import type { PartForm } from './bindings/PartForm';
import type { PinState } from './bindings/PinState';
import type { Problem } from './bindings/Problem';
import type { Procedure } from './bindings/Procedure';
import type { ProcedureChoice } from './bindings/ProcedureChoice';
import type { ProcedureChoices } from './bindings/ProcedureChoices';
import type { ReadingChange } from './bindings/ReadingChange';
import type { ReadingValue } from './bindings/ReadingValue';
import type { RestoreReport } from './bindings/RestoreReport';
import type { RevocationReason } from './bindings/RevocationReason';
import type { RunState } from './bindings/RunState';
import type { Sample } from './bindings/Sample';
import type { ScenarioInfo } from './bindings/ScenarioInfo';
import type { Settings } from './bindings/Settings';
import type { SettingsForm } from './bindings/SettingsForm';
import type { Severity } from './bindings/Severity';
import type { ShopKeyView } from './bindings/ShopKeyView';
import type { ShopLink } from './bindings/ShopLink';
import type { ShopLinkForm } from './bindings/ShopLinkForm';
import type { Refusal } from './bindings/Refusal';
import type { RoomServer } from './bindings/RoomServer';
import type { RoomTask } from './bindings/RoomTask';
import type { Slot } from './bindings/Slot';
import type { TaskProgress } from './bindings/TaskProgress';
import type { TestRoomUpdate } from './bindings/TestRoomUpdate';
import type { SyncStatus } from './bindings/SyncStatus';
import type { ShopBench } from './bindings/ShopBench';
import type { ShopConflict } from './bindings/ShopConflict';
import type { ShopKey } from './bindings/ShopKey';
import type { Keep } from './bindings/Keep';
import type { Away } from './bindings/Away';
import type { Signature } from './bindings/Signature';
import type { SignedDocument } from './bindings/SignedDocument';
import type { Statistics } from './bindings/Statistics';
import type { Status } from './bindings/Status';
import type { Step } from './bindings/Step';
import type { StepResult } from './bindings/StepResult';
import type { GpuStressOutcome } from './bindings/GpuStressOutcome';
import type { StressEvent } from './bindings/StressEvent';
import type { StressForm } from './bindings/StressForm';
import type { StressProgress } from './bindings/StressProgress';
import type { StressRun } from './bindings/StressRun';
import type { Symptoms } from './bindings/Symptoms';
import type { Text } from './bindings/Text';
import type { Throughput } from './bindings/Throughput';
import type { TicketLabel } from './bindings/TicketLabel';
import type { Verification } from './bindings/Verification';

export type {
  Answer,
  AppInfo,
  BackupReport,
  BenchSnapshot,
  BenchView,
  Certificate,
  CertificateDocument,
  CertificateLanguage,
  CertificatePreview,
  Condition,
  Currency,
  DiagnosticRun,
  EvidenceValue,
  ExportFormat,
  ExportResult,
  FileVerification,
  Finding,
  Frequency,
  GateCondition,
  GpuModel,
  GpuReading,
  Health,
  HistoryPage,
  HistoryQuery,
  HistoryRow,
  HistorySort,
  Identity,
  IdentityApproval,
  IntakeForm,
  Invalidity,
  IpcError,
  Job,
  JobCosts,
  JobDiagnostics,
  JobEvent,
  JobSummary,
  KernelLogImport,
  LabelSize,
  LaborAdjustmentForm,
  Language,
  LiveXid,
  LoadedStatusList,
  Money,
  Next,
  Outcome,
  PaperKind,
  PaperPreview,
  Part,
  PartForm,
  PinState,
  Problem,
  Procedure,
  ProcedureChoice,
  ProcedureChoices,
  ReadingChange,
  ReadingValue,
  RestoreReport,
  RevocationReason,
  RunState,
  Sample,
  ScenarioInfo,
  Settings,
  SettingsForm,
  Severity,
  ShopKeyView,
  ShopLink,
  ShopLinkForm,
  Refusal,
  RoomServer,
  RoomTask,
  Slot,
  TaskProgress,
  TestRoomUpdate,
  SyncStatus,
  ShopBench,
  ShopConflict,
  ShopKey,
  Keep,
  Away,
  Signature,
  SignedDocument,
  Statistics,
  Status,
  Step,
  StepResult,
  StressEvent,
  StressForm,
  StressProgress,
  StressRun,
  GpuStressOutcome,
  Symptoms,
  Text,
  Throughput,
  TicketLabel,
  Verification,
};

/** Every status, in the order of the shop's flow; the compiler checks none is missing. */
export const STATUSES = [
  'intake', 'diagnosing', 'awaiting_approval', 'waiting_for_parts', 'repairing',
  'burn_in', 'qc', 'ready', 'returned', 'on_hold', 'scrapped', 'rma',
] as const satisfies readonly Status[];

export const CONDITIONS = [
  'bent_pins', 'missing_pins', 'burnt_components', 'cracked_pcb',
  'missing_screws', 'missing_seals', 'warranty_seal_broken',
] as const satisfies readonly Condition[];

export const LABEL_SIZES = ['dk62x29', 'dk62_continuous', 'label50x30', 'label100x150'] as const satisfies readonly LabelSize[];

/** True only when `Listed` names every member of `All`: a new Rust variant fails `npm run check` here. */
type Covers<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
true satisfies Covers<Status, (typeof STATUSES)[number]>;
true satisfies Covers<Condition, (typeof CONDITIONS)[number]>;
true satisfies Covers<LabelSize, (typeof LABEL_SIZES)[number]>;

export const api = {
  appInfo: () => invoke<AppInfo>('app_info'),
  listModels: () => invoke<GpuModel[]>('list_models'),
  getSettings: () => invoke<Settings>('get_settings'),
  saveSettings: (settings: SettingsForm) => invoke<Settings>('save_settings', { settings }),
  pinStates: () => invoke<PinState[]>('pin_states'),
  /** `current` is the technician's present PIN; empty when they have none yet. */
  setPin: (technician: string, current: string, pin: string) => invoke<void>('set_pin', { technician, current, pin }),
  resetPin: (technician: string, by: Signature) => invoke<void>('reset_pin', { technician, by }),
  /** `firstTechnician` names whoever takes the first card in on a bench with nobody enrolled. */
  intakeJob: (form: IntakeForm, firstTechnician: string | null) => invoke<Job>('intake_job', { form, firstTechnician }),
  shopLink: () => invoke<ShopLink | null>('shop_link'),
  saveShopLink: (form: ShopLinkForm) => invoke<ShopLink>('save_shop_link', { form }),
  forgetShopLink: () => invoke<void>('forget_shop_link'),
  /** Records this bench's finished test-room tasks into their jobs, then reads the room. */
  testRoom: () => invoke<TestRoomUpdate>('test_room'),
  /** Queues a test of a job's card on a rack server's GPU slot; answers the task's number. */
  testRoomSchedule: (jobId: number, server: string, slot: number, form: StressForm) =>
    invoke<number>('test_room_schedule', { jobId, server, slot, form }),
  /** Cancels a task this bench queued; false when it had already ended. */
  testRoomCancel: (task: number) => invoke<boolean>('test_room_cancel', { task }),
  shopBenches: () => invoke<ShopBench[]>('shop_benches'),
  /** Takes a job over from the bench holding it; answers its number on this bench. */
  shopTakeJob: (key: ShopKey) => invoke<number>('shop_take_job', { key }),
  /** Why a job does not change on this bench, if it does not. */
  jobAway: (jobId: number) => invoke<Away | null>('job_away', { jobId }),
  shopConflicts: () => invoke<ShopConflict[]>('shop_conflicts'),
  shopSettleConflict: (id: number, keep: Keep) => invoke<void>('shop_settle_conflict', { id, keep }),
  /** How the bench's pushes to the shop server go, for the status line. */
  shopSyncStatus: () => invoke<SyncStatus>('shop_sync_status'),
  listJobs: (text: string, status: Status | '') => invoke<JobSummary[]>('list_jobs', { query: { text, status } }),
  getJob: (id: number) => invoke<Job>('get_job', { id }),
  openJobsForSerial: (serial: string) => invoke<JobSummary[]>('open_jobs_for_serial', { serial }),
  jobForLabel: (scanned: string) => invoke<number | null>('job_for_label', { scanned }),
  paperPreview: (jobId: number, kind: PaperKind) => invoke<PaperPreview>('paper_preview', { jobId, kind }),
  /** A receipt or slip goes into the job's log as it will print. */
  issuePaper: (jobId: number, kind: PaperKind) => invoke<PaperPreview>('issue_paper', { jobId, kind }),
  savePaperPdf: (jobId: number, kind: PaperKind, title: string) =>
    invoke<string | null>('save_paper_pdf', { jobId, kind, title }),
  printPaper: (widthMm: number, heightMm: number) => invoke<null>('print_paper', { widthMm, heightMm }),
  changeJobStatus: (id: number, to: Status, reason: string) =>
    invoke<Job>('change_job_status', { id, change: { to, reason } }),
  benchScenarios: () => invoke<ScenarioInfo[]>('bench_scenarios'),
  /** An empty scenario connects the installed NVIDIA driver. */
  benchConnect: (scenario: string) => invoke<BenchView>('bench_connect', { scenario }),
  benchRead: () => invoke<BenchView>('bench_read'),
  /** Streams telemetry batches to `onBatch` until `benchUnwatch` or the next connection. */
  benchWatch: (intervalMs: number, onBatch: (batch: Sample[]) => void) => {
    const channel = new Channel<Sample[]>();
    channel.onmessage = onBatch;
    return invoke<void>('bench_watch', { intervalMs, channel });
  },
  benchUnwatch: () => invoke<void>('bench_unwatch'),
  benchImportKernelLog: (text: string) => invoke<KernelLogImport>('bench_import_kernel_log', { text }),
  recordDiagnostic: (jobId: number, gpuIndex: number, mismatchReason: string | null = null) =>
    invoke<DiagnosticRun>('record_diagnostic', { jobId, gpuIndex, mismatchReason }),
  approveIdentity: (jobId: number, reason: string, approver: Signature) =>
    invoke<IdentityApproval>('approve_identity', { jobId, reason, approver }),
  jobDiagnostics: (jobId: number) => invoke<JobDiagnostics>('job_diagnostics', { jobId }),
  /** Starts a stress run; `onEvent` hears its progress, then its outcomes or why it failed. */
  stressStart: (form: StressForm, onEvent: (event: StressEvent) => void) => {
    const channel = new Channel<StressEvent>();
    channel.onmessage = onEvent;
    return invoke<void>('stress_start', { form, channel });
  },
  stressCancel: () => invoke<void>('stress_cancel'),
  stressRecord: (jobId: number, gpuIndex: number, mismatchReason: string | null = null) =>
    invoke<StressRun>('stress_record', { jobId, gpuIndex, mismatchReason }),
  jobStressRuns: (jobId: number) => invoke<StressRun[]>('job_stress_runs', { jobId }),
  stressImport: (jobId: number, gpuIndex: number, text: string, mismatchReason: string | null = null) =>
    invoke<StressRun>('stress_import', { jobId, gpuIndex, text, mismatchReason }),
  procedureChoices: (jobId: number) =>
    invoke<ProcedureChoices>('procedure_choices', { jobId }),
  startProcedure: (jobId: number, procedureId: string) => invoke<RunState>('start_procedure', { jobId, procedureId }),
  procedureRuns: (jobId: number) => invoke<RunState[]>('procedure_runs', { jobId }),
  procedureRun: (runId: number) => invoke<RunState>('procedure_run', { runId }),
  /** A sign-off step needs `signature`: who signs, with their own PIN. */
  answerStep: (runId: number, stepId: string, answer: Answer, note: string, signature: Signature | null = null) =>
    invoke<RunState>('answer_step', { runId, stepId, answer, note, signature }),
  jobCosts: (jobId: number) => invoke<JobCosts>('job_costs', { jobId }),
  addPart: (jobId: number, part: PartForm) =>
    invoke<JobCosts>('add_part', { jobId, part }),
  removePart: (jobId: number, partId: number) => invoke<JobCosts>('remove_part', { jobId, partId }),
  adjustLabor: (jobId: number, adjustment: LaborAdjustmentForm) => invoke<JobCosts>('adjust_labor', { jobId, adjustment }),
  shopKey: () => invoke<ShopKeyView>('shop_key'),
  issueCertificate: (jobId: number, warrantyDays: string, language: CertificateLanguage) =>
    invoke<Certificate>('issue_certificate', { jobId, warrantyDays, language }),
  jobCertificates: (jobId: number) => invoke<Certificate[]>('job_certificates', { jobId }),
  certificatePreview: (number: string) =>
    invoke<CertificatePreview>('certificate_preview', { number }),
  /** Opens a save dialog (titled `title`) in Rust; the saved path, or null when cancelled. */
  saveCertificatePdf: (number: string, title: string) => invoke<string | null>('save_certificate_pdf', { number, title }),
  exportPublicKey: (title: string) => invoke<string | null>('export_public_key', { title }),
  revokeCertificate: (number: string, reason: RevocationReason, note: string) =>
    invoke<Certificate>('revoke_certificate', { number, reason, note }),
  exportStatusList: (title: string) => invoke<string | null>('export_status_list', { title }),
  /** An empty key checks against this shop's own. */
  /** `status`: a shop's signed status list, checked against the same key. */
  verifyCertificatePayload: (payload: string, publicKey: string, status: SignedDocument | null) =>
    invoke<Verification>('verify_certificate_payload', { payload, publicKey, status }),
  /** Opens a file dialog in Rust; null when cancelled. */
  verifyCertificateFile: (publicKey: string, title: string, status: SignedDocument | null) =>
    invoke<FileVerification | null>('verify_certificate_file', { publicKey, title, status }),
  /** A shop's status list file, chosen in a dialog; null when cancelled. */
  loadStatusList: (title: string) => invoke<LoadedStatusList | null>('load_status_list', { title }),
  /** `wholeShop`: every bench's jobs, read on the shop server. */
  historyPage: (query: HistoryQuery, offset: number, limit: number, wholeShop: boolean) =>
    invoke<HistoryPage>('history_page', { query, offset, limit, wholeShop }),
  historyCount: (query: HistoryQuery, wholeShop: boolean) => invoke<number>('history_count', { query, wholeShop }),
  historyStatistics: (query: HistoryQuery, wholeShop: boolean) => invoke<Statistics>('history_statistics', { query, wholeShop }),
  /** Asks for a file in a native dialog and exports there; `null` when the dialog was closed. */
  exportHistory: (query: HistoryQuery, wholeShop: boolean, format: ExportFormat, bom: boolean, title: string, onProgress: (rows: number) => void) => {
    const progress = new Channel<number>();
    progress.onmessage = onProgress;
    return invoke<ExportResult | null>('export_history', { query, wholeShop, format, bom, title, progress });
  },
  cancelExport: () => invoke<void>('cancel_export'),
  /** With a passphrase, the backup carries the shop's key encrypted with it. */
  backUpStore: (title: string, keyPassphrase: string | null) =>
    invoke<BackupReport | null>('back_up_store', { title, keyPassphrase }),
  /** With the backup's passphrase, its key is restored too. */
  restoreStore: (title: string, keyPassphrase: string | null) =>
    invoke<RestoreReport | null>('restore_store', { title, keyPassphrase }),
  /** Sends the photo's bytes as the raw request body; returns its SHA-256. Every action is logged
   * under the technician at the bench, whom the core knows: no name travels from here. */
  attachPhoto: (jobId: number, bytes: Uint8Array) =>
    invoke<string>('attach_photo', bytes, { headers: { 'revive-job': String(jobId) } }),
};
