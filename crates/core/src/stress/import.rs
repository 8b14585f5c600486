//! Results of the burn-in and diagnostic tools shops already run, NVIDIA's `dcgmi diag -j` and
//! gpu-burn, read into one shape so a card tested on a customer's rig or the shop's own rack
//! counts as evidence next to Revive's own runs.
//!
//! The files are whatever a person picks: truncated, concatenated, captured from a terminal or a
//! pipe, or not what they claim to be. Each parser refuses what it cannot read rather than guess a
//! pass, and keeps every "not a pass" the tool said (a skipped test stays skipped).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Far above any real output (an hour of gpu-burn on two GPUs piped to a file is a few hundred
/// KiB), so a wrong pick (a disk image, a video) is refused before it is read.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;
/// More than any one host holds; DCGM handles at most 32.
const MAX_GPUS: usize = 64;
/// Different test names in one run; a DCGM run has about twenty.
const MAX_TESTS: usize = 256;
/// A warning longer than this says nothing more a technician reads.
const MAX_DETAIL_CHARS: usize = 500;
const GPU_BURN_TEST: &str = "gpu_burn";
/// The GPU entity group in DCGM's entity results (`DCGM_FE_GPU`).
const DCGM_GPU_GROUP_ID: u64 = 1;

/// One imported run of an outside tool: which tool said so, and what it said of each GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportedRun {
    pub tool: ImportedTool,
    pub gpus: Vec<ImportedGpu>,
}

/// The tool and how it was run, as far as its output tells: the same verdict weighs differently
/// after fifteen minutes of DCGM level 3 than after an hour of gpu-burn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "tool", rename_all_fields = "camelCase")]
pub enum ImportedTool {
    /// `dcgmi diag -r N -j`
    Dcgmi {
        /// The run level (`-r`). No DCGM version writes it into its JSON, so an import leaves it
        /// empty; whoever knows the command line may fill it in.
        level: Option<u8>,
        /// DCGM's version, which decides the test names and thresholds.
        version: Option<String>,
    },
    /// gpu-burn's text output
    GpuBurn {
        /// The run length it was asked for (`Burning for N seconds.`).
        seconds: Option<u64>,
        /// `-tc`. Only the workers say so, and a worker's lines are lost when gpu-burn's output was
        /// piped, so false can also mean "not told".
        tensor_cores: bool,
        /// `-d`, with the same caveat as `tensor_cores`.
        doubles: bool,
    },
}

/// What a tool said of one GPU, keyed by the index the tool used (the host's CUDA/NVML order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportedGpu {
    pub gpu_index: u32,
    /// The board serial when the tool printed a real one; ties the result to a card on the bench.
    pub serial: Option<String>,
    pub tests: Vec<ImportedTest>,
}

/// One test's result on one GPU, in the tool's own test name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportedTest {
    pub name: String,
    pub outcome: TestOutcome,
    /// The tool's first warning (or else its information) for this GPU, at most 500 characters:
    /// what a technician reads to decide what to look at.
    pub detail: Option<String>,
    /// Miscomputed results counted over the whole run (gpu-burn); none where the tool counts none
    /// or the count is lost (a dead worker's is garbage).
    pub errors: Option<u64>,
    /// Throughput the tool measured, a weak card or a throttling cooler shows here.
    pub gflops: Option<f64>,
}

/// A test's result. A skip or a run that never finished is not a pass, and is kept apart from one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    Pass,
    Fail,
    Warn,
    Skip,
    NotRun,
}

/// Why a file was not imported, in words the person who picked it can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportProblem {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max} bytes, more than these tools write")]
    TooLarge { max: usize },
    /// A wrong pick (an archive, a screenshot), or a text file saved in an encoding other than UTF-8.
    #[error("the file is binary, not a tool's text output")]
    Binary,
    #[error("not the JSON of `dcgmi diag -j`: {0}")]
    NotDcgmiJson(String),
    /// dcgmi wrote its JSON, but only to say the diagnostic could not start.
    #[error("dcgmi diag did not run: {0}")]
    DcgmiDidNotRun(String),
    #[error("not the output of gpu-burn")]
    NotGpuBurnOutput,
    #[error("{0:?} is not a GPU number")]
    BadGpuId(String),
    #[error("{0:?} is not a test result dcgmi writes")]
    UnknownStatus(String),
    /// Nothing to attach a result to: no GPU id, no serial list, no progress line.
    #[error("the output names no GPU")]
    NoGpus,
    #[error("the output names more than {max} GPUs")]
    TooManyGpus { max: usize },
    #[error("the output holds more than {max} different tests")]
    TooManyTests { max: usize },
    /// Two runs appended to one file, or a corrupted one: no single verdict can be read from it.
    #[error("the output contradicts itself: {0}")]
    Inconsistent(String),
}

/// Reads the JSON of `dcgmi diag -j`: DCGM 3.x (`"DCGM GPU Diagnostic"`, results by `gpu_id`,
/// serials under `"GPU Device Serials"`), DCGM 4.x (`"DCGM Diagnostic"`, results by entity,
/// serials under `"entity_groups"`), nvvs's own output (`gpu_ids`) and `--iterations` runs, whose
/// iterations fold into one result per test, the worst one.
pub fn parse_dcgmi_diag(text: &str) -> Result<ImportedRun, ImportProblem> {
    let text = checked(text)?;
    let start = json_start(text).ok_or_else(|| not_dcgmi("there is no JSON object in the file"))?;
    // Text around the object (a line dcgmi printed first, a shell prompt after) is not the result.
    let root = serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<Value>()
        .next()
        .ok_or_else(|| not_dcgmi("there is no JSON object in the file"))?
        .map_err(|error| not_dcgmi(&format!("the JSON does not parse ({error})")))?;
    let root = root.as_object().ok_or_else(|| not_dcgmi("the JSON is not an object"))?;
    let mut import = DcgmiImport::default();
    match root.get("iterations").and_then(Value::as_array) {
        Some(iterations) => {
            for iteration in iterations.iter().filter_map(Value::as_object) {
                import.document(iteration)?;
            }
            if import.documents == 0 {
                return Err(not_dcgmi("no iteration holds results"));
            }
        }
        None => import.document(root)?,
    }
    // Over iterations dcgmi also says how the whole ended, which an aborted iteration may not show.
    if let Some(status) = root.get("Overall Result").and_then(Value::as_str) {
        let detail = root.get("warning").and_then(Value::as_str).and_then(clip);
        import.add(
            Target::All,
            ImportedTest {
                name: "Overall Result".to_owned(),
                outcome: outcome(status)?,
                detail,
                errors: None,
                gflops: None,
            },
        )?;
    }
    import.finish()
}

/// Reads gpu-burn's output as a terminal or a pipe captured it (progress redrawn with `\r`, stderr
/// mixed in). Its exit status is always 0, so this text is the only verdict: a GPU with any
/// miscomputed result or a dead worker fails, whatever the summary says; a GPU the summary does not
/// list (the run was cut short) did not finish.
pub fn parse_gpu_burn(text: &str) -> Result<ImportedRun, ImportProblem> {
    let text = checked(text)?;
    let mut log = BurnLog::default();
    for line in text.split(['\r', '\n']) {
        log.line(line.trim())?;
    }
    log.finish()
}

/// Tells the two apart from the text itself (JSON object → dcgmi, else gpu-burn), for a file a person picks.
pub fn parse_any(text: &str) -> Result<ImportedRun, ImportProblem> {
    if json_start(checked(text)?).is_some() {
        parse_dcgmi_diag(text)
    } else {
        parse_gpu_burn(text)
    }
}

/// What every input must pass first; returns the text without a byte-order mark.
fn checked(text: &str) -> Result<&str, ImportProblem> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportProblem::TooLarge { max: MAX_IMPORT_BYTES });
    }
    // NUL never appears in these tools' text; U+FFFD is what a non-UTF-8 file was decoded into.
    if text.contains(['\0', '\u{FFFD}']) {
        return Err(ImportProblem::Binary);
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ImportProblem::Empty);
    }
    Ok(text)
}

/// Where the first line that opens a JSON object starts.
fn json_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_start();
        if content.starts_with('{') {
            return Some(offset + line.len() - content.len());
        }
        offset += line.len();
    }
    None
}

fn not_dcgmi(why: &str) -> ImportProblem {
    ImportProblem::NotDcgmiJson(why.to_owned())
}

