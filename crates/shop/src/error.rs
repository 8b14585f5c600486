//! What can go wrong between a bench or an agent and the shop server.

use revive_core::error::{CoreError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The bench has no shop server set (Settings → Shop server).
    #[error("this bench is not linked to a shop server")]
    NotLinked,
    #[error("the shop server's connection settings are not valid: {0}")]
    Settings(String),
    /// A server off this machine without TLS would send customers and results in clear text.
    #[error("the shop server at {host} is not on this machine, so the connection must use TLS (sslmode=require or verify-full)")]
    TlsRequired { host: String },
    #[error("cannot reach the shop server: {0}")]
    Unreachable(#[source] postgres::Error),
    #[error("the shop server said: {0}")]
    Server(#[source] postgres::Error),
    /// The server speaks another version of the protocol: one side must be updated first.
    #[error("the shop server uses protocol {server} and this Revive protocol {ours}: {}", if .server > .ours { "update this Revive" } else { "update Revive on the other benches and agents first" })]
    Protocol { server: i32, ours: i32 },
    #[error("the shop server holds something this Revive cannot read: {0}")]
    Unreadable(String),
    /// Numbers with the code would repeat the other bench's.
    #[error("the bench code {code} is already bench {bench}'s in this shop; choose another")]
    BenchCodeTaken { code: String, bench: String },
    #[error("the shop server has no such job")]
    JobNotInShop,
    /// Pushed by a Revive older than hand-overs: its bench sends it again with its rows on its next push.
    #[error("job {0} has not reached the shop server whole yet: take it over once its bench has synced")]
    NotTakeable(String),
    /// Benches numbered alone before bench codes could give the same number.
    #[error("more than one bench has a job numbered {0}: take it over from the whole shop's history")]
    TicketOnSeveralBenches(String),
    #[error("that conflict was settled already")]
    ConflictSettled,
    #[error("there is no {what} {name} in the test room")]
    NotInRoom { what: &'static str, name: String },
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl ShopError {
    /// The code the window's message catalog and scripts know it by.
    pub fn code(&self) -> ErrorCode {
        match self {
            ShopError::NotLinked => ErrorCode::ShopNotLinked,
            ShopError::Settings(_) => ErrorCode::ShopSettings,
            ShopError::TlsRequired { .. } => ErrorCode::ShopTlsRequired,
            ShopError::Unreachable(_) => ErrorCode::ShopUnreachable,
            ShopError::Server(_) => ErrorCode::ShopRefused,
            ShopError::Protocol { .. } => ErrorCode::ShopProtocol,
            ShopError::Unreadable(_) => ErrorCode::ShopUnreadable,
            ShopError::BenchCodeTaken { .. } => ErrorCode::ShopBenchCodeTaken,
            ShopError::NotInRoom { .. } => ErrorCode::NotInTestRoom,
            ShopError::JobNotInShop => ErrorCode::JobNotInShop,
            ShopError::NotTakeable(_) => ErrorCode::ShopJobNotTakeable,
            ShopError::ConflictSettled => ErrorCode::ShopConflictSettled,
            ShopError::TicketOnSeveralBenches(_) => ErrorCode::ShopTicketOnSeveralBenches,
            ShopError::Core(error) => error.code(),
        }
    }
}

impl From<postgres::Error> for ShopError {
    /// A closed or refused connection is "unreachable" (the caller retries later); anything else is
    /// the server refusing what was asked.
    fn from(error: postgres::Error) -> ShopError {
        if error.is_closed() || error.as_db_error().is_none() {
            ShopError::Unreachable(error)
        } else {
            ShopError::Server(error)
        }
    }
}

pub type ShopResult<T> = Result<T, ShopError>;
