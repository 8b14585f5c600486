//! `revive-test-postgres`: a throwaway PostgreSQL for the real-window journeys. Prints the
//! connection string of its database `revive` on one line, serves until its standard input closes
//! (the journey ended, or died), then stops and removes everything.

use std::io::{BufRead, Write};

use revive_test_postgres::TestServer;

fn main() {
    let server = TestServer::start();
    let connection = server.database("revive");
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{connection}");
    let _ = stdout.flush();
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
    drop(server);
}
