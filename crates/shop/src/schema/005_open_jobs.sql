-- Protocol 5: the jobs not ended yet, in the history's received order, on their own: "still open"
-- with another filter no longer walks every ended job first. The condition names the shipped
-- flow's final statuses exactly as the history writes "open"; a shop whose flow ends elsewhere
-- asks with other statuses, and the index is simply not used.

CREATE INDEX shop_jobs_open ON shop_jobs (created_at, bench, job_id) WHERE status NOT IN ('returned', 'scrapped', 'rma');
