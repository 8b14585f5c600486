// Typed calls to the Rust commands. The shapes mirror revive-core's serde types.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { Locale } from './i18n.svelte';

export type Status =
  | 'intake' | 'diagnosing' | 'awaiting_approval' | 'waiting_for_parts' | 'repairing'
  | 'burn_in' | 'qc' | 'ready' | 'returned' | 'on_hold' | 'scrapped' | 'rma';

export const STATUSES: Status[] = [
  'intake', 'diagnosing', 'awaiting_approval', 'waiting_for_parts', 'repairing',
  'burn_in', 'qc', 'ready', 'returned', 'on_hold', 'scrapped', 'rma',
];

export type Condition =
  | 'bent_pins' | 'missing_pins' | 'burnt_components' | 'cracked_pcb'
  | 'missing_screws' | 'missing_seals' | 'warranty_seal_broken';

export const CONDITIONS: Condition[] = [
  'bent_pins', 'missing_pins', 'burnt_components', 'cracked_pcb',
  'missing_screws', 'missing_seals', 'warranty_seal_broken',
];

export type Currency = 'CNY' | 'USD';

export interface AppInfo {
  version: string;
  dataDir: string;
  schemaVersion: number;
  storeError: IpcError | null;
}

export interface GpuModel {
  id: string;
  name: string;
  architecture: string;
  form_factor: string;
  memory_gib: number | null;
  pci_device_ids: string[];
  cooling: string;
}

export interface Settings {
  shopName: string;
  shopAddress: string;
  language: Locale;
  technicians: string[];
  currentTechnician: string | null;
  laborRate: Money | null;
}

export interface SettingsForm {
  shopName: string;
  shopAddress: string;
  language: string;
  technicians: string[];
  currentTechnician: string;
  laborRate: string;
  laborCurrency: string;
}

export interface IntakeForm {
  customerName: string;
  customerContact: string;
  modelId: string;
  boardSerial: string;
  gpuUuid: string;
  boardPartNumber: string;
  symptomObserved: string;
  symptomWhen: string;
  symptomHow: string;
  symptomFrequency: string;
  symptomChanges: string;
  conditions: Condition[];
  conditionNote: string;
  quoteAmount: string;
  quoteCurrency: Currency;
  benchLocation: string;
}

export interface Money {
  minor: number;
  currency: Currency;
}

export interface JobSummary {
  id: number;
  ticket: string;
  status: Status;
  /** Not returned, scrapped or sent for RMA. */
  open: boolean;
  customerName: string;
  modelId: string;
  boardSerial: string;
  benchLocation: string | null;
  updatedAt: string;
}

export interface JobEvent {
  at: string;
  actor: string;
  kind: string;
  detail: Record<string, unknown>;
}

export interface Job {
  id: number;
  ticket: string;
  status: Status;
  heldFrom: Status | null;
  customerName: string;
  customerContact: string;
  modelId: string;
  boardSerial: string;
  gpuUuid: string | null;
  boardPartNumber: string | null;
  symptoms: { observed: string; when: string | null; how: string | null; frequency: string | null; changes: string | null };
  conditions: Condition[];
  conditionNote: string | null;
  quote: Money;
  benchLocation: string | null;
  receivedBy: string;
  createdAt: string;
  updatedAt: string;
  next: { status: Status; reasonRequired: boolean }[];
  events: JobEvent[];
}

export interface Problem {
  kind: string;
  min?: number;
  max?: number;
}

export interface IpcError {
  code: string;
  message: string;
  field?: string;
  problem?: Problem;
  /** Which precondition is missing, for codes that have several. */
  reason?: string;
}

export type Severity = 'info' | 'warning' | 'critical';
export type LocalizedText = Record<Locale, string>;

export interface Finding {
  code: string;
  severity: Severity;
  gpuIndex: number | null;
  evidence: Record<string, unknown>;
  title: LocalizedText;
  nextStep: LocalizedText;
}

export interface Identity {
  name: string | null;
  serial: string | null;
  uuid: string | null;
  boardPartNumber: string | null;
  vbiosVersion: string | null;
  inforomImageVersion: string | null;
  inforomValid: boolean | null;
  pciDeviceId: string | null;
  busId: string | null;
  memoryTotalMib: number | null;
  architecture: string | null;
  gspFirmwareVersion: string | null;
}

