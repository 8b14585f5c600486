//! `revive sync`: pushes this bench's changed jobs to the shop server it is linked to (Settings →
//! Shop server) and reads what changed there for the jobs it keeps, once; for scripts and for a
//! bench whose window is closed. `revive take`: takes a job over from the bench holding it.
//! `revive link`: links the bench to the shop server, as Settings → Shop server does.

use std::path::PathBuf;

use revive_core::paths::{self, Shipped};
use revive_core::shop::link::ShopLinkForm;
use revive_core::workshop::Workshop;
use revive_shop::server::LinkedConnection;
use revive_shop::{sync, ShopError, ShopResult};

use super::open_workshop;
use crate::exit::Exit;
use crate::output::{emit, fail};

pub fn run(data_dir: Option<PathBuf>) -> Exit {
    on_linked_bench(data_dir, |shop, bench| {
        let (pushed, pulled) = LinkedConnection::default().with(shop, |client, link| {
            let pushed = sync::push(client, shop, link)?;
            Ok((pushed, sync::pull(client, shop, link)?))
        })?;
        let mut said = format!(
            "{bench}: pushed {} job(s) and {} photo(s); {} waiting",
            pushed.jobs, pushed.photos, pushed.waiting
        );
        let counts = [
            (pushed.refused, "refused as conflicting (the manager decides)"),
            (pushed.caught_up + pulled.caught_up, "caught up with the shop server"),
            (pulled.followed, "followed on other benches"),
            (pulled.set_aside, "set aside"),
            (pulled.back, "back here"),
        ];
        for (count, what) in counts.into_iter().filter(|(count, _)| *count > 0) {
            said.push_str(&format!("; {count} {what}"));
        }
        Ok(said)
    })
}

pub fn take(ticket: &str, by: Option<&str>, data_dir: Option<PathBuf>) -> Exit {
    on_linked_bench(data_dir, |shop, bench| {
        let by = match by {
            Some(name) => shop.technician_or_first(name)?,
            None => shop.technician()?,
        };
        let (job_id, from) = LinkedConnection::default().with(shop, |client, link| {
            let key = sync::key_of(client, ticket)?;
            let taken = sync::take(client, shop, link, &key, &by)?;
            // Its log now says who took it: pushed at once, as the window's next round would.
            sync::push(client, shop, link)?;
            Ok(taken)
        })?;
        let ticket = shop.jobs().get(job_id)?.ticket;
        Ok(format!("{bench}: {ticket} is here now (job {job_id}), taken over from {from} by {}", by.name()))
    })
}

/// What `revive link` was given.
pub struct Link {
    pub server: String,
    pub bench: String,
    pub code: String,
    pub password_file: Option<PathBuf>,
}

/// Links the bench in `data_dir` (a new one is made there if there is none yet: a bench set up by
/// a script).
pub fn link(link: Link, data_dir: Option<PathBuf>) -> Exit {
    let Some(data_dir) = data_dir.or_else(paths::data_dir) else {
        return fail(Exit::BadArguments, "no data folder: pass --data-dir");
    };
    let shop = match Workshop::open(&data_dir, Shipped::resolve(None)) {
        Ok(shop) => shop,
        Err(error) => return fail(Exit::Unreadable, format!("cannot open {}: {error}", data_dir.display())),
    };
    let password = match link.password_file.as_deref().map(super::agent::read_password).transpose() {
        Ok(password) => password.unwrap_or_default(),
        Err(message) => return fail(Exit::BadArguments, message),
    };
    let form = ShopLinkForm { connection: link.server, bench: link.bench, code: link.code, password };
    if let Err(error) = shop.shop_link().save(&form) {
        return fail(Exit::BadArguments, error);
    }
    linked(&shop, |shop, bench| {
        let waiting = shop.outbox().waiting()?;
        let link = LinkedConnection::default().with(shop, |client, link| {
            sync::introduce(client, shop, link, waiting)?;
            Ok(shop.shop_link().get()?)
        })?;
        let code = link.map(|link| link.code).unwrap_or_default();
        Ok(format!("{bench}: linked to the shop server, numbering with code {code}; {waiting} job(s) to push"))
    })
}

/// Runs `work` on the bench in `data_dir`, which must be linked to a shop server, and prints what it says.
fn on_linked_bench(data_dir: Option<PathBuf>, work: impl FnOnce(&Workshop, &str) -> ShopResult<String>) -> Exit {
    match open_workshop(data_dir) {
        Ok(shop) => linked(&shop, work),
        Err(message) => fail(Exit::Unreadable, message),
    }
}

fn linked(shop: &Workshop, work: impl FnOnce(&Workshop, &str) -> ShopResult<String>) -> Exit {
    let bench = match shop.shop_link().get() {
        Ok(Some(link)) => link.bench,
        Ok(None) => return fail(Exit::BadArguments, ShopError::NotLinked),
        Err(error) => return fail(Exit::Unreadable, error),
    };
    match work(shop, &bench) {
        Ok(said) => {
            emit(&format!("{said}\n"));
            Exit::Ok
        }
        Err(error @ ShopError::Core(_)) => fail(Exit::Unreadable, error),
        Err(error) => fail(Exit::ShopServer, error),
    }
}