/// Trimmed and cut to [`MAX_DETAIL_CHARS`]; none when nothing is left.
fn clip(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAX_DETAIL_CHARS).collect())
}

/// A GPU number as the tools print it: ASCII digits only (no sign, no full-width digits).
fn parse_index(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A count as gpu-burn prints it with `%d`: ASCII digits, perhaps negative.
fn parse_count(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A throughput, or none where the tool printed `nan`, `inf` or something negative.
fn parse_gflops(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|gflops| gflops.is_finite() && *gflops >= 0.0)
}

/// How bad an outcome is, to keep the worst when one test is reported more than once.
fn severity(outcome: TestOutcome) -> u8 {
    match outcome {
        TestOutcome::Pass => 0,
        TestOutcome::NotRun => 1,
        TestOutcome::Skip => 2,
        TestOutcome::Warn => 3,
        TestOutcome::Fail => 4,
    }
}

/// dcgmi writes "Pass", "Fail", "Warn", "Skip" and "Not Run"; nvvs writes them in capitals.
fn outcome(status: &str) -> Result<TestOutcome, ImportProblem> {
    let key: String = status.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    match key.as_str() {
        "pass" | "passed" => Ok(TestOutcome::Pass),
        "fail" | "failed" => Ok(TestOutcome::Fail),
        "warn" | "warning" => Ok(TestOutcome::Warn),
        "skip" | "skipped" => Ok(TestOutcome::Skip),
        "notrun" => Ok(TestOutcome::NotRun),
        _ => Err(ImportProblem::UnknownStatus(status.chars().take(MAX_DETAIL_CHARS).collect())),
    }
}

/// Tests in the order they first appear; one reported again (another iteration, a repeated entry)
/// keeps its worse outcome.
#[derive(Debug, Default)]
struct Tests {
    list: Vec<ImportedTest>,
    by_name: HashMap<String, usize>,
}

impl Tests {
    fn add(&mut self, test: ImportedTest) -> Result<(), ImportProblem> {
        match self.by_name.get(&test.name).and_then(|&at| self.list.get_mut(at)) {
            Some(known) => {
                if severity(test.outcome) > severity(known.outcome) {
                    *known = test;
                }
            }
            None => {
                if self.list.len() >= MAX_TESTS {
                    return Err(ImportProblem::TooManyTests { max: MAX_TESTS });
                }
                self.by_name.insert(test.name.clone(), self.list.len());
                self.list.push(test);
            }
        }
        Ok(())
    }
}

/// Which GPUs a dcgmi result speaks of.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A result without a GPU (a software check, a test summary): it holds for every GPU listed.
    All,
    Gpu(u32),
}

#[derive(Debug, Default)]
struct DcgmiImport {
    version: Option<String>,
    /// Every GPU the output names, with its serial where DCGM could read one.
    gpus: BTreeMap<u32, Option<String>>,
    all: Tests,
    per_gpu: BTreeMap<u32, Tests>,
    /// The order tests first appear in, so each GPU lists them as dcgmi did.
    order: HashMap<String, usize>,
    documents: usize,
}

impl DcgmiImport {
    /// One diagnostic's output: the whole file, or one of its iterations.
    fn document(&mut self, doc: &Map<String, Value>) -> Result<(), ImportProblem> {
        let diag = ["DCGM Diagnostic", "DCGM GPU Diagnostic"]
            .iter()
            .find_map(|key| doc.get(*key))
            .and_then(Value::as_object)
            .ok_or_else(|| not_dcgmi("it has no \"DCGM Diagnostic\" section"))?;
        if let Some(error) = diag.get("runtime_error").and_then(Value::as_str) {
            return Err(ImportProblem::DcgmiDidNotRun(clip(error).unwrap_or_default()));
        }
        let categories = diag
            .get("test_categories")
            .and_then(Value::as_array)
            .ok_or_else(|| not_dcgmi("its \"DCGM Diagnostic\" section has no test_categories"))?;
        if self.version.is_none() {
            let places = [
                doc.get("metadata").and_then(|metadata| metadata.get("version")),
                doc.get("version"),
                diag.get("version"),
            ];
            self.version = places.into_iter().flatten().find_map(Value::as_str).and_then(clip);
        }
        if let Some(groups) = doc.get("entity_groups").and_then(Value::as_array) {
            for group in groups.iter().filter_map(Value::as_object).filter(|group| is_gpu_group(group)) {
                for entity in
                    group.get("entities").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object)
                {
                    let id = entity.get("entity_id").ok_or_else(|| not_dcgmi("an entity has no entity_id"))?;
                    self.gpu(gpu_id(id)?, entity.get("serial_num"))?;
                }
            }
        }
        for serials in [doc.get("GPU Device Serials"), diag.get("GPU Device Serials")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
        {
            for (id, serial) in serials {
                let id = parse_index(id.trim()).ok_or_else(|| ImportProblem::BadGpuId(id.clone()))?;
                self.gpu(id, Some(serial))?;
            }
        }
        // nvvs leaves nulls in its arrays where a GPU or test is missing: skip anything not an object.
        for category in categories.iter().filter_map(Value::as_object) {
            for test in
                category.get("tests").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object)
            {
                self.test(test)?;
            }
        }
        self.documents += 1;
        Ok(())
    }

    fn test(&mut self, test: &Map<String, Value>) -> Result<(), ImportProblem> {
        let name =
            test.get("name").and_then(Value::as_str).and_then(clip).ok_or_else(|| not_dcgmi("a test has no name"))?;
        let results: Vec<&Map<String, Value>> =
            test.get("results").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object).collect();
        if results.is_empty() {
            // DCGM 4 may give only the test's summary; it holds for every GPU.
            if let Some(summary) = test.get("test_summary").and_then(Value::as_object) {
                self.add(Target::All, result_test(&name, summary)?)?;
            }
            return Ok(());
        }
        for result in results {
            let imported = result_test(&name, result)?;
            for target in targets(result)? {
                self.add(target, imported.clone())?;
            }
        }
        Ok(())
    }

    fn add(&mut self, target: Target, test: ImportedTest) -> Result<(), ImportProblem> {
        let next = self.order.len();
        self.order.entry(test.name.clone()).or_insert(next);
        match target {
            Target::All => self.all.add(test),
            Target::Gpu(id) => {
                self.gpu(id, None)?;
                self.per_gpu.entry(id).or_default().add(test)
            }
        }
    }

    /// Notes a GPU the output names; a serial DCGM could not read (`<<<NOT_SUPPORTED>>>`) is none.
    fn gpu(&mut self, id: u32, serial: Option<&Value>) -> Result<(), ImportProblem> {
        let serial = serial
            .and_then(Value::as_str)
            .filter(|s| !(s.trim().starts_with("<<<") && s.trim().ends_with(">>>")))
            .and_then(clip);
        if !self.gpus.contains_key(&id) && self.gpus.len() >= MAX_GPUS {
            return Err(ImportProblem::TooManyGpus { max: MAX_GPUS });
        }
        let known = self.gpus.entry(id).or_default();
        match (known.as_deref(), serial) {
            (Some(old), Some(new)) if old != new => {
                Err(ImportProblem::Inconsistent(format!("GPU {id} has two serial numbers, {old} and {new}")))
            }
            (None, Some(new)) => {
                *known = Some(new);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn finish(mut self) -> Result<ImportedRun, ImportProblem> {
        if self.gpus.is_empty() {
            return Err(ImportProblem::NoGpus);
        }
        let mut gpus = Vec::with_capacity(self.gpus.len());
        for (gpu_index, serial) in self.gpus {
            let mut tests = Tests::default();
            for test in self
                .all
                .list
                .iter()
                .cloned()
                .chain(self.per_gpu.remove(&gpu_index).map(|own| own.list).into_iter().flatten())
            {
                tests.add(test)?;
            }
            let mut tests = tests.list;
            tests.sort_by_key(|test| self.order.get(&test.name).copied().unwrap_or(usize::MAX));
            gpus.push(ImportedGpu { gpu_index, serial, tests });
        }
        Ok(ImportedRun { tool: ImportedTool::Dcgmi { level: None, version: self.version }, gpus })
    }
}

/// One result entry as a test; dcgmi's detail is its first warning, or else its information.
fn result_test(name: &str, result: &Map<String, Value>) -> Result<ImportedTest, ImportProblem> {
    let status = result
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| not_dcgmi(&format!("a result of test {name:?} has no status")))?;
    let warnings = messages(result.get("warnings"));
    let info = messages(result.get("info"));
    Ok(ImportedTest {
        name: name.to_owned(),
        outcome: outcome(status)?,
        detail: warnings.iter().chain(&info).find_map(|message| clip(message)),
        errors: None,
        // The diagnostic test states the throughput it reached as information.
        gflops: info.iter().find_map(|message| gigaflops(message)),
    })
}

/// Messages of `warnings` or `info`: a string, strings, or objects holding the text under
/// "warning" (DCGM 3.x deployment checks wrote it under "warnings").
fn messages(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(text)) => vec![text],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(text) => Some(text.as_str()),
                Value::Object(entry) => entry.get("warning").or_else(|| entry.get("warnings")).and_then(Value::as_str),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// "GPU 0 calculated at approximately 12961.59 gigaflops during this test"
fn gigaflops(info: &str) -> Option<f64> {
    let (_, rest) = info.split_once("calculated at approximately ")?;
    let (number, _) = rest.split_once(" gigaflops")?;
    parse_gflops(number.trim())
}

/// The GPUs a result speaks of: its entity (4.x), its `gpu_ids` (nvvs) or its `gpu_id` (3.x);
/// none for another kind of entity (a CPU, a switch); all when it names none.
fn targets(result: &Map<String, Value>) -> Result<Vec<Target>, ImportProblem> {
    if ["entity_id", "entity_group", "entity_group_id"].iter().any(|key| result.contains_key(*key)) {
        if !is_gpu_group(result) {
            return Ok(Vec::new());
        }
        let id = result.get("entity_id").ok_or_else(|| not_dcgmi("an entity result has no entity_id"))?;
        return Ok(vec![Target::Gpu(gpu_id(id)?)]);
    }
    if let Some(ids) = result.get("gpu_ids") {
        let ids: Vec<u32> = match ids {
            Value::String(list) => list
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| parse_index(id).ok_or_else(|| ImportProblem::BadGpuId(id.to_owned())))
                .collect::<Result<_, _>>()?,
            Value::Array(list) => list.iter().map(gpu_id).collect::<Result<_, _>>()?,
            single => vec![gpu_id(single)?],
        };
        return Ok(if ids.is_empty() { vec![Target::All] } else { ids.into_iter().map(Target::Gpu).collect() });
    }
    match result.get("gpu_id") {
        // DCGM 3.x marks an error that concerns every GPU with the id -1.
        Some(id) if id.as_i64() == Some(-1) || id.as_str().map(str::trim) == Some("-1") => Ok(vec![Target::All]),
        Some(id) => Ok(vec![Target::Gpu(gpu_id(id)?)]),
        None => Ok(vec![Target::All]),
    }
}

