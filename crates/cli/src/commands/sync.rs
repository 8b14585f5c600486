//! `revive sync`: pushes this bench's changed jobs to the shop server it is linked to (Settings →
//! Shop server), once; for scripts and for a bench whose window is closed.

use std::path::PathBuf;

use revive_shop::server::LinkedConnection;
use revive_shop::{sync, ShopError};

use super::open_workshop;
use crate::exit::Exit;
use crate::output::{emit, fail};

pub fn run(data_dir: Option<PathBuf>) -> Exit {
    let shop = match open_workshop(data_dir) {
        Ok(shop) => shop,
        Err(message) => return fail(Exit::Unreadable, message),
    };
    let bench = match shop.shop_link().get() {
        Ok(Some(link)) => link.bench,
        Ok(None) => return fail(Exit::BadArguments, ShopError::NotLinked),
        Err(error) => return fail(Exit::Unreadable, error),
    };
    let pushed = LinkedConnection::default().with(&shop, |client, link| sync::push(client, &shop, link));
    match pushed {
        Ok(pushed) => {
            emit(&format!(
                "{bench}: pushed {} job(s) and {} photo(s); {} waiting\n",
                pushed.jobs, pushed.photos, pushed.waiting
            ));
            Exit::Ok
        }
        Err(error @ ShopError::Core(_)) => fail(Exit::Unreadable, error),
        Err(error) => fail(Exit::ShopServer, error),
    }
}
