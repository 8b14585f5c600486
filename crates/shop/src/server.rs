//! Reaching the shop server: connection settings, TLS whenever the server is off this machine,
//! and the protocol both sides speak. The schema is installed or moved forward by whoever connects
//! first after an update, under a lock, and a server a newer Revive moved on is refused by name.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config};

use revive_core::shop::link::ShopLink;
use revive_core::workshop::Workshop;

use crate::error::{ShopError, ShopResult};

/// The protocol this build speaks: one schema step per version, applied in order.
pub const PROTOCOL: i32 = 8;
const SCHEMA: [&str; PROTOCOL as usize] = [
    include_str!("schema/001_test_room.sql"),
    include_str!("schema/002_shop_jobs.sql"),
    include_str!("schema/003_bench_codes.sql"),
    include_str!("schema/004_shop_history.sql"),
    include_str!("schema/005_open_jobs.sql"),
    include_str!("schema/006_hand_overs.sql"),
    include_str!("schema/007_folded_search.sql"),
    include_str!("schema/008_covering_search.sql"),
];

/// Any key, so two processes installing the schema at once take turns.
const SCHEMA_LOCK: i64 = 0x5245_5649_5645; // "REVIVE"

/// Where the shop server is and how to prove who we are.
#[derive(Clone)]
pub struct ShopServer {
    config: Config,
    /// The shop's own certificate authority, for a server whose certificate the system does not know.
    ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for ShopServer {
    /// Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopServer").field("hosts", &self.config.get_hosts()).field("ca_file", &self.ca_file).finish()
    }
}

impl ShopServer {
    /// From a libpq connection string (`host=… dbname=… user=…` or `postgresql://…`), the password
    /// given apart (from the keyring or a file only its owner reads). TLS is required for a server
    /// off this machine: `sslmode=disable` towards one is refused, and `prefer` becomes `require`.
    pub fn new(connection: &str, password: Option<&str>, ca_file: Option<PathBuf>) -> ShopResult<ShopServer> {
        let mut config: Config =
            connection.parse().map_err(|error: postgres::Error| ShopError::Settings(error.to_string()))?;
        if config.get_hosts().is_empty() {
            return Err(ShopError::Settings("no host".into()));
        }
        if config.get_dbname().is_none() {
            return Err(ShopError::Settings("no database (dbname)".into()));
        }
        if config.get_user().is_none() {
            return Err(ShopError::Settings("no user".into()));
        }
        if let Some(password) = password {
            config.password(password);
        }
        let remote = config.get_hosts().iter().find_map(|host| match host {
            Host::Tcp(name) if !is_loopback(name) => Some(name.clone()),
            _ => None,
        });
        if let Some(host) = remote {
            if config.get_ssl_mode() == SslMode::Disable {
                return Err(ShopError::TlsRequired { host });
            }
            config.ssl_mode(SslMode::Require);
        }
        config.connect_timeout(Duration::from_secs(10));
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("revive");
        Ok(ShopServer { config, ca_file })
    }

    /// A connection that speaks this build's protocol, the schema installed or moved forward first.
    pub fn connect(&self) -> ShopResult<Client> {
        let mut builder = native_tls::TlsConnector::builder();
        if let Some(ca_file) = &self.ca_file {
            let pem = std::fs::read(ca_file)
                .map_err(|error| ShopError::Settings(format!("cannot read {}: {error}", ca_file.display())))?;
            let ca = native_tls::Certificate::from_pem(&pem)
                .map_err(|error| ShopError::Settings(format!("{}: {error}", ca_file.display())))?;
            builder.add_root_certificate(ca);
        }
        let tls = builder.build().map_err(|error| ShopError::Settings(error.to_string()))?;
        let mut client =
            self.config.connect(postgres_native_tls::MakeTlsConnector::new(tls)).map_err(ShopError::Unreachable)?;
        agree_on_protocol(&mut client)?;
        Ok(client)
    }
}

/// A connection to the shop server this bench is linked to, kept between uses (a refresh every few
/// seconds must not cost a TLS handshake and a protocol check each time), opened again when the
/// link names another server or the server dropped it.
#[derive(Default)]
pub struct LinkedConnection {
    open: Option<(String, Client)>,
}

