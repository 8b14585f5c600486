//! `revive agent`: a rack server's worker in the test room. It registers the server and its GPU
//! slots, heartbeats, claims the stress tasks queued for its slots, refuses a task whose card is not
//! the job's, runs each with the bench's stress engine (one test process per GPU, as on a bench)
//! and reports the verdict with its evidence and telemetry. When the shop server is out of reach it
//! keeps testing and reports once it is back; a task it could not finish in its lease returns to the
//! queue for whoever runs that server next.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;
use revive_core::bench::{GpuProvider, NvmlProvider};
use revive_core::error::{CoreError, CoreResult};
use revive_core::stress::supervise::{run_stress, GpuStressOutcome, Launch, StressBench, StressRequest};
use revive_core::workshop::Catalogs;

use crate::error::{ShopError, ShopResult};
use crate::room::{AgentQueue, ClaimedTask, Slot, TaskProgress, TaskResult};
use crate::server::ShopServer;

/// How the agent works.
pub struct AgentSettings {
    /// The rack server's name in the test room (its host name unless told otherwise).
    pub name: String,
    pub server: ShopServer,
    pub launch: Launch,
    /// How long a claimed task stays this agent's without a heartbeat.
    pub lease: Duration,
    /// How often it reports and looks for work.
    pub heartbeat: Duration,
}

/// A task being run on one GPU, in its own thread.
struct Running<'scope> {
    slot: u32,
    /// Set when a bench cancelled the task: the run stops and its result is dropped.
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<Option<TaskProgress>>>,
    thread: ScopedJoinHandle<'scope, CoreResult<Vec<GpuStressOutcome>>>,
}

/// Works the test room until the bench's driver or the protocol makes it impossible; the shop
/// server being out of reach is waited out, not an end. `say` receives one line per thing done.
pub fn run(
    settings: &AgentSettings,
    bench: &StressBench,
    catalogs: &Catalogs,
    say: &mut dyn FnMut(String),
) -> ShopResult<()> {
    let owner = format!("{}/{}/{}", settings.name, std::process::id(), &crate::room::new_key()?[..8]);
    let simulated = bench.provider.snapshot().map_err(CoreError::from)?.simulated;
    let mut client: Option<Client> = None;
    let mut offline_since: Option<Instant> = None;
    // What ended tasks still have to tell the server (kept while it is out of reach).
    let mut ended: Vec<(i64, TaskResult)> = Vec::new();
    std::thread::scope(|scope| -> ShopResult<()> {
        let mut running: HashMap<i64, Running> = HashMap::new();
        loop {
            // Runs that ended hand their verdict over to be reported.
            let done: Vec<i64> = running.iter().filter(|(_, r)| r.thread.is_finished()).map(|(id, _)| *id).collect();
            for id in done {
                let Some(run) = running.remove(&id) else { continue };
                let report = match run.thread.join() {
                    Ok(Ok(mut outcomes)) if !outcomes.is_empty() => TaskResult::Ran(Box::new(outcomes.remove(0))),
                    Ok(Ok(_)) => TaskResult::Refused("the stress run gave no result".into()),
                    Ok(Err(error)) => TaskResult::Refused(error.to_string()),
                    Err(_) => TaskResult::Refused("the stress run stopped unexpectedly".into()),
                };
                ended.push((id, report));
            }
            if client.is_none() {
                match settings.server.connect() {
                    Ok(mut connected) => {
                        let slots = slots(&bench.provider)?;
                        queue(&mut connected, settings, &owner).register(
                            env!("CARGO_PKG_VERSION"),
                            simulated,
                            &slots,
                        )?;
                        say(match offline_since.take() {
                            Some(since) => format!("shop server reached again after {} s", since.elapsed().as_secs()),
                            None => format!(
                                "registered {} with {} GPU slot(s){}",
                                settings.name,
                                slots.len(),
                                if simulated { " [SIMULATED]" } else { "" }
                            ),
                        });
                        client = Some(connected);
                    }
                    Err(ShopError::Unreachable(error)) => {
                        if offline_since.is_none() {
                            say(format!("shop server out of reach ({error}); testing goes on, reports wait"));
                            offline_since = Some(Instant::now());
                        }
                    }
                    Err(other) => return Err(other),
                }
            }
            if let Some(connected) = client.as_mut() {
                match work(connected, settings, &owner, bench, catalogs, scope, &mut running, &mut ended, say) {
                    Ok(()) => {}
                    Err(ShopError::Unreachable(error)) => {
                        say(format!("shop server out of reach ({error}); testing goes on, reports wait"));
                        offline_since = Some(Instant::now());
                        client = None;
                    }
                    Err(other) => return Err(other),
                }
            }
            std::thread::sleep(settings.heartbeat);
        }
    })
}

