//! A PostgreSQL server of the tests' own: the distribution's binaries (`scripts/deps.sh --test`
//! installs them) run `initdb` into a temporary folder and serve on a unix socket inside it, so
//! nothing else on the machine is touched and nothing listens on the network. Dropping the server
//! stops it and deletes its folder. As root, PostgreSQL refuses to run: it runs as the `postgres`
//! account the package created.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The port only names the socket file in the server's own folder, so every server can use it.
const PORT: u16 = 5432;

pub struct TestServer {
    folder: tempfile::TempDir,
    bin: PathBuf,
    running: bool,
    /// Set by [`TestServer::start_with_tls`]: the loopback port it also listens on.
    tls_port: Option<u16>,
}

impl TestServer {
    /// A new, empty, running server. Panics with what went wrong: a test without its server
    /// cannot say anything.
    pub fn start() -> TestServer {
        TestServer::start_as(false)
    }

    /// As [`TestServer::start`], and also listening on a loopback port with TLS, its certificate
    /// (for `localhost`) signed by a certificate authority of its own: [`TestServer::ca_file`].
    pub fn start_with_tls() -> TestServer {
        TestServer::start_as(true)
    }

    fn start_as(tls: bool) -> TestServer {
        let bin = binaries().unwrap_or_else(|| {
            panic!("PostgreSQL is not installed: run scripts/deps.sh --test (it installs postgresql)")
        });
        let folder = tempfile::Builder::new().prefix("revive-pg-").tempdir().expect("a temporary folder");
        if as_root() {
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(folder.path()));
        }
        let tls_port = tls.then(|| {
            make_certificates(folder.path());
            free_port()
        });
        let mut server = TestServer { folder, bin, running: false, tls_port };
        let data = server.data();
        server.run_as_owner(
            Command::new(server.bin.join("initdb"))
                .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "-D"])
                .arg(&data),
        );
        server.start_again();
        server
    }

    /// Starts the server after [`TestServer::stop`] (the same data, the same socket).
    pub fn start_again(&mut self) {
        let folder = self.folder.path().display();
        let options = match self.tls_port {
            None => format!(
                "-c listen_addresses='' -c unix_socket_directories='{folder}' -p {PORT} -c fsync=off -c max_connections=300"
            ),
            Some(port) => format!(
                "-c listen_addresses='127.0.0.1' -c unix_socket_directories='{folder}' -p {port} -c fsync=off \
                 -c ssl=on -c ssl_cert_file='{folder}/server.crt' -c ssl_key_file='{folder}/server.key'"
            ),
        };
        self.run_as_owner(
            Command::new(self.bin.join("pg_ctl"))
                .args(["-w", "-t", "60", "-l"])
                .arg(self.folder.path().join("server.log"))
                .arg("-D")
                .arg(self.data())
                .args(["-o", &options, "start"]),
        );
        self.running = true;
        self.wait_ready();
    }

    /// Stops the server at once, as a crash or a pulled cable would look to its clients.
    pub fn stop(&mut self) {
        self.run_as_owner(Command::new(self.bin.join("pg_ctl")).arg("-D").arg(self.data()).args([
            "-m",
            "immediate",
            "-w",
            "stop",
        ]));
        self.running = false;
    }

    /// Creates database `name` and returns its connection string.
    pub fn database(&self, name: &str) -> String {
        self.run_as_owner(Command::new(self.bin.join("createdb")).arg("-h").arg(self.folder.path()).args([
            "-p",
            &self.port().to_string(),
            "-U",
            "postgres",
            name,
        ]));
        self.connection_string(name)
    }

    /// `host=… port=… user=postgres dbname=…` for libpq-style clients.
    pub fn connection_string(&self, database: &str) -> String {
        format!("host={} port={} user=postgres dbname={database}", self.folder.path().display(), self.port())
    }

    /// Database `database` over TCP on loopback, TLS required (a server from [`TestServer::start_with_tls`]).
    pub fn tls_connection_string(&self, database: &str) -> String {
        format!("host=localhost port={} user=postgres dbname={database} sslmode=require", self.port())
    }

    /// The certificate authority that signed a TLS server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.folder.path().join("ca.crt")
    }

    fn port(&self) -> u16 {
        self.tls_port.unwrap_or(PORT)
    }

    /// The server's main process (its first line of `postmaster.pid`), to measure what it costs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data().join("postmaster.pid")).ok()?.lines().next()?.trim().parse().ok()
    }

    /// What the server wrote to its log, for a failing test to show.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("server.log")).unwrap_or_default()
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .arg("-h")
                .arg(self.folder.path())
                .args(["-p", &self.port().to_string(), "-q"])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "the test PostgreSQL did not come up:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn run_as_owner(&self, command: &mut Command) -> Output {
        run(&mut as_owner(command))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.running {
            let mut stop = Command::new(self.bin.join("pg_ctl"));
            stop.arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]);
            let _ = as_owner(&mut stop).output();
        }
    }
}

/// The command as the account that owns the server's files: `postgres` when the tests run as root.
fn as_owner(command: &mut Command) -> Command {
    let mut owned = if as_root() {
        let mut wrapped = Command::new("runuser");
        wrapped.args(["-u", "postgres", "--"]).arg(command.get_program());
        wrapped
    } else {
        Command::new(command.get_program())
    };
    owned.args(command.get_args());
    owned
}

/// A certificate authority and a server certificate for `localhost` it signed, made with the
/// `openssl` program; the server's key readable by the server's account only, as PostgreSQL demands.
fn make_certificates(folder: &Path) {
    let openssl = |args: &[&str]| run(Command::new("openssl").current_dir(folder).args(args));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Revive test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(folder.join("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        .expect("the certificate's names");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ]);
    std::fs::set_permissions(folder.join("server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("the key's permissions");
    if as_root() {
        run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(folder));
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port").port()
}

/// The newest installed PostgreSQL's programs (Debian keeps them per version).
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