export interface Health {
  temperatureC: number | null;
  memoryTemperatureC: number | null;
  slowdownC: number | null;
  powerW: number | null;
  enforcedPowerLimitW: number | null;
  smClockMhz: number | null;
  maxSmClockMhz: number | null;
  pcie: { generation: number | null; width: number | null; maxGeneration: number | null; maxWidth: number | null; replays: number | null };
  clockEventReasons: string[] | null;
  ecc: { volatileUncorrected: number; aggregateUncorrected: number } | null;
  remappedRows: { correctable: number; uncorrectable: number; pending: boolean; failure: boolean } | null;
  fanSpeedsPercent: number[] | null;
  recoveryAction: string | null;
}

export type GpuReading =
  | { state: 'present'; index: number; identity: Identity; health: Health }
  | { state: 'lost'; index: number };

export interface BenchSnapshot {
  driver: { driverVersion: string; nvmlVersion: string; cudaVersion: string };
  simulated: boolean;
  gpus: GpuReading[];
}

export interface LiveXid {
  gpuIndex: number;
  xid: number;
  atMs: number;
}

export interface BenchView {
  snapshot: BenchSnapshot;
  scenario: string | null;
  findings: Finding[];
  /** Xids the driver reported since the bench connected. */
  xids: LiveXid[];
}

/** One GPU's fast-changing values at one instant, as the sampler streams them. */
export interface Sample {
  atMs: number;
  gpu: number;
  temperatureC: number | null;
  memoryTemperatureC: number | null;
  powerW: number | null;
  smClockMhz: number | null;
  pcieGeneration: number | null;
  pcieWidth: number | null;
  /** Names of the clock-event reasons active at this instant. */
  clockEventReasons: string[];
  lost: boolean;
}

export interface ScenarioInfo {
  id: string;
  description: string;
}

export interface DiagnosticRun {
  id: number;
  jobId: number;
  gpuIndex: number;
  recordedAt: string;
  recordedBy: string;
  simulated: boolean;
  scenario: string | null;
  findings: Finding[];
}

export interface ReadingChange {
  reading: string;
  before: unknown;
  after: unknown;
}

export interface JobDiagnostics {
  runs: DiagnosticRun[];
  comparison: {
    firstRun: number;
    latestRun: number;
    cleared: string[];
    persisting: string[];
    new: string[];
    changes: ReadingChange[];
  } | null;
}

export interface KernelLogImport {
  events: number;
  findings: Finding[];
}

export interface Part {
  id: number;
  partNumber: string;
  description: string;
  quantity: number;
  unitCost: Money;
  lineTotal: Money;
  addedBy: string;
}

export interface JobCosts {
  quote: Money;
  parts: Part[];
  partsTotal: Money;
  timedSeconds: number;
  adjustments: { seconds: number; reason: string; at: string; actor: string }[];
  laborSeconds: number;
  laborRate: Money | null;
  laborTotal: Money | null;
  total: Money;
  overQuote: number;
}

export type Outcome = 'repaired' | 'needs_rma' | 'scrap';
export type Next = { goto: string } | { end: Outcome };
export type GateCondition =
  | { condition: 'run_recorded' }
  | { condition: 'no_critical_findings' }
  | { condition: 'finding_absent'; finding: string };

export type StepKind =
  | { kind: 'instruction' }
  | { kind: 'check'; on_fail: Next | null }
  | { kind: 'measurement'; unit: string; min: number | null; max: number | null; limits_source: 'nvidia' | 'board_vendor' | 'shop_practice'; on_fail: Next | null }
  | { kind: 'choice'; options: { id: string; label: LocalizedText; next: Next | null }[] }
  | { kind: 'photo'; min_photos: number }
  | { kind: 'gate'; requires: GateCondition }
  | { kind: 'sign_off'; role: 'technician' | 'approver' };

export type ProcedureStep = { id: string; title: LocalizedText; instruction: LocalizedText } & StepKind;

export interface Procedure {
  id: string;
  version: number;
  title: LocalizedText;
  summary: LocalizedText;
  steps: ProcedureStep[];
}

export interface StepResult {
  visit: number;
  stepId: string;
  answer: { kind: string; [key: string]: unknown };
  passed: boolean | null;
  note: string | null;
  actor: string;
  answeredAt: string;
  seconds: number;
}

