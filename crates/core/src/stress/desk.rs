//! The workstation's stress runs: one at a time, started from the Bench, followed live (progress
//! thinned to what a person can read), cancelled, and its outcomes kept until each GPU's is
//! recorded to a job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::supervise::{run_stress, GpuStressOutcome, Launch, StressBench, StressProgress, StressRequest};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::workshop::Catalogs;

/// What the live view hears.
pub enum DeskUpdate {
    Progress(StressProgress),
    Finished(Vec<GpuStressOutcome>),
    Failed(CoreError),
}

/// At most this often per GPU and kind of news: the driver is polled up to 50 times a second.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

#[derive(Default)]
pub struct StressDesk {
    running: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<GpuStressOutcome>>>,
}

impl StressDesk {
    /// Starts `request` on a thread of its own; `sink` hears progress, then the outcomes or why
    /// it failed. Refused, before anything starts, while another run is going or when a GPU
    /// cannot take it.
    pub fn start(
        &self,
        bench: StressBench,
        catalogs: Arc<Catalogs>,
        request: StressRequest,
        launch: Launch,
        mut sink: impl FnMut(DeskUpdate) + Send + 'static,
    ) -> CoreResult<()> {
        super::supervise::check(&bench, &request)?;
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(CoreError::invalid(Field::StressTest, Problem::Duplicate));
        }
        self.cancel.store(false, Ordering::SeqCst);
        // A new run's outcomes replace the last: nothing old can be recorded by mistake.
        self.outcomes.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let (running, cancel, outcomes) = (self.running.clone(), self.cancel.clone(), self.outcomes.clone());
        std::thread::spawn(move || {
            let mut last_said: Vec<(u32, u8, Instant)> = Vec::new();
            let result = run_stress(&bench, &catalogs, &request, &launch, &cancel, &mut |progress| {
                let kind = if progress.memory.is_some() {
                    0
                } else if progress.burn_in.is_some() {
                    1
                } else {
                    2
                };
                match last_said.iter_mut().find(|(gpu, k, _)| *gpu == progress.gpu && *k == kind) {
                    Some((_, _, at)) if at.elapsed() < PROGRESS_EVERY => return,
                    Some((_, _, at)) => *at = Instant::now(),
                    None => last_said.push((progress.gpu, kind, Instant::now())),
                }
                sink(DeskUpdate::Progress(progress));
            });
            match result {
                Ok(finished) => {
                    *outcomes.lock().unwrap_or_else(|p| p.into_inner()) = finished.clone();
                    sink(DeskUpdate::Finished(finished));
                }
                Err(error) => sink(DeskUpdate::Failed(error)),
            }
            running.store(false, Ordering::SeqCst);
        });
        Ok(())
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// GPU `gpu`'s outcome of the last finished run, to record to a job.
    pub fn outcome(&self, gpu: u32) -> CoreResult<GpuStressOutcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|outcome| outcome.gpu == gpu)
            .cloned()
            .ok_or(CoreError::invalid(Field::GpuIndex, Problem::Unknown))
    }
}