fn queue<'c>(client: &'c mut Client, settings: &AgentSettings, owner: &str) -> AgentQueue<'c> {
    AgentQueue { client, server: settings.name.clone(), owner: owner.to_owned(), lease: settings.lease }
}

/// One round with the server: report what ended, heartbeat with progress, claim work for idle slots.
#[allow(clippy::too_many_arguments)]
fn work<'scope, 'env>(
    client: &mut Client,
    settings: &'env AgentSettings,
    owner: &str,
    bench: &'env StressBench,
    catalogs: &'env Catalogs,
    scope: &'scope std::thread::Scope<'scope, 'env>,
    running: &mut HashMap<i64, Running<'scope>>,
    ended: &mut Vec<(i64, TaskResult)>,
    say: &mut dyn FnMut(String),
) -> ShopResult<()> {
    let mut queue = queue(client, settings, owner);
    while let Some((id, report)) = ended.first() {
        let held = match report {
            TaskResult::Ran(outcome) => queue.finish(*id, outcome)?,
            TaskResult::Refused(reason) => queue.refuse(*id, reason)?,
        };
        say(match (held, report) {
            (true, TaskResult::Ran(outcome)) => {
                format!("task {id}: GPU {} {:?}", outcome.gpu, outcome.judgement.verdict)
            }
            (true, TaskResult::Refused(reason)) => format!("task {id}: refused: {reason}"),
            (false, _) => format!(
                "task {id}: no longer this agent's (cancelled, or its lease ran out and another run answers it)"
            ),
        });
        ended.remove(0);
    }
    let slots = slots(&bench.provider)?;
    let progress: Vec<(i64, TaskProgress)> = running
        .iter()
        .filter_map(|(id, run)| run.progress.lock().unwrap_or_else(|p| p.into_inner()).clone().map(|p| (*id, p)))
        .collect();
    for id in queue.heartbeat(&slots, &progress)? {
        if let Some(run) = running.get(&id) {
            run.cancel.store(true, Ordering::Relaxed);
            say(format!("task {id}: cancelled by its bench; stopping"));
        }
    }
    loop {
        let busy: Vec<u32> = running.values().map(|run| run.slot).collect();
        if busy.len() >= slots.len() {
            return Ok(());
        }
        let Some(task) = queue.claim(&busy)? else { return Ok(()) };
        say(format!("task {}: GPU slot {} (try {})", task.id, task.slot, task.attempt));
        if let Some(reason) = refusal(&slots, &task) {
            queue.refuse(task.id, &reason)?;
            say(format!("task {}: refused: {reason}", task.id));
            continue;
        }
        let progress = Arc::new(Mutex::new(None));
        let latest = Arc::clone(&progress);
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::clone(&cancel);
        let request = StressRequest {
            gpus: vec![task.slot],
            burn_in_seconds: task.plan.burn_in_seconds,
            memory: task.plan.memory.clone(),
        };
        let thread = scope.spawn(move || {
            run_stress(bench, catalogs, &request, &settings.launch, &cancelled, &mut |p| {
                latest.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(TaskProgress::default).take(&p);
            })
        });
        running.insert(task.id, Running { slot: task.slot, cancel, progress, thread });
    }
}

/// Why the task cannot run on this server: no such slot, the GPU lost, or another card than the job's.
fn refusal(slots: &[Slot], task: &ClaimedTask) -> Option<String> {
    let Some(slot) = slots.iter().find(|slot| slot.slot == task.slot) else {
        return Some(format!("this server has no GPU slot {} ({} slots)", task.slot, slots.len()));
    };
    if slot.lost {
        return Some(format!("the GPU in slot {} does not answer", task.slot));
    }
    match slot.serial.as_deref().map(str::trim) {
        Some(serial) if serial == task.expected_serial.trim() => None,
        Some(serial) => {
            Some(format!("the card in slot {} has serial {serial}, not the job's {}", task.slot, task.expected_serial))
        }
        None => Some(format!("the card in slot {} reports no serial, so it cannot be matched to the job", task.slot)),
    }
}

fn slots(provider: &NvmlProvider) -> ShopResult<Vec<Slot>> {
    Ok(provider.snapshot().map_err(CoreError::from)?.gpus.iter().map(Slot::of).collect())
}