export interface RunState {
  id: number;
  jobId: number;
  procedure: Procedure;
  startedAt: string;
  startedBy: string;
  currentStep: string | null;
  stepReachedAt: string | null;
  finishedAt: string | null;
  outcome: Outcome | null;
  results: StepResult[];
  laborSeconds: number;
}

export interface ProcedureChoice {
  id: string;
  version: number;
  title: LocalizedText;
  summary: LocalizedText;
  steps: number;
  suggested: boolean;
}

export type Answer =
  | { kind: 'confirm' }
  | { kind: 'check'; result: 'pass' | 'fail' | 'not_applicable' }
  | { kind: 'measure'; value: number }
  | { kind: 'choose'; option: string }
  | { kind: 'photos'; hashes: string[] };

export type CertificateLanguage = 'en' | 'zh_cn' | 'both';

export interface SignedDocument {
  document: string;
  sha256: string;
  signature: string;
}

export interface Certificate {
  number: string;
  jobId: number;
  issuedAt: string;
  issuedBy: string;
  signed: SignedDocument;
  publicKey: string;
  supersededBy: string | null;
}

export interface ShopKey {
  publicKey: string;
  fingerprint: string;
}

/** The signed content, as far as the Verify screen shows it. */
export interface CertificateDocument {
  number: string;
  issuedAt: string;
  supersedes: string | null;
  shop: { name: string; address: string };
  ticket: string;
  customer: string;
  gpu: { modelName: string; serial: string; uuid: string | null };
  technician: string;
  approver: string;
  warrantyDays: number;
  simulated: boolean;
}

export type Invalidity =
  | 'public_key_malformed' | 'not_canonical' | 'number_missing' | 'hash_mismatch' | 'signature_malformed'
  | 'signature_mismatch' | 'payload_malformed' | 'not_a_certificate' | 'no_embedded_certificate';

export interface Verification {
  valid: boolean;
  reason: Invalidity | null;
  number: string | null;
  sha256: string | null;
  keyFingerprint: string | null;
  document: CertificateDocument | null;
  supersededBy: string | null;
}

export type HistorySort = 'received' | 'ticket' | 'customer' | 'model' | 'status' | 'updated';

/** What the history shows: empty strings mean "any". Mirrors revive-core's `HistoryQuery`. */
export interface HistoryQuery {
  text: string;
  from: string;
  to: string;
  status: Status | '';
  model: string;
  customer: string;
  technician: string;
  outcome: '' | 'open' | 'returned' | 'scrapped' | 'rma';
  certificate: '' | 'yes' | 'no';
  /** Minutes east of UTC: the dates are the technician's local days. */
  utcOffsetMinutes: number;
  sort: HistorySort;
  descending: boolean;
}

export interface HistoryRow {
  id: number;
  ticket: string;
  status: Status;
  createdAt: string;
  updatedAt: string;
  customer: string;
  modelId: string;
  boardSerial: string;
  gpuUuid: string | null;
  receivedBy: string;
  quote: Money;
  certificate: string | null;
}

export interface HistoryPage {
  /** Exact when `exact`, else a lower bound ("more than"). */
  total: number;
  exact: boolean;
  offset: number;
  rows: HistoryRow[];
}

export interface Frequency {
  code: string;
  title: LocalizedText | null;
  jobs: number;
}

export interface Statistics {
  months: { month: string; received: number; returned: number; revenue: Money[] }[];
  models: { modelId: string; ended: Partial<Record<Status, number>>; open: number }[];
  findings: Frequency[];
  xids: Frequency[];
  turnaround: { returned: number; medianHours: number | null };
  technicians: { technician: string; received: number; closed: number }[];
}

export type ExportFormat = 'csv' | 'xlsx' | 'json';

export interface ExportResult {
  file: string;
  rows: number;
  /** False: cancelled, no file left. */
  complete: boolean;
}

