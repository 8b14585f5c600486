//! `revive audit`: the job log's hash chain checked from the first event to the last.

use std::path::PathBuf;

use revive_core::jobs::audit::LinkProblem;

use super::open_workshop;
use crate::exit::Exit;
use crate::output::{emit, fail};

/// 0 every link holds, 1 a link is broken (named), 5 the store cannot be read.
pub fn run(data_dir: Option<PathBuf>) -> Exit {
    let report = match open_workshop(data_dir).and_then(|shop| shop.audit().map_err(|error| error.to_string())) {
        Ok(report) => report,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    let Some(broken) = report.broken else {
        emit(&format!("audit: {} events, every link of the log holds\n", report.events));
        return Exit::Ok;
    };
    let job = broken.ticket.map(|ticket| format!(" of job {ticket}")).unwrap_or_default();
    let what = match broken.problem {
        LinkProblem::Changed => "it, or an event logged before it, was changed or deleted outside Revive",
        LinkProblem::Unlinked => "it was written into the store outside Revive",
        LinkProblem::EventDeleted => "the event was deleted outside Revive",
    };
    fail(Exit::Warnings, format!("audit: broken at event {}{job}: {what}", broken.event_id))
}