/// Whether an entity (group) is a GPU; an entity that does not say is taken for one.
fn is_gpu_group(entity: &Map<String, Value>) -> bool {
    match (entity.get("entity_group").and_then(Value::as_str), entity.get("entity_group_id")) {
        (Some(group), _) => group.trim().eq_ignore_ascii_case("GPU"),
        (None, Some(id)) => id.as_u64() == Some(DCGM_GPU_GROUP_ID),
        (None, None) => true,
    }
}

/// A GPU id as DCGM writes it: a number, or a number in a string.
fn gpu_id(value: &Value) -> Result<u32, ImportProblem> {
    let id = match value {
        Value::Number(number) => number.as_u64().and_then(|id| u32::try_from(id).ok()),
        Value::String(text) => parse_index(text.trim()),
        _ => None,
    };
    id.ok_or_else(|| {
        let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        ImportProblem::BadGpuId(shown.chars().take(MAX_DETAIL_CHARS).collect())
    })
}

/// One GPU's figures on one gpu-burn progress line.
#[derive(Debug, Clone, Copy)]
struct Figure {
    gflops: Option<f64>,
    errors: i64,
    /// gpu-burn prints the iteration count -1 and "(DIED!)" once a worker is gone; the error count
    /// of a dead worker takes its -1 marker and, after, whatever a failed read left.
    died: bool,
}

/// `12345 (27832 Gflop/s) - 12345 (27832 Gflop/s)   errors: 0 - 3  (WARNING!)   temps: 65 C - 66 C`:
/// none when the line is cut or garbled.
fn progress_figures(line: &str) -> Option<Vec<Figure>> {
    let (_, rest) = line.split_once("proc'd:")?;
    let (done, rest) = rest.split_once("errors:")?;
    // The temperatures close the line: without them the errors may be cut mid-number.
    let (errors, _) = rest.split_once("temps:")?;
    let done = done_figures(done)?;
    let errors = error_figures(errors)?;
    if done.len() != errors.len() {
        return None;
    }
    Some(
        done.into_iter()
            .zip(errors)
            .map(|((iterations, gflops), (errors, died))| Figure {
                gflops,
                errors,
                died: died || iterations < 0 || errors < 0,
            })
            .collect(),
    )
}

/// `N (X Gflop/s)` per GPU, separated by ` - `; N may be -1.
fn done_figures(section: &str) -> Option<Vec<(i64, Option<f64>)>> {
    let mut figures = Vec::new();
    let mut tokens = section.split_whitespace();
    loop {
        let iterations = parse_count(tokens.next()?)?;
        let gflops = tokens.next()?.strip_prefix('(')?;
        if tokens.next()? != "Gflop/s)" {
            return None;
        }
        figures.push((iterations, parse_gflops(gflops)));
        match tokens.next() {
            None => return Some(figures),
            Some("-") => {}
            Some(_) => return None,
        }
    }
}

/// `E` per GPU, perhaps followed by ` (WARNING!)` or ` (DIED!)`, separated by `- ` (which then
/// follows the note without a space: `0  (DIED!)- 3`).
fn error_figures(section: &str) -> Option<Vec<(i64, bool)>> {
    let mut figures: Vec<(i64, bool)> = Vec::new();
    let mut expect_figure = true;
    for token in section.split_whitespace() {
        let (word, separator) = match token.strip_suffix('-') {
            Some(word) => (word, true),
            None => (token, false),
        };
        match word {
            "" => {}
            "(DIED!)" if !expect_figure => figures.last_mut()?.1 = true,
            "(WARNING!)" if !expect_figure => {}
            _ if expect_figure => {
                figures.push((parse_count(word)?, false));
                expect_figure = false;
            }
            _ => return None,
        }
        if separator {
            if expect_figure {
                return None;
            }
            expect_figure = true;
        }
    }
    (!expect_figure).then_some(figures)
}

/// A gpu-burn log read line by line (a `\r` redraw counts as a line).
#[derive(Debug, Default)]
struct BurnLog {
    /// Saw something only gpu-burn prints.
    recognised: bool,
    seconds: Option<u64>,
    tensor_cores: bool,
    doubles: bool,
    /// Devices workers said they initialised, in order, each once.
    devices: Vec<u32>,
    /// The last complete progress line.
    last: Option<Vec<Figure>>,
    /// The errors of the interval not yet closed: gpu-burn zeroes its counts at each "Summary at".
    interval: Option<Vec<i64>>,
    /// Errors of the closed intervals, per GPU.
    errors: Vec<u64>,
    died: Vec<bool>,
    /// `Tested N GPUs:`
    tested: Option<usize>,
    /// FAULTY (true) or OK per GPU of the summary.
    faulty: BTreeMap<usize, bool>,
}

