-- Schema 16: the jobs not ended yet, in order, on their own. Open jobs are a few in a hundred and
-- sit among the newest, so "still open" with another filter, read oldest first, walked tens of
-- thousands of ended jobs to fill a page. The condition names the shipped flow's final statuses
-- exactly as the history writes "open" (history::Outcome::open_sql); a shop whose flow ends
-- elsewhere asks with other statuses, and this index is simply not used.

CREATE INDEX jobs_open ON jobs (id) WHERE status NOT IN ('returned', 'scrapped', 'rma');