export const api = {
  appInfo: () => invoke<AppInfo>('app_info'),
  listModels: () => invoke<GpuModel[]>('list_models'),
  getSettings: () => invoke<Settings>('get_settings'),
  saveSettings: (settings: SettingsForm) => invoke<Settings>('save_settings', { settings }),
  /** `firstTechnician` names whoever takes the first card in on a bench with nobody enrolled. */
  intakeJob: (form: IntakeForm, firstTechnician: string | null) => invoke<Job>('intake_job', { form, firstTechnician }),
  listJobs: (text: string, status: Status | '') => invoke<JobSummary[]>('list_jobs', { query: { text, status } }),
  getJob: (id: number) => invoke<Job>('get_job', { id }),
  openJobsForSerial: (serial: string) => invoke<JobSummary[]>('open_jobs_for_serial', { serial }),
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
  recordDiagnostic: (jobId: number, gpuIndex: number) => invoke<DiagnosticRun>('record_diagnostic', { jobId, gpuIndex }),
  jobDiagnostics: (jobId: number) => invoke<JobDiagnostics>('job_diagnostics', { jobId }),
  procedureChoices: (jobId: number) =>
    invoke<{ procedures: ProcedureChoice[]; errors: { file: string; line: number; message: string }[] }>('procedure_choices', { jobId }),
  startProcedure: (jobId: number, procedureId: string) => invoke<RunState>('start_procedure', { jobId, procedureId }),
  procedureRuns: (jobId: number) => invoke<RunState[]>('procedure_runs', { jobId }),
  procedureRun: (runId: number) => invoke<RunState>('procedure_run', { runId }),
  answerStep: (runId: number, stepId: string, answer: Answer, note: string) =>
    invoke<RunState>('answer_step', { runId, stepId, answer, note }),
  jobCosts: (jobId: number) => invoke<JobCosts>('job_costs', { jobId }),
  addPart: (jobId: number, part: { partNumber: string; description: string; quantity: string; unitCost: string }) =>
    invoke<JobCosts>('add_part', { jobId, part }),
  removePart: (jobId: number, partId: number) => invoke<JobCosts>('remove_part', { jobId, partId }),
  adjustLabor: (jobId: number, minutes: string, reason: string) =>
    invoke<JobCosts>('adjust_labor', { jobId, adjustment: { minutes, reason } }),
  shopKey: () => invoke<ShopKey>('shop_key'),
  issueCertificate: (jobId: number, warrantyDays: string, language: CertificateLanguage) =>
    invoke<Certificate>('issue_certificate', { jobId, warrantyDays, language }),
  jobCertificates: (jobId: number) => invoke<Certificate[]>('job_certificates', { jobId }),
  certificatePreview: (number: string) =>
    invoke<{ certificate: Certificate; svg: string }>('certificate_preview', { number }),
  /** Opens a save dialog (titled `title`) in Rust; the saved path, or null when cancelled. */
  saveCertificatePdf: (number: string, title: string) => invoke<string | null>('save_certificate_pdf', { number, title }),
  exportPublicKey: (title: string) => invoke<string | null>('export_public_key', { title }),
  /** An empty key checks against this shop's own. */
  verifyCertificatePayload: (payload: string, publicKey: string) =>
    invoke<Verification>('verify_certificate_payload', { payload, publicKey }),
  /** Opens a file dialog in Rust; null when cancelled. */
  verifyCertificateFile: (publicKey: string, title: string) =>
    invoke<{ file: string; verification: Verification } | null>('verify_certificate_file', { publicKey, title }),
  historyPage: (query: HistoryQuery, offset: number, limit: number) =>
    invoke<HistoryPage>('history_page', { query, offset, limit }),
  historyCount: (query: HistoryQuery) => invoke<number>('history_count', { query }),
  historyStatistics: (query: HistoryQuery) => invoke<Statistics>('history_statistics', { query }),
  /** Asks for a file in a native dialog and exports there; `null` when the dialog was closed. */
  exportHistory: (query: HistoryQuery, format: ExportFormat, bom: boolean, title: string, onProgress: (rows: number) => void) => {
    const progress = new Channel<number>();
    progress.onmessage = onProgress;
    return invoke<ExportResult | null>('export_history', { query, format, bom, title, progress });
  },
  cancelExport: () => invoke<void>('cancel_export'),
  backUpStore: (title: string) => invoke<string | null>('back_up_store', { title }),
  restoreStore: (title: string) => invoke<string | null>('restore_store', { title }),
  /** Sends the photo's bytes as the raw request body; returns its SHA-256. Every action is logged
   * under the technician at the bench, whom the core knows: no name travels from here. */
  attachPhoto: (jobId: number, bytes: Uint8Array) =>
    invoke<string>('attach_photo', bytes, { headers: { 'revive-job': String(jobId) } }),
};