impl BurnLog {
    fn line(&mut self, line: &str) -> Result<(), ImportProblem> {
        let starts_run =
            line.contains("proc'd:") || line.contains("Using compare file:") || line.starts_with("Burning for ");
        if starts_run && self.tested.is_some() {
            return Err(ImportProblem::Inconsistent("the file holds more than one gpu-burn run".to_owned()));
        }
        if line.contains("proc'd:") {
            // A cut or garbled redraw is noise; the one before it still counts.
            if let Some(figures) = progress_figures(line) {
                self.progress(figures)?;
            }
        } else if let Some(rest) = line.strip_prefix("Burning for ") {
            self.recognised = true;
            let seconds = rest.strip_suffix(" seconds.").and_then(parse_index).map(u64::from);
            match (self.seconds, seconds) {
                // A dying worker flushes its copy of the header, so the line may come twice.
                (Some(old), Some(new)) if old != new => {
                    return Err(ImportProblem::Inconsistent(format!("it burns for {old} and for {new} seconds")));
                }
                (None, _) => self.seconds = seconds,
                _ => {}
            }
        } else if line.contains("Using compare file:") {
            self.recognised = true;
        } else if let Some((_, rest)) = line.split_once("Initialized device ") {
            self.recognised = true;
            self.initialized(rest)?;
        } else if line.starts_with("Summary at:") {
            self.close_interval();
        } else if let Some(count) = line.strip_prefix("Tested ").and_then(|rest| rest.strip_suffix(" GPUs:")) {
            self.recognised = true;
            // A full-width or signed count is not gpu-burn's: the summary is ignored, not guessed.
            if let Some(count) = parse_index(count) {
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                if count > MAX_GPUS {
                    return Err(ImportProblem::TooManyGpus { max: MAX_GPUS });
                }
                self.tested = Some(count);
            }
        } else if let (Some(count), Some(rest)) = (self.tested, line.strip_prefix("GPU ")) {
            self.verdict(count, rest)?;
        }
        Ok(())
    }

    fn progress(&mut self, figures: Vec<Figure>) -> Result<(), ImportProblem> {
        self.recognised = true;
        match self.last.as_ref().map(Vec::len) {
            Some(count) if count != figures.len() => {
                return Err(ImportProblem::Inconsistent(format!(
                    "progress lines show {count} and {} GPUs",
                    figures.len()
                )));
            }
            Some(_) => {}
            None => {
                if figures.len() > MAX_GPUS {
                    return Err(ImportProblem::TooManyGpus { max: MAX_GPUS });
                }
                self.errors = vec![0; figures.len()];
                self.died = vec![false; figures.len()];
            }
        }
        for (died, figure) in self.died.iter_mut().zip(&figures) {
            *died |= figure.died;
        }
        self.interval = Some(figures.iter().map(|figure| figure.errors).collect());
        self.last = Some(figures);
        Ok(())
    }

    /// `Initialized device 0 with 48677 MB of memory (…), using FLOATS, using Tensor Cores`
    fn initialized(&mut self, rest: &str) -> Result<(), ImportProblem> {
        let lower = rest.to_ascii_lowercase();
        self.tensor_cores |= lower.contains("using tensor cores");
        self.doubles |= lower.contains("using doubles");
        if let Some(device) = rest.split_once(" with").and_then(|(device, _)| parse_index(device.trim())) {
            if !self.devices.contains(&device) {
                if self.devices.len() >= MAX_GPUS {
                    return Err(ImportProblem::TooManyGpus { max: MAX_GPUS });
                }
                self.devices.push(device);
            }
        }
        Ok(())
    }

    fn close_interval(&mut self) {
        if let Some(interval) = self.interval.take() {
            for (total, errors) in self.errors.iter_mut().zip(interval) {
                *total = total.saturating_add(u64::try_from(errors).unwrap_or(0));
            }
        }
    }

    /// `GPU 1: FAULTY` under `Tested N GPUs:`.
    fn verdict(&mut self, count: usize, rest: &str) -> Result<(), ImportProblem> {
        let Some((index, verdict)) = rest.split_once(": ") else { return Ok(()) };
        let faulty = match verdict.trim() {
            "OK" => false,
            "FAULTY" => true,
            _ => return Ok(()),
        };
        let Some(index) = parse_index(index).map(|index| usize::try_from(index).unwrap_or(usize::MAX)) else {
            return Ok(());
        };
        if index >= count {
            return Err(ImportProblem::Inconsistent(format!("GPU {index} in a summary of {count} GPUs")));
        }
        // A GPU listed twice: FAULTY once is enough.
        *self.faulty.entry(index).or_default() |= faulty;
        Ok(())
    }