impl LinkedConnection {
    /// Runs `work` on the connection to `workshop`'s shop server, opening it first if need be.
    pub fn with<T>(
        &mut self,
        workshop: &Workshop,
        work: impl FnOnce(&mut Client, &ShopLink) -> ShopResult<T>,
    ) -> ShopResult<T> {
        let link = workshop.shop_link().get()?.ok_or(ShopError::NotLinked)?;
        let reusable =
            matches!(&self.open, Some((connection, client)) if *connection == link.connection && !client.is_closed());
        if !reusable {
            self.open = None;
            let password = workshop.shop_link().password()?;
            let client = ShopServer::new(&link.connection, password.as_deref(), None)?.connect()?;
            self.open = Some((link.connection.clone(), client));
        }
        let Some((_, client)) = self.open.as_mut() else { return Err(ShopError::NotLinked) };
        let result = work(client, &link);
        if matches!(result, Err(ShopError::Unreachable(_))) {
            self.open = None;
        }
        result
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// Installs the schema on an empty server, moves an older one forward, and refuses one that a
/// newer Revive already moved on.
fn agree_on_protocol(client: &mut Client) -> ShopResult<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS revive_protocol (version integer NOT NULL)")?;
    let server: i32 = tx.query_opt("SELECT version FROM revive_protocol", &[])?.map_or(0, |row| row.get(0));
    if server > PROTOCOL {
        return Err(ShopError::Protocol { server, ours: PROTOCOL });
    }
    for step in &SCHEMA[server as usize..] {
        tx.batch_execute(step)?;
    }
    if server == 0 {
        tx.execute("INSERT INTO revive_protocol (version) VALUES ($1)", &[&PROTOCOL])?;
    } else if server < PROTOCOL {
        tx.execute("UPDATE revive_protocol SET version = $1", &[&PROTOCOL])?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_off_this_machine_needs_tls() {
        for refused in [
            "host=shop.example dbname=revive user=bench sslmode=disable",
            "postgresql://bench@10.0.0.5/revive?sslmode=disable",
        ] {
            assert!(matches!(ShopServer::new(refused, None, None), Err(ShopError::TlsRequired { .. })), "{refused}");
        }
        for upgraded in
            ["host=shop.example dbname=revive user=bench", "postgresql://bench@10.0.0.5/revive?sslmode=prefer"]
        {
            let remote = ShopServer::new(upgraded, Some("秘密"), None).unwrap();
            assert_eq!(remote.config.get_ssl_mode(), SslMode::Require, "{upgraded}");
        }
        for local in [
            "host=/run/postgresql dbname=revive user=bench",
            "host=127.0.0.1 dbname=revive user=bench sslmode=disable",
            "postgresql://bench@localhost/revive",
        ] {
            assert!(ShopServer::new(local, None, None).is_ok(), "{local}");
        }
    }

    #[test]
    fn settings_that_name_no_server_are_refused() {
        for wrong in [
            "",
            "dbname=revive user=bench",
            "host=shop.example user=bench",
            "host=shop.example dbname=revive",
            "host=x port=notaport dbname=a user=b",
        ] {
            assert!(matches!(ShopServer::new(wrong, None, None), Err(ShopError::Settings(_))), "{wrong}");
        }
    }

    /// A server any earlier Revive set up, holding a job a bench pushed then, moves forward to
    /// this protocol on the next connection, and the whole shop's history finds the job.
    #[test]
    fn a_server_at_any_earlier_protocol_moves_forward_with_its_jobs() {
        use revive_core::history::HistoryQuery;
        use revive_core::jobs::intake::IntakeForm;
        use revive_core::paths::Shipped;

        let dir = tempfile::tempdir().unwrap();
        let shop = Workshop::open(dir.path(), Shipped::resolve(None)).unwrap();
        let form = IntakeForm {
            customer_name: "深圳智算云科技有限公司".into(),
            model_id: "h100-sxm5-80gb".into(),
            board_serial: "１６５４９２２０１２３４５".into(),
            symptom_observed: "训练时 Xid 79，掉卡".into(),
            quote_amount: "１２０００".into(),
            quote_currency: "CNY".into(),
            ..Default::default()
        };
        shop.jobs().intake(&form, &shop.technician_or_first("王芳").unwrap()).unwrap();
        let job = shop.outbox().next(1, "bench-1").unwrap().remove(0);
        let document: serde_json::Value = serde_json::from_str(&job.document).unwrap();
        let query = HistoryQuery { text: "智算云".into(), ..Default::default() }.check(shop.catalogs()).unwrap();

        let pg = revive_test_postgres::TestServer::start();
        for earlier in 0..PROTOCOL {
            let connection = pg.database(&format!("protocol_{earlier}"));
            let mut old = Client::connect(&connection, postgres::NoTls).unwrap();
            if earlier > 0 {
                old.batch_execute("CREATE TABLE revive_protocol (version integer NOT NULL)").unwrap();
                old.execute("INSERT INTO revive_protocol (version) VALUES ($1)", &[&earlier]).unwrap();
            }
            for step in &SCHEMA[..earlier as usize] {
                old.batch_execute(step).unwrap();
            }
            // Protocol 2 brought the shop's jobs, protocol 6 their holders: what a bench pushed then.
            if earlier >= 2 {
                old.execute("INSERT INTO shop_benches (name) VALUES ('bench-1')", &[]).unwrap();
                let insert = if earlier >= 6 {
                    "INSERT INTO shop_jobs (bench, job_id, holder, version, ticket, document)
                     VALUES ('bench-1', $1, 'bench-1', $2, $3, $4)"
                } else {
                    "INSERT INTO shop_jobs (bench, job_id, version, ticket, document) VALUES ('bench-1', $1, $2, $3, $4)"
                };
                old.execute(insert, &[&job.job_id, &job.version, &job.ticket, &document]).unwrap();
            }
            drop(old);

            let mut client = ShopServer::new(&connection, None, None).unwrap().connect().unwrap();
            let version: i32 = client.query_one("SELECT version FROM revive_protocol", &[]).unwrap().get(0);
            assert_eq!(version, PROTOCOL, "from protocol {earlier}");
            let page =
                crate::history::page(&mut client, &query, 0, 100, &mut crate::history::PageAnchors::default()).unwrap();
            let found: Vec<_> = page.rows.iter().map(|row| (row.ticket.as_str(), row.bench.as_deref())).collect();
            let expected = if earlier >= 2 { vec![(job.ticket.as_str(), Some("bench-1"))] } else { vec![] };
            assert_eq!(found, expected, "from protocol {earlier}");
        }
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let server = ShopServer::new("host=shop.example dbname=revive user=bench", Some("王芳的密码"), None).unwrap();
        assert!(!format!("{server:?}").contains("王芳的密码"));
    }
}
