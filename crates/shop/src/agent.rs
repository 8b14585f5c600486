//! `revive agent`: a rack server's worker in the test room. It registers the server and its GPU
//! slots, heartbeats, claims the stress tasks queued for its slots, refuses a task whose card is not
//! the job's, runs each with the bench's stress engine (one test process per GPU, as on a bench)
//! and reports the verdict with its evidence and telemetry. When the shop server is out of reach it
//! keeps testing and reports once it is back; a task it could not finish in its lease returns to the
//! queue for whoever runs that server next.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use postgres::Client;
use revive_core::bench::{GpuProvider, NvmlProvider};
use revive_core::error::{CoreError, CoreResult, ErrorCode};
use revive_core::stress::supervise::{run_stress, GpuStressOutcome, Launch, StressBench, StressRequest};
use revive_core::workshop::Catalogs;

use crate::error::{ShopError, ShopResult};
use crate::room::{AgentQueue, ClaimedTask, Refusal, Slot, TaskProgress, TaskResult};
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
    std::thread::scope(|scope| -> ShopResult<()> {
        let mut agent = Agent { settings, bench, catalogs, owner, running: HashMap::new(), ended: Vec::new() };
        let mut client: Option<Client> = None;
        let mut offline_since: Option<Instant> = None;
        loop {
            agent.collect_ended();
            if client.is_none() {
                match settings.server.connect() {
                    Ok(mut connected) => {
                        let slots = slots(&bench.provider)?;
                        agent.queue(&mut connected).register(env!("CARGO_PKG_VERSION"), simulated, &slots)?;
                        let marker = if simulated { " [SIMULATED]" } else { "" };
                        say(match offline_since.take() {
                            Some(since) => format!("shop server reached again after {} s", since.elapsed().as_secs()),
                            None => format!("registered {} with {} GPU slot(s){marker}", settings.name, slots.len()),
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
                match agent.round(connected, scope, say) {
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

/// A task being run on one GPU, in its own thread.
struct Running<'scope> {
    slot: u32,
    /// Set when a bench cancelled the task: the run stops and its result is dropped.
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<Option<TaskProgress>>>,
    thread: ScopedJoinHandle<'scope, CoreResult<Vec<GpuStressOutcome>>>,
}

/// The agent's work in hand: the runs going, and what ended runs still have to tell the server
/// (kept while it is out of reach).
struct Agent<'scope, 'env> {
    settings: &'env AgentSettings,
    bench: &'env StressBench,
    catalogs: &'env Catalogs,
    owner: String,
    running: HashMap<i64, Running<'scope>>,
    ended: Vec<(i64, TaskResult)>,
}

impl<'scope, 'env> Agent<'scope, 'env> {
    fn queue<'c>(&self, client: &'c mut Client) -> AgentQueue<'c> {
        AgentQueue { client, server: self.settings.name.clone(), owner: self.owner.clone(), lease: self.settings.lease }
    }

    /// Runs that ended hand their verdict over to be reported.
    fn collect_ended(&mut self) {
        let done: Vec<i64> = self.running.iter().filter(|(_, r)| r.thread.is_finished()).map(|(id, _)| *id).collect();
        for id in done {
            let Some(run) = self.running.remove(&id) else { continue };
            let failed =
                |code, message: &str| TaskResult::Refused(Refusal::RunFailed { code, message: message.into() });
            let result = match run.thread.join() {
                Ok(Ok(mut outcomes)) if !outcomes.is_empty() => TaskResult::Ran(Box::new(outcomes.remove(0))),
                Ok(Ok(_)) => failed(ErrorCode::StressFailed, "the stress run gave no result"),
                Ok(Err(error)) => failed(error.code(), &error.to_string()),
                Err(_) => failed(ErrorCode::StressFailed, "the stress run stopped unexpectedly"),
            };
            self.ended.push((id, result));
        }
    }

    /// One round with the server: report what ended, heartbeat with progress (hearing which runs
    /// were cancelled), and claim work for idle slots.
    fn round(
        &mut self,
        client: &mut Client,
        scope: &'scope Scope<'scope, 'env>,
        say: &mut dyn FnMut(String),
    ) -> ShopResult<()> {
        let mut queue = self.queue(client);
        while let Some((id, result)) = self.ended.first() {
            let held = match result {
                TaskResult::Ran(outcome) => queue.finish(*id, outcome)?,
                TaskResult::Refused(reason) => queue.refuse(*id, reason)?,
            };
            say(match (held, result) {
                (true, TaskResult::Ran(outcome)) => {
                    format!("task {id}: GPU {} {:?}", outcome.gpu, outcome.judgement.verdict)
                }
                (true, TaskResult::Refused(reason)) => format!("task {id}: refused: {reason}"),
                (false, _) => format!(
                    "task {id}: no longer this agent's (cancelled, or its lease ran out and another run answers it)"
                ),
            });
            self.ended.remove(0);
        }
        let slots = slots(&self.bench.provider)?;
        let progress: Vec<(i64, TaskProgress)> = self
            .running
            .iter()
            .filter_map(|(id, run)| run.progress.lock().unwrap_or_else(|p| p.into_inner()).clone().map(|p| (*id, p)))
            .collect();
        for id in queue.heartbeat(&slots, &progress)? {
            if let Some(run) = self.running.get(&id) {
                run.cancel.store(true, Ordering::Relaxed);
                say(format!("task {id}: cancelled by its bench; stopping"));
            }
        }
        loop {
            let busy: Vec<u32> = self.running.values().map(|run| run.slot).collect();
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
            let run = self.start(scope, &task);
            self.running.insert(task.id, run);
        }
    }

    /// Starts the task's stress run on its GPU in a thread of its own.
    fn start(&self, scope: &'scope Scope<'scope, 'env>, task: &ClaimedTask) -> Running<'scope> {
        let (progress, cancel) = (Arc::new(Mutex::new(None)), Arc::new(AtomicBool::new(false)));
        let (latest, cancelled) = (Arc::clone(&progress), Arc::clone(&cancel));
        let request = StressRequest {
            gpus: vec![task.slot],
            burn_in_seconds: task.plan.burn_in_seconds,
            memory: task.plan.memory.clone(),
        };
        let (bench, catalogs, launch) = (self.bench, self.catalogs, &self.settings.launch);
        let thread = scope.spawn(move || {
            run_stress(bench, catalogs, &request, launch, &cancelled, &mut |p| {
                latest.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(TaskProgress::default).take(&p);
            })
        });
        Running { slot: task.slot, cancel, progress, thread }
    }
}

/// Why the task cannot run on this server: no such slot, the GPU lost, or another card than the job's.
fn refusal(slots: &[Slot], task: &ClaimedTask) -> Option<Refusal> {
    let Some(slot) = slots.iter().find(|slot| slot.slot == task.slot) else {
        return Some(Refusal::NoSuchSlot { slots: slots.len() as u32 });
    };
    if slot.lost {
        return Some(Refusal::GpuLost);
    }
    match slot.serial.as_deref().map(str::trim) {
        Some(serial) if serial == task.expected_serial.trim() => None,
        Some(serial) => Some(Refusal::WrongCard { found: serial.to_owned(), expected: task.expected_serial.clone() }),
        None => Some(Refusal::NoSerial),
    }
}

fn slots(provider: &NvmlProvider) -> ShopResult<Vec<Slot>> {
    Ok(provider.snapshot().map_err(CoreError::from)?.gpus.iter().map(Slot::of).collect())
}