    fn finish(mut self) -> Result<ImportedRun, ImportProblem> {
        self.close_interval();
        if !self.recognised {
            return Err(ImportProblem::NotGpuBurnOutput);
        }
        let shown = self.last.as_ref().map(Vec::len);
        let count = match (shown, self.tested) {
            (Some(shown), Some(tested)) if shown != tested => {
                return Err(ImportProblem::Inconsistent(format!(
                    "the summary tests {tested} GPUs, the progress lines show {shown}"
                )));
            }
            (Some(count), _) | (None, Some(count)) => count,
            (None, None) => self.devices.len(),
        };
        if count == 0 {
            return Err(ImportProblem::NoGpus);
        }
        // `gpu_burn -i N` burns device N alone, and its one worker says which device it is.
        let single_device = match self.devices.as_slice() {
            [device] if count == 1 => Some(*device),
            _ => None,
        };
        let mut gpus = Vec::with_capacity(count);
        for (position, gpu_index) in (0..count).zip(0u32..) {
            let figure = self.last.as_ref().and_then(|figures| figures.get(position));
            let died = self.died.get(position).copied().unwrap_or(false);
            let errors = if died { None } else { self.errors.get(position).copied() };
            let (outcome, detail) = if died {
                (TestOutcome::Fail, Some("worker died".to_owned()))
            } else if let Some(errors) = errors.filter(|errors| *errors > 0) {
                (TestOutcome::Fail, Some(format!("{errors} computation errors")))
            } else {
                match (self.faulty.get(&position), self.tested) {
                    (Some(true), _) => (TestOutcome::Fail, Some("gpu-burn reported it FAULTY".to_owned())),
                    (Some(false), _) => (TestOutcome::Pass, None),
                    (None, Some(_)) => (TestOutcome::NotRun, Some("missing from gpu-burn's summary".to_owned())),
                    (None, None) => (TestOutcome::NotRun, Some("no summary: the run was cut short".to_owned())),
                }
            };
            let test = ImportedTest {
                name: GPU_BURN_TEST.to_owned(),
                outcome,
                detail,
                errors,
                gflops: if died { None } else { figure.and_then(|figure| figure.gflops) },
            };
            gpus.push(ImportedGpu { gpu_index: single_device.unwrap_or(gpu_index), serial: None, tests: vec![test] });
        }
        let tool =
            ImportedTool::GpuBurn { seconds: self.seconds, tensor_cores: self.tensor_cores, doubles: self.doubles };
        Ok(ImportedRun { tool, gpus })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DCGMI_R3_PASS: &str = include_str!("../../tests/fixtures/stress/dcgmi_r3_pass_dcgm3.json");
    const DCGMI_R4_MEMTEST_FAIL: &str = include_str!("../../tests/fixtures/stress/dcgmi_r4_memtest_fail_dcgm3.json");
    const DCGMI_R4_PCIE_FAIL: &str = include_str!("../../tests/fixtures/stress/dcgmi_r4_pcie_fail_dcgm4.json");
    const DCGMI_R1_PERSISTENCE: &str = include_str!("../../tests/fixtures/stress/dcgmi_r1_persistence_fail_dcgm4.json");
    const DCGMI_ITERATIONS: &str = include_str!("../../tests/fixtures/stress/dcgmi_r2_iterations_fail_dcgm4.json");
    const BURN_OK: &str = include_str!("../../tests/fixtures/stress/gpu_burn_2gpu_tc_3600_ok.txt");
    const BURN_FAULTY: &str = include_str!("../../tests/fixtures/stress/gpu_burn_faulty.txt");
    const BURN_DIED: &str = include_str!("../../tests/fixtures/stress/gpu_burn_died.txt");
    const BURN_CUT_SHORT: &str = include_str!("../../tests/fixtures/stress/gpu_burn_cut_short.txt");

    fn test<'a>(run: &'a ImportedRun, gpu: u32, name: &str) -> &'a ImportedTest {
        let gpu = run.gpus.iter().find(|g| g.gpu_index == gpu).unwrap_or_else(|| panic!("no GPU {gpu}"));
        gpu.tests.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no test {name} on GPU {}", gpu.gpu_index))
    }

    fn names(gpu: &ImportedGpu) -> Vec<&str> {
        gpu.tests.iter().map(|t| t.name.as_str()).collect()
    }

    fn not_pass(gpu: &ImportedGpu) -> Vec<(&str, TestOutcome)> {
        gpu.tests.iter().filter(|t| t.outcome != TestOutcome::Pass).map(|t| (t.name.as_str(), t.outcome)).collect()
    }

    fn burn(outcome: TestOutcome, detail: Option<&str>, errors: Option<u64>, gflops: Option<f64>) -> ImportedTest {
        ImportedTest { name: "gpu_burn".to_owned(), outcome, detail: detail.map(str::to_owned), errors, gflops }
    }

    fn burn_test(run: &ImportedRun, gpu: usize) -> &ImportedTest {
        &run.gpus[gpu].tests[0]
    }

    #[test]
    fn dcgm3_level3_on_eight_gpus_all_pass() {
        let run = parse_dcgmi_diag(DCGMI_R3_PASS).unwrap();
        assert_eq!(run.tool, ImportedTool::Dcgmi { level: None, version: Some("3.3.5".to_owned()) });
        assert_eq!(run.gpus.iter().map(|g| g.gpu_index).collect::<Vec<_>>(), (0..8).collect::<Vec<_>>());
        assert_eq!(run.gpus[0].serial.as_deref(), Some("1324021007419"));
        assert_eq!(run.gpus[7].serial.as_deref(), Some("1324021007395"));
        let expected = [
            "Denylist",
            "NVML Library",
            "CUDA Main Library",
            "Permissions and OS Blocks",
            "Persistence Mode",
            "Environment Variables",
            "Page Retirement/Row Remap",
            "Graphics Processes",
            "Inforom",
            "PCIe",
            "GPU Memory",
            "Diagnostic",
            "Targeted Stress",
            "Targeted Power",
            "Memory Bandwidth",
        ];
        for gpu in &run.gpus {
            assert_eq!(names(gpu), expected, "GPU {}", gpu.gpu_index);
            assert!(not_pass(gpu).is_empty(), "GPU {}: {:?}", gpu.gpu_index, not_pass(gpu));
            assert!(gpu.tests.iter().all(|t| t.errors.is_none()));
        }
        assert_eq!(test(&run, 3, "Diagnostic").gflops, Some(12950.87));
        assert_eq!(
            test(&run, 3, "Diagnostic").detail.as_deref(),
            Some("GPU 3 calculated at approximately 12950.87 gigaflops during this test")
        );
        assert_eq!(
            test(&run, 0, "PCIe").detail.as_deref(),
            Some(
                "GPU 0 GPU to Host bandwidth:\t\t24.51 GB/s, GPU 0 Host to GPU bandwidth:\t\t25.82 GB/s, GPU 0 \
                 bidirectional bandwidth:\t41.07 GB/s, GPU 0 GPU to Host latency:\t\t2.312 us, GPU 0 Host to GPU \
                 latency:\t\t2.722 us, GPU 0 bidirectional latency:\t\t4.393 us"
            )
        );
        assert_eq!(test(&run, 0, "PCIe").gflops, None);
        assert_eq!(test(&run, 5, "Denylist").detail, None);
    }

    #[test]
    fn dcgm3_level4_keeps_the_memtest_failure_and_the_skip() {
        let run = parse_dcgmi_diag(DCGMI_R4_MEMTEST_FAIL).unwrap();
        assert_eq!(run.tool, ImportedTool::Dcgmi { level: None, version: Some("3.3.9".to_owned()) });
        assert_eq!(run.gpus.len(), 4);
        assert_eq!(run.gpus[2].serial.as_deref(), Some("1654523018790"));
        // DCGM could not read GPU 3's serial; its results still count.
        assert_eq!(run.gpus[3].serial, None);
        assert_eq!(not_pass(&run.gpus[2]), [("Pulse Test", TestOutcome::Skip), ("Memtest", TestOutcome::Fail)]);
        for gpu in [0, 1, 3] {
            assert_eq!(not_pass(&run.gpus[gpu]), [("Pulse Test", TestOutcome::Skip)], "GPU {gpu}");
            assert_eq!(test(&run, gpu as u32, "Memtest").detail, None);
        }
        assert_eq!(
            test(&run, 2, "Memtest").detail.as_deref(),
            Some(
                "A memory mismatch was detected on GPU 2, but no error was reported by CUDA or NVML. Run a field \
                 diagnostic on the GPU."
            )
        );
        assert_eq!(test(&run, 1, "Pulse Test").detail.as_deref(), Some("Test pulse_test was skipped."));
        assert_eq!(run.gpus[0].tests.len(), 17);
        assert_eq!(test(&run, 1, "Diagnostic").gflops, Some(48190.12));
    }

    #[test]
    fn dcgm4_entities_with_a_pcie_failure() {
        let run = parse_dcgmi_diag(DCGMI_R4_PCIE_FAIL).unwrap();
        assert_eq!(run.tool, ImportedTool::Dcgmi { level: None, version: Some("4.2.3".to_owned()) });
        assert_eq!(
            run.gpus.iter().map(|g| (g.gpu_index, g.serial.as_deref())).collect::<Vec<_>>(),
            [(0, Some("1655123045521")), (1, Some("1655123046078"))]
        );
        let expected = [
            "software",
            "pcie",
            "memory",
            "diagnostic",
            "pulse_test",
            "targeted_stress",
            "targeted_power",
            "memory_bandwidth",
            "memtest",
        ];
        assert_eq!(names(&run.gpus[0]), expected);
        assert_eq!(names(&run.gpus[1]), expected);
        assert_eq!(not_pass(&run.gpus[0]), [("pulse_test", TestOutcome::Skip)]);
        assert_eq!(not_pass(&run.gpus[1]), [("pcie", TestOutcome::Fail), ("pulse_test", TestOutcome::Skip)]);
        assert_eq!(
            test(&run, 1, "pcie").detail.as_deref(),
            Some(
                "Detected more than 8 PCIe replays per minute for GPU 1 : 14 Reconnect PCIe card. Run system side \
                 PCIE diagnostic utilities to verify hops off the GPU board. If issue is on the board, run the field \
                 diagnostic."
            )
        );
        // Information stands in for a warning where there is none.
        assert_eq!(test(&run, 0, "pcie").detail.as_deref(), Some("GPU 0 GPU to Host bandwidth:\t\t52.71 GB/s"));
        assert_eq!(test(&run, 0, "diagnostic").gflops, Some(41877.45));
        assert_eq!(test(&run, 1, "diagnostic").gflops, Some(41862.08));
        assert_eq!(test(&run, 1, "pulse_test").detail.as_deref(), Some("Test pulse_test was skipped."));
    }

    #[test]
    fn dcgm4_unreadable_serial_is_none_and_a_software_failure_counts() {
        let run = parse_dcgmi_diag(DCGMI_R1_PERSISTENCE).unwrap();
        assert_eq!(run.tool, ImportedTool::Dcgmi { level: None, version: Some("4.2.3".to_owned()) });
        assert_eq!(run.gpus.len(), 1);
        assert_eq!(run.gpus[0].gpu_index, 0);
        assert_eq!(run.gpus[0].serial, None);
        assert_eq!(
            run.gpus[0].tests,
            [ImportedTest {
                name: "software".to_owned(),
                outcome: TestOutcome::Fail,
                detail: Some(
                    "Persistence Mode: Persistence mode for GPU 0 is disabled. Enable persistence mode by running \
                 \"nvidia-smi -i <gpuId> -pm 1 \" as root."
                        .to_owned()
                ),
                errors: None,
                gflops: None,
            }]
        );
    }

    #[test]
    fn dcgm4_iterations_fold_into_the_worst_result_and_the_overall_one() {
        let run = parse_dcgmi_diag(DCGMI_ITERATIONS).unwrap();
        assert_eq!(run.tool, ImportedTool::Dcgmi { level: None, version: Some("4.1.1".to_owned()) });
        assert_eq!(run.gpus.len(), 2);
        for gpu in &run.gpus {
            assert_eq!(names(gpu), ["software", "pcie", "memory", "Overall Result"]);
        }
        assert_eq!(not_pass(&run.gpus[0]), [("Overall Result", TestOutcome::Fail)]);
        assert_eq!(not_pass(&run.gpus[1]), [("memory", TestOutcome::Fail), ("Overall Result", TestOutcome::Fail)]);
        assert_eq!(
            test(&run, 1, "memory").detail.as_deref(),
            Some("Found 3 faulty memory elements on GPU 1 Run a field diagnostic on the GPU.")
        );
        assert_eq!(
            test(&run, 0, "Overall Result").detail.as_deref(),
            Some("The diagnostic returned an error that indicates the need to drain the GPU")
        );
        assert_eq!(run.gpus[1].serial.as_deref(), Some("1563821004815"));
    }

    #[test]
    fn dcgmi_text_around_the_json_and_nvvs_shapes_are_read() {
        // nvvs's own output: capitals, "gpu_ids" as a list in a string, nulls where a test is missing.
        let text = "Successfully ran diagnostic for group.\n{\"DCGM GPU Diagnostic\": {\"test_categories\": [\
            {\"category\": \"Deployment\", \"tests\": [{\"name\": \"Denylist\", \"results\": [{\"gpu_ids\": \"0,1\", \"status\": \"PASS\"}]}, null]},\
            {\"category\": \"Hardware\", \"tests\": [{\"name\": \"Memory\", \"results\": [{\"gpu_ids\": \"0\", \"status\": \"PASS\"}, \
            {\"gpu_ids\": \"1\", \"status\": \"SKIP\", \"info\": [\"  ECC is off.  \"]}, null]}]}], \"version\": \"3.1.7\"}}\nroot@rig:~# ";
        let run = parse_any(text).unwrap();
        assert_eq!(run.tool, ImportedTool::Dcgmi { level: None, version: Some("3.1.7".to_owned()) });
        assert_eq!(run.gpus.len(), 2);
        assert_eq!(not_pass(&run.gpus[0]), []);
        assert_eq!(not_pass(&run.gpus[1]), [("Memory", TestOutcome::Skip)]);
        assert_eq!(test(&run, 1, "Memory").detail.as_deref(), Some("ECC is off."));
        assert_eq!(names(&run.gpus[1]), ["Denylist", "Memory"]);
    }

    fn dcgm4(results: &str) -> String {
        format!(
            "{{\"DCGM Diagnostic\": {{\"test_categories\": [{{\"category\": \"Hardware\", \"tests\": [{{\"name\": \
             \"memory\", \"results\": [{results}]}}]}}]}}, \"metadata\": {{\"version\": \"4.2.3\"}}}}"
        )
    }

    #[test]
    fn dcgmi_results_of_other_entities_are_not_gpus() {
        let run = parse_dcgmi_diag(&dcgm4(
            "{\"entity_group\": \"CPU\", \"entity_group_id\": 7, \"entity_id\": 0, \"status\": \"Fail\"}, \
             {\"entity_group\": \"GPU\", \"entity_group_id\": 1, \"entity_id\": 4, \"status\": \"Pass\"}",
        ))
        .unwrap();
        assert_eq!(run.gpus.len(), 1);
        assert_eq!(run.gpus[0].gpu_index, 4);
        assert_eq!(not_pass(&run.gpus[0]), []);
    }

    #[test]
    fn dcgmi_a_gpu_reported_twice_keeps_the_worse_result() {
        let run = parse_dcgmi_diag(&dcgm4(
            "{\"entity_id\": 0, \"status\": \"Pass\"}, {\"entity_id\": 0, \"status\": \"Fail\", \"warnings\": \
             [{\"warning\": \"bad\"}]}, {\"entity_id\": 0, \"status\": \"Skip\"}",
        ))
        .unwrap();
        assert_eq!(run.gpus.len(), 1);
        assert_eq!(
            run.gpus[0].tests,
            [ImportedTest {
                name: "memory".to_owned(),
                outcome: TestOutcome::Fail,
                detail: Some("bad".to_owned()),
                errors: None,
                gflops: None
            }]
        );
    }

    #[test]
    fn dcgmi_a_result_for_every_gpu_reaches_every_gpu() {
        // DCGM 3.x deployment checks: no id, or -1 for an error about all GPUs.
        let text = "{\"DCGM GPU Diagnostic\": {\"test_categories\": [{\"category\": \"Deployment\", \"tests\": [\
            {\"name\": \"Inforom\", \"results\": [{\"status\": \"Pass\"}]},\
            {\"name\": \"Environment Variables\", \"results\": [{\"gpu_id\": -1, \"status\": \"Warn\", \"warnings\": \
            [{\"warnings\": \"CUDA_VISIBLE_DEVICES is set.\"}]}]}]}]}, \"GPU Device Serials\": {\"0\": \"A\", \"2\": \"B\"}}";
        let run = parse_dcgmi_diag(text).unwrap();
        assert_eq!(run.gpus.iter().map(|g| g.gpu_index).collect::<Vec<_>>(), [0, 2]);
        for gpu in [0, 2] {
            assert_eq!(test(&run, gpu, "Inforom").outcome, TestOutcome::Pass);
            assert_eq!(test(&run, gpu, "Environment Variables").outcome, TestOutcome::Warn);
            assert_eq!(
                test(&run, gpu, "Environment Variables").detail.as_deref(),
                Some("CUDA_VISIBLE_DEVICES is set.")
            );
        }
    }

    #[test]
    fn dcgmi_detail_is_cut_to_500_characters() {
        let long = "x".repeat(600);
        let run = parse_dcgmi_diag(&dcgm4(&format!(
            "{{\"entity_id\": 0, \"status\": \"Warn\", \"warnings\": [{{\"warning\": \"{long}\"}}]}}"
        )))
        .unwrap();
        assert_eq!(run.gpus[0].tests[0].detail.as_deref(), Some(&long[..500]));
        assert_eq!(run.gpus[0].tests[0].outcome, TestOutcome::Warn);
    }

    #[test]
    fn dcgmi_bad_gpu_ids_are_refused() {
        for (id, shown) in [
            ("\"abc\"", "abc"),
            ("\"０\"", "０"),
            ("-3", "-3"),
            ("1.5", "1.5"),
            ("4294967296", "4294967296"),
            ("null", "null"),
        ] {
            let result = parse_dcgmi_diag(&dcgm4(&format!("{{\"entity_id\": {id}, \"status\": \"Pass\"}}")));
            assert_eq!(result, Err(ImportProblem::BadGpuId(shown.to_owned())), "{id}");
        }
        let serials =
            "{\"DCGM GPU Diagnostic\": {\"test_categories\": []}, \"GPU Device Serials\": {\"GPU 0\": \"123\"}}";
        assert_eq!(parse_dcgmi_diag(serials), Err(ImportProblem::BadGpuId("GPU 0".to_owned())));
        let gpu_ids = "{\"DCGM GPU Diagnostic\": {\"test_categories\": [{\"category\": \"Stress\", \"tests\": [{\"name\": \"x\", \
                       \"results\": [{\"gpu_ids\": \"0,1,x\", \"status\": \"PASS\"}]}]}]}}";
        assert_eq!(parse_dcgmi_diag(gpu_ids), Err(ImportProblem::BadGpuId("x".to_owned())));
    }

    #[test]
    fn dcgmi_contradictions_and_unknowns_are_refused() {
        let twice = "{\"DCGM Diagnostic\": {\"test_categories\": []}, \"entity_groups\": [{\"entity_group\": \"GPU\", \
                     \"entities\": [{\"entity_id\": 0, \"serial_num\": \"111\"}, {\"entity_id\": 0, \"serial_num\": \"222\"}]}]}";
        assert_eq!(
            parse_dcgmi_diag(twice),
            Err(ImportProblem::Inconsistent("GPU 0 has two serial numbers, 111 and 222".to_owned()))
        );
        assert_eq!(
            parse_dcgmi_diag(&dcgm4("{\"entity_id\": 0, \"status\": \"Maybe\"}")),
            Err(ImportProblem::UnknownStatus("Maybe".to_owned()))
        );
        assert_eq!(
            parse_dcgmi_diag(&dcgm4("{\"entity_id\": 0, \"status\": \"\"}")),
            Err(ImportProblem::UnknownStatus(String::new()))
        );
        assert_eq!(
            parse_dcgmi_diag(&dcgm4("{\"entity_id\": 0}")),
            Err(ImportProblem::NotDcgmiJson("a result of test \"memory\" has no status".to_owned()))
        );
        // Only tests for all GPUs and no list of GPUs: nothing to attach them to.
        let nobody = "{\"DCGM GPU Diagnostic\": {\"test_categories\": [{\"category\": \"Deployment\", \"tests\": [\
                      {\"name\": \"Denylist\", \"results\": [{\"status\": \"Pass\"}]}]}]}}";
        assert_eq!(parse_dcgmi_diag(nobody), Err(ImportProblem::NoGpus));
    }

    #[test]
    fn dcgmi_runtime_error_means_it_did_not_run() {
        let text = "{\n\t\"DCGM Diagnostic\" : \n\t{\n\t\t\"runtime_error\" : \"Error: unable to establish a connection to the \
                    specified host: localhost\",\n\t\t\"version\" : \"4.2.3\"\n\t}\n}\n";
        assert_eq!(
            parse_any(text),
            Err(ImportProblem::DcgmiDidNotRun(
                "Error: unable to establish a connection to the specified host: localhost".to_owned()
            ))
        );
    }

    #[test]
    fn dcgmi_json_that_is_not_a_diag_is_refused() {
        for (text, why) in [
            ("{\"name\": \"gpu\"}", "it has no \"DCGM Diagnostic\" section"),
            ("{\"DCGM Diagnostic\": 3}", "it has no \"DCGM Diagnostic\" section"),
            (
                "{\"DCGM Diagnostic\": {\"test_categories\": \"none\"}}",
                "its \"DCGM Diagnostic\" section has no test_categories",
            ),
            ("[1, 2]", "there is no JSON object in the file"),
            ("{\"iterations\": [null, 3]}", "no iteration holds results"),
            ("{\"DCGM Diagnostic\": {\"test_categories\": [{\"tests\": [{\"results\": []}]}]}}", "a test has no name"),
        ] {
            assert_eq!(parse_dcgmi_diag(text), Err(ImportProblem::NotDcgmiJson(why.to_owned())), "{text}");
        }
    }

    #[test]
    fn dcgmi_truncated_or_deeply_nested_json_is_refused() {
        let cut = &DCGMI_R4_PCIE_FAIL[..DCGMI_R4_PCIE_FAIL.len() / 2];
        match parse_dcgmi_diag(cut) {
            Err(ImportProblem::NotDcgmiJson(why)) => assert!(why.starts_with("the JSON does not parse"), "{why}"),
            other => panic!("{other:?}"),
        }
        let deep = format!("{}{}", "{\"a\":[".repeat(100_000), "]}".repeat(100_000));
        match parse_dcgmi_diag(&deep) {
            Err(ImportProblem::NotDcgmiJson(why)) => assert!(why.starts_with("the JSON does not parse"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dcgmi_too_many_gpus_or_tests_are_refused() {
        let gpus: Vec<String> =
            (0..=MAX_GPUS).map(|id| format!("{{\"entity_id\": {id}, \"status\": \"Pass\"}}")).collect();
        assert_eq!(parse_dcgmi_diag(&dcgm4(&gpus.join(","))), Err(ImportProblem::TooManyGpus { max: 64 }));
        let tests: Vec<String> = (0..=MAX_TESTS)
            .map(|n| format!("{{\"name\": \"t{n}\", \"results\": [{{\"entity_id\": 0, \"status\": \"Pass\"}}]}}"))
            .collect();
        let text = format!("{{\"DCGM Diagnostic\": {{\"test_categories\": [{{\"tests\": [{}]}}]}}}}", tests.join(","));
        assert_eq!(parse_dcgmi_diag(&text), Err(ImportProblem::TooManyTests { max: 256 }));
    }

    #[test]
    fn gpu_burn_two_gpus_with_tensor_cores_for_an_hour() {
        let run = parse_gpu_burn(BURN_OK).unwrap();
        assert_eq!(run.tool, ImportedTool::GpuBurn { seconds: Some(3600), tensor_cores: true, doubles: false });
        assert_eq!(
            run.gpus,
            [
                ImportedGpu {
                    gpu_index: 0,
                    serial: None,
                    tests: vec![burn(TestOutcome::Pass, None, Some(0), Some(62718.0))]
                },
                ImportedGpu {
                    gpu_index: 1,
                    serial: None,
                    tests: vec![burn(TestOutcome::Pass, None, Some(0), Some(61891.0))]
                },
            ]
        );
    }

    #[test]
    fn gpu_burn_faulty_gpu_counts_errors_of_every_interval() {
        // The last line shows 0 errors: gpu-burn zeroed them at each summary after 12 and 3.
        let run = parse_gpu_burn(BURN_FAULTY).unwrap();
        assert_eq!(run.tool, ImportedTool::GpuBurn { seconds: Some(600), tensor_cores: false, doubles: true });
        assert_eq!(run.gpus.len(), 2);
        assert_eq!(burn_test(&run, 0), &burn(TestOutcome::Pass, None, Some(0), Some(6921.0)));
        assert_eq!(burn_test(&run, 1), &burn(TestOutcome::Fail, Some("15 computation errors"), Some(15), Some(6889.0)));
    }

    #[test]
    fn gpu_burn_dead_worker_fails_its_gpu() {
        let run = parse_gpu_burn(BURN_DIED).unwrap();
        // Piped: the workers' lines are lost but for the dying one's flush, which says FLOATS only.
        assert_eq!(run.tool, ImportedTool::GpuBurn { seconds: Some(1800), tensor_cores: false, doubles: false });
        assert_eq!(run.gpus.iter().map(|g| g.gpu_index).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(burn_test(&run, 0), &burn(TestOutcome::Pass, None, Some(0), Some(34972.0)));
        assert_eq!(burn_test(&run, 1), &burn(TestOutcome::Fail, Some("worker died"), None, None));
    }

    #[test]
    fn gpu_burn_cut_short_has_not_run_gpus_and_a_failed_one() {
        let run = parse_gpu_burn(BURN_CUT_SHORT).unwrap();
        assert_eq!(run.tool, ImportedTool::GpuBurn { seconds: Some(3600), tensor_cores: false, doubles: false });
        let cut = Some("no summary: the run was cut short");
        // The last whole progress line (40.0 %) gives the throughput; the cut one after it is noise.
        assert_eq!(
            run.gpus.iter().map(|g| &g.tests[0]).collect::<Vec<_>>(),
            [
                &burn(TestOutcome::NotRun, cut, Some(0), Some(81230.0)),
                &burn(TestOutcome::NotRun, cut, Some(0), Some(80651.0)),
                &burn(TestOutcome::NotRun, cut, Some(0), Some(80455.0)),
                &burn(TestOutcome::Fail, Some("2 computation errors"), Some(2), Some(80388.0)),
            ]
        );
    }

    #[test]
    fn gpu_burn_truncated_before_the_summary_did_not_finish() {
        let cut = &BURN_FAULTY[..BURN_FAULTY.find("31.5%").unwrap()];
        let run = parse_gpu_burn(cut).unwrap();
        assert_eq!(run.gpus.len(), 2);
        for gpu in 0..2 {
            assert_eq!(burn_test(&run, gpu).outcome, TestOutcome::NotRun);
            assert_eq!(burn_test(&run, gpu).errors, Some(0));
        }
    }

    const ONE_GPU_HEAD: &str = "Using compare file: compare.fatbin\nBurning for 10 seconds.\n";

    #[test]
    fn gpu_burn_single_device_keeps_its_number() {
        let text = format!(
            "{ONE_GPU_HEAD}Initialized device 2 with 81559 MB of memory (80990 MB available, using 72891 MB of it), \
             using FLOATS\n\r100.0%  proc'd: 880 (51234 Gflop/s)   errors: 0   temps: 61 C \nTested 1 GPUs:\n\tGPU 0: OK\n"
        );
        let run = parse_gpu_burn(&text).unwrap();
        assert_eq!(run.gpus.len(), 1);
        assert_eq!(run.gpus[0].gpu_index, 2);
        assert_eq!(burn_test(&run, 0), &burn(TestOutcome::Pass, None, Some(0), Some(51234.0)));
    }

    #[test]
    fn gpu_burn_summary_oddities() {
        let line = "\r100.0%  proc'd: 5 (100 Gflop/s)   errors: 0   temps: 40 C \n";
        // A full-width digit is not gpu-burn's: the line is ignored and the GPU did not report.
        let run = parse_gpu_burn(&format!("{ONE_GPU_HEAD}{line}Tested 1 GPUs:\n\tGPU ０: OK\n")).unwrap();
        assert_eq!(
            burn_test(&run, 0),
            &burn(TestOutcome::NotRun, Some("missing from gpu-burn's summary"), Some(0), Some(100.0))
        );
        // Listed twice, once FAULTY.
        let run =
            parse_gpu_burn(&format!("{ONE_GPU_HEAD}{line}Tested 1 GPUs:\n\tGPU 0: OK\n\tGPU 0: FAULTY\n")).unwrap();
        assert_eq!(
            burn_test(&run, 0),
            &burn(TestOutcome::Fail, Some("gpu-burn reported it FAULTY"), Some(0), Some(100.0))
        );
        assert_eq!(
            parse_gpu_burn(&format!("{ONE_GPU_HEAD}{line}Tested 1 GPUs:\n\tGPU 3: OK\n")),
            Err(ImportProblem::Inconsistent("GPU 3 in a summary of 1 GPUs".to_owned()))
        );
        assert_eq!(
            parse_gpu_burn(&format!("{ONE_GPU_HEAD}{line}Tested 2 GPUs:\n\tGPU 0: OK\n\tGPU 1: OK\n")),
            Err(ImportProblem::Inconsistent("the summary tests 2 GPUs, the progress lines show 1".to_owned()))
        );
        assert_eq!(
            parse_gpu_burn(&format!("{ONE_GPU_HEAD}Tested 100 GPUs:\n")),
            Err(ImportProblem::TooManyGpus { max: 64 })
        );
        // The summary alone: its verdicts, nothing measured.
        let run = parse_gpu_burn(&format!("{ONE_GPU_HEAD}Tested 2 GPUs:\n\tGPU 0: OK\n\tGPU 1: FAULTY\n")).unwrap();
        assert_eq!(burn_test(&run, 0), &burn(TestOutcome::Pass, None, None, None));
        assert_eq!(burn_test(&run, 1), &burn(TestOutcome::Fail, Some("gpu-burn reported it FAULTY"), None, None));
    }

    #[test]
    fn gpu_burn_odd_figures() {
        let summary = "Tested 2 GPUs:\n\tGPU 0: OK\n\tGPU 1: OK\n";
        // nan and inf throughputs are no figure; a negative error count only comes from a dead worker.
        let text = format!(
            "{ONE_GPU_HEAD}\r50.0%  proc'd: 10 (nan Gflop/s) - 10 (-inf Gflop/s)   errors: 0 - -4   temps: -- - 50 C \n{summary}"
        );
        let run = parse_gpu_burn(&text).unwrap();
        assert_eq!(burn_test(&run, 0), &burn(TestOutcome::Pass, None, Some(0), None));
        assert_eq!(burn_test(&run, 1), &burn(TestOutcome::Fail, Some("worker died"), None, None));
        // A dead worker on the first of two: the note runs into the separator.
        let text = format!(
            "{ONE_GPU_HEAD}\r50.0%  proc'd: -1 (9 Gflop/s) - 10 (20 Gflop/s)   errors: -1  (DIED!)- 3  (WARNING!)  temps: -- - 50 C \n{summary}"
        );
        let run = parse_gpu_burn(&text).unwrap();
        assert_eq!(burn_test(&run, 0), &burn(TestOutcome::Fail, Some("worker died"), None, None));
        assert_eq!(burn_test(&run, 1), &burn(TestOutcome::Fail, Some("3 computation errors"), Some(3), Some(20.0)));
        // Garbled lines are noise: no GPU is left to speak of.
        let text = format!(
            "{ONE_GPU_HEAD}\r1.0%  proc'd: ９ (1 Gflop/s)   errors: 0   temps: 1 C \r2.0%  proc'd: 1 (1 Gflop/s) - 2 (2 Gflop/s)   \
             errors: 0   temps: 1 C \r3.0%  proc'd: 1 (1 Gflop/s) 2 (2 Gflop/s)   errors: 0 0   temps: 1 C "
        );
        assert_eq!(parse_gpu_burn(&text), Err(ImportProblem::NoGpus));
    }

    #[test]
    fn gpu_burn_runs_that_contradict_themselves_are_refused() {
        let two_runs = format!("{BURN_FAULTY}{BURN_FAULTY}");
        assert_eq!(
            parse_gpu_burn(&two_runs),
            Err(ImportProblem::Inconsistent("the file holds more than one gpu-burn run".to_owned()))
        );
        let widths = format!(
            "{ONE_GPU_HEAD}\r1.0%  proc'd: 1 (1 Gflop/s)   errors: 0   temps: 1 C \r2.0%  proc'd: 1 (1 Gflop/s) - 2 (2 Gflop/s)   \
             errors: 0 - 0   temps: 1 C - 1 C "
        );
        assert_eq!(
            parse_gpu_burn(&widths),
            Err(ImportProblem::Inconsistent("progress lines show 1 and 2 GPUs".to_owned()))
        );
        let lengths = "Burning for 10 seconds.\nBurning for 20 seconds.\n";
        assert_eq!(
            parse_gpu_burn(lengths),
            Err(ImportProblem::Inconsistent("it burns for 10 and for 20 seconds".to_owned()))
        );
    }

    #[test]
    fn gpu_burn_needs_its_own_words() {
        assert_eq!(parse_gpu_burn("hello\nworld\n"), Err(ImportProblem::NotGpuBurnOutput));
        assert_eq!(parse_gpu_burn("GPU 0: OK\n"), Err(ImportProblem::NotGpuBurnOutput));
        assert_eq!(parse_gpu_burn(ONE_GPU_HEAD), Err(ImportProblem::NoGpus));
        assert_eq!(parse_gpu_burn(DCGMI_R3_PASS), Err(ImportProblem::NotGpuBurnOutput));
    }

    #[test]
    fn every_parser_refuses_empty_huge_and_binary_input() {
        let huge = " ".repeat(MAX_IMPORT_BYTES + 1);
        for parse in [parse_dcgmi_diag, parse_gpu_burn, parse_any] {
            assert_eq!(parse(""), Err(ImportProblem::Empty));
            assert_eq!(parse(" \r\n\t\n"), Err(ImportProblem::Empty));
            assert_eq!(parse("\u{FEFF}"), Err(ImportProblem::Empty));
            assert_eq!(parse(&huge), Err(ImportProblem::TooLarge { max: MAX_IMPORT_BYTES }));
            assert_eq!(parse("PK\u{3}\u{4}\u{0}\u{0}\u{8}"), Err(ImportProblem::Binary));
            assert_eq!(parse("Burning for 10 seconds.\n\u{FFFD}\u{FFFD}"), Err(ImportProblem::Binary));
        }
    }

    #[test]
    fn parse_any_tells_the_tools_apart() {
        for (text, dcgmi) in [
            (DCGMI_R3_PASS, true),
            (DCGMI_R4_MEMTEST_FAIL, true),
            (DCGMI_R4_PCIE_FAIL, true),
            (DCGMI_R1_PERSISTENCE, true),
            (DCGMI_ITERATIONS, true),
            (BURN_OK, false),
            (BURN_FAULTY, false),
            (BURN_DIED, false),
            (BURN_CUT_SHORT, false),
        ] {
            let run = parse_any(text).unwrap();
            assert_eq!(matches!(run.tool, ImportedTool::Dcgmi { .. }), dcgmi);
            let direct = if dcgmi { parse_dcgmi_diag(text) } else { parse_gpu_burn(text) };
            assert_eq!(direct, Ok(run));
        }
        // A JSON array is no dcgmi output, and no gpu-burn output either.
        assert_eq!(parse_any("[1, 2]"), Err(ImportProblem::NotGpuBurnOutput));
    }

    #[test]
    fn wire_shape() {
        let run = parse_gpu_burn(BURN_DIED).unwrap();
        let value = serde_json::to_value(&run).unwrap();
        assert_eq!(
            value["tool"],
            serde_json::json!({"tool": "gpu_burn", "seconds": 1800, "tensorCores": false, "doubles": false})
        );
        assert_eq!(
            value["gpus"][1],
            serde_json::json!({"gpuIndex": 1, "serial": null, "tests": [
                {"name": "gpu_burn", "outcome": "fail", "detail": "worker died", "errors": null, "gflops": null}
            ]})
        );
        let tool = ImportedTool::Dcgmi { level: Some(4), version: Some("4.2.3".to_owned()) };
        assert_eq!(
            serde_json::to_value(&tool).unwrap(),
            serde_json::json!({"tool": "dcgmi", "level": 4, "version": "4.2.3"})
        );
        assert_eq!(serde_json::to_value(TestOutcome::NotRun).unwrap(), serde_json::json!("not_run"));
        let back: ImportedRun = serde_json::from_value(value).unwrap();
        assert_eq!(back, run);
    }
}
