//! Job statuses and the allowed moves between them, loaded from `rules/status-flow.json`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::rules_file::{self, RulesFile};

const SCHEMA_VERSION: u64 = 1;
/// In the flow file, "go back to the status the job was held from".
const RESUME: &str = "$resume";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Intake,
    Diagnosing,
    AwaitingApproval,
    WaitingForParts,
    Repairing,
    BurnIn,
    Qc,
    Ready,
    Returned,
    OnHold,
    Scrapped,
    Rma,
}

impl Status {
    pub const ALL: [Status; 12] = [
        Status::Intake,
        Status::Diagnosing,
        Status::AwaitingApproval,
        Status::WaitingForParts,
        Status::Repairing,
        Status::BurnIn,
        Status::Qc,
        Status::Ready,
        Status::Returned,
        Status::OnHold,
        Status::Scrapped,
        Status::Rma,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Status::Intake => "intake",
            Status::Diagnosing => "diagnosing",
            Status::AwaitingApproval => "awaiting_approval",
            Status::WaitingForParts => "waiting_for_parts",
            Status::Repairing => "repairing",
            Status::BurnIn => "burn_in",
            Status::Qc => "qc",
            Status::Ready => "ready",
            Status::Returned => "returned",
            Status::OnHold => "on_hold",
            Status::Scrapped => "scrapped",
            Status::Rma => "rma",
        }
    }

    /// Parses a status id coming from a person or the store.
    pub fn parse(id: &str) -> CoreResult<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.id() == id)
            .ok_or(CoreError::invalid(Field::Status, if id.is_empty() { Problem::Empty } else { Problem::Unknown }))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowFile {
    #[serde(rename = "schema_version")]
    _schema_version: u32,
    initial: String,
    statuses: Vec<StatusEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusEntry {
    id: String,
    next: Vec<String>,
    #[serde(default)]
    reason_required: bool,
    /// A certificate may be issued while a job is here (the card has passed QC).
    #[serde(default)]
    certificate: bool,
    /// The card may go back to its customer from here, with a hand-over slip.
    #[serde(default)]
    hand_over: bool,
}

/// Where a job may go next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    To(Status),
    /// Back to the status the job was put on hold from.
    Resume,
}

#[derive(Debug)]
pub struct StatusFlow {
    initial: Status,
    next: HashMap<Status, Vec<Target>>,
    reason_required: HashSet<Status>,
    certificate: HashSet<Status>,
    hand_over: HashSet<Status>,
    /// The statuses in the file's order, which is the order work goes in.
    order: Vec<Status>,
}

impl StatusFlow {
    pub const FILE: RulesFile =
        RulesFile { name: "status-flow.json", shipped: include_str!("../../../../rules/status-flow.json") };

    pub fn from_json(text: &str) -> CoreResult<StatusFlow> {
        let invalid = |reason: String| Self::FILE.invalid(reason);
        let status = |id: &str| Status::parse(id).map_err(|_| invalid(format!("unknown status {id:?}")));
        let file: FlowFile = rules_file::parse(Self::FILE, text, SCHEMA_VERSION)?;
        let mut next = HashMap::new();
        let mut reason_required = HashSet::new();
        let mut certificate = HashSet::new();
        let mut hand_over = HashSet::new();
        let mut order = Vec::new();
        for entry in &file.statuses {
            let from = status(&entry.id)?;
            order.push(from);
            let targets = entry
                .next
                .iter()
                .map(|id| if id == RESUME { Ok(Target::Resume) } else { status(id).map(Target::To) })
                .collect::<CoreResult<Vec<_>>>()?;
            if next.insert(from, targets).is_some() {
                return Err(invalid(format!("status {} listed twice", entry.id)));
            }
            if entry.reason_required {
                reason_required.insert(from);
            }
            if entry.certificate {
                certificate.insert(from);
            }
            if entry.hand_over {
                hand_over.insert(from);
            }
        }
        if let Some(missing) = Status::ALL.iter().find(|s| !next.contains_key(s)) {
            return Err(invalid(format!("status {} has no entry", missing.id())));
        }
        Ok(StatusFlow { initial: status(&file.initial)?, next, reason_required, certificate, hand_over, order })
    }

    pub fn initial(&self) -> Status {
        self.initial
    }

    /// The statuses a job in `from` may move to; `held_from` resolves a resume from on-hold.
    pub fn allowed(&self, from: Status, held_from: Option<Status>) -> Vec<Status> {
        self.next[&from]
            .iter()
            .filter_map(|target| match target {
                Target::To(status) => Some(*status),
                Target::Resume => held_from,
            })
            .collect()
    }

    pub fn check(&self, from: Status, to: Status, held_from: Option<Status>) -> CoreResult<()> {
        if self.allowed(from, held_from).contains(&to) {
            Ok(())
        } else {
            Err(CoreError::IllegalTransition { from: from.id().into(), to: to.id().into() })
        }
    }

    /// Moving into these (hold, scrap, RMA) must say why.
    pub fn needs_reason(&self, to: Status) -> bool {
        self.reason_required.contains(&to)
    }

    pub fn is_terminal(&self, status: Status) -> bool {
        self.next[&status].is_empty()
    }

    fn position(&self, status: Status) -> usize {
        self.order.iter().position(|s| *s == status).unwrap_or(usize::MAX)
    }

    pub fn allows_certificate(&self, status: Status) -> bool {
        self.certificate.contains(&status)
    }

    pub fn allows_hand_over(&self, status: Status) -> bool {
        self.hand_over.contains(&status)
    }

