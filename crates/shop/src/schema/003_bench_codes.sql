-- Protocol 3: each bench's code in the numbers it gives (RV-2026-B3-000123), handed out once. A
-- code stays its bench's for good, also after the bench takes another, so no number is ever given
-- twice in the shop.

CREATE TABLE shop_bench_codes (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{0,3}$'),
    bench      text NOT NULL REFERENCES shop_benches (name),
    claimed_at timestamptz NOT NULL DEFAULT now()
);
