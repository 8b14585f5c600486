//! A failure the window is shown leaves its trace in the data folder's log, causes and all, and a
//! refused input does not read as a failure there. (Its own test binary: the log is process-wide.)

use revive_app::logging;
use revive_app::IpcError;
use revive_core::{CoreError, Field, Problem};

#[test]
fn failures_shown_to_the_technician_are_logged_with_their_causes() {
    let dir = tempfile::tempdir().unwrap();
    assert!(logging::start(dir.path()), "the log starts in a writable folder");
    let disk_full = std::io::Error::other("No space left on device (os error 28)");
    let shown = IpcError::from(CoreError::FileWrite(disk_full));
    assert_eq!(serde_json::to_value(&shown).unwrap()["code"], "file_write_failed");
    let refused = IpcError::from(CoreError::invalid(Field::CustomerName, Problem::Invisible));
    assert_eq!(refused.field, Some(Field::CustomerName));
    let not_yet = IpcError::from(CoreError::GateClosed { step: "reread".into() });
    assert_eq!(serde_json::to_value(&not_yet).unwrap()["code"], "gate_closed");

    let files: Vec<_> = std::fs::read_dir(logging::log_dir(dir.path())).unwrap().map(|f| f.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let log = std::fs::read_to_string(&files[0]).unwrap();
    let failure = log.lines().find(|line| line.contains("FileWriteFailed")).expect(&log);
    assert!(failure.contains("ERROR") && failure.contains("No space left on device"), "{failure}");
    for expected in ["InvalidInput", "GateClosed"] {
        let line = log.lines().find(|line| line.contains(expected)).expect(&log);
        assert!(line.contains("INFO") && !line.contains("ERROR"), "{line}");
    }
}