    /// The fewest moves that take a job from `from` to `to` the way finished work implies: forward
    /// only (each status later in the flow file than the one before, so work never walks a job back
    /// to repairing), through the ordinary statuses only, never through a hold, a scrap or an RMA
    /// (those need a person's reason), and never out of one. Empty when the job is already there;
    /// `None` when no such way exists.
    pub fn implied_path(&self, from: Status, to: Status) -> Option<Vec<Status>> {
        if from == to {
            return Some(Vec::new());
        }
        if self.needs_reason(from) {
            return None;
        }
        let mut came_from: HashMap<Status, Status> = HashMap::new();
        let mut frontier = std::collections::VecDeque::from([from]);
        while let Some(status) = frontier.pop_front() {
            for target in &self.next[&status] {
                let Target::To(next) = *target else { continue };
                let backwards = self.position(next) <= self.position(status);
                if next == from || backwards || came_from.contains_key(&next) || (next != to && self.needs_reason(next))
                {
                    continue;
                }
                came_from.insert(next, status);
                if next == to {
                    let mut path = vec![to];
                    while let Some(&previous) = came_from.get(path.last()?).filter(|&&p| p != from) {
                        path.push(previous);
                    }
                    path.reverse();
                    return Some(path);
                }
                frontier.push_back(next);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_flow_follows_the_shop_ticket_practice() {
        let flow = &crate::workshop::Catalogs::built_in().unwrap().flow;
        assert_eq!(flow.initial(), Status::Intake);
        let happy_path = [
            Status::Intake,
            Status::Diagnosing,
            Status::AwaitingApproval,
            Status::WaitingForParts,
            Status::Repairing,
            Status::BurnIn,
            Status::Qc,
            Status::Ready,
            Status::Returned,
        ];
        for pair in happy_path.windows(2) {
            flow.check(pair[0], pair[1], None).unwrap();
        }
        for terminal in [Status::Returned, Status::Scrapped, Status::Rma] {
            assert!(flow.is_terminal(terminal));
        }
        assert!(flow.needs_reason(Status::OnHold) && flow.needs_reason(Status::Scrapped));
        assert!(!flow.needs_reason(Status::Diagnosing));
    }

    #[test]
    fn jumps_are_illegal() {
        let flow = &crate::workshop::Catalogs::built_in().unwrap().flow;
        assert!(matches!(
            flow.check(Status::Intake, Status::Ready, None).unwrap_err(),
            CoreError::IllegalTransition { .. }
        ));
        assert!(flow.check(Status::Returned, Status::Repairing, None).is_err());
    }

    #[test]
    fn on_hold_resumes_only_where_it_was_held() {
        let flow = &crate::workshop::Catalogs::built_in().unwrap().flow;
        flow.check(Status::BurnIn, Status::OnHold, None).unwrap();
        flow.check(Status::OnHold, Status::BurnIn, Some(Status::BurnIn)).unwrap();
        assert!(flow.check(Status::OnHold, Status::Qc, Some(Status::BurnIn)).is_err());
    }

    #[test]
    fn finished_work_implies_the_ordinary_path_and_nothing_that_needs_a_reason() {
        let flow = &crate::workshop::Catalogs::built_in().unwrap().flow;
        assert_eq!(
            flow.implied_path(Status::Intake, Status::Ready).unwrap(),
            [
                Status::Diagnosing,
                Status::AwaitingApproval,
                Status::Repairing,
                Status::BurnIn,
                Status::Qc,
                Status::Ready
            ]
        );
        assert_eq!(flow.implied_path(Status::Qc, Status::Ready).unwrap(), [Status::Ready]);
        assert_eq!(flow.implied_path(Status::Ready, Status::Ready).unwrap(), []);
        assert_eq!(flow.implied_path(Status::Intake, Status::Rma).unwrap(), [Status::Diagnosing, Status::Rma]);
        // Out of a hold, back from a hand-over or past the end: only a person decides.
        assert_eq!(flow.implied_path(Status::OnHold, Status::Ready), None);
        assert_eq!(flow.implied_path(Status::Returned, Status::Ready), None);
        assert_eq!(flow.implied_path(Status::Ready, Status::Qc), None);
        // Scrapped during burn-in: not by way of a repair that did not happen.
        assert_eq!(flow.implied_path(Status::BurnIn, Status::Scrapped), None);
        assert_eq!(flow.implied_path(Status::BurnIn, Status::Rma).unwrap(), [Status::Rma]);
        assert_eq!(flow.implied_path(Status::Qc, Status::Scrapped), None);
    }

    #[test]
    fn certificates_issue_once_the_card_passed_qc() {
        let flow = &crate::workshop::Catalogs::built_in().unwrap().flow;
        let allowed: Vec<Status> = Status::ALL.into_iter().filter(|s| flow.allows_certificate(*s)).collect();
        assert_eq!(allowed, [Status::Ready, Status::Returned]);
    }

    #[test]
    fn a_card_goes_back_repaired_or_scrapped_never_from_the_bench() {
        let flow = &crate::workshop::Catalogs::built_in().unwrap().flow;
        let allowed: Vec<Status> = Status::ALL.into_iter().filter(|s| flow.allows_hand_over(*s)).collect();
        assert_eq!(allowed, [Status::Ready, Status::Returned, Status::Scrapped]);
    }

    #[test]
    fn every_status_must_be_described() {
        let partial = r#"{"schema_version":1,"initial":"intake","statuses":[{"id":"intake","next":[]}]}"#;
        assert!(StatusFlow::from_json(partial).is_err());
        let unknown = r#"{"schema_version":1,"initial":"intake","statuses":[{"id":"fixed","next":[]}]}"#;
        assert!(StatusFlow::from_json(unknown).is_err());
    }
}
