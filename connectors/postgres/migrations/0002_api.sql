-- What the API needs beyond the first schema: per-user rate-limit overrides (NULL = the defaults of
-- ApiSettings; raised for market makers and the benchmark account) and the wallet transfers users
-- requested through the API (withdrawals to a bound address, dev faucet deposits). A transfer's
-- outcome is the ledger's: it is completed once a ledger entry carries its command id.

ALTER TABLE users
    ADD COLUMN requests_per_min integer CHECK (requests_per_min > 0),
    ADD COLUMN orders_per_s integer CHECK (orders_per_s > 0);

CREATE TABLE transfers (
    cmd_id        text PRIMARY KEY,               -- the command written to account.commands
    account_id    text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('deposit', 'withdraw')),
    asset         text NOT NULL,
    amount        numeric(39, 0) NOT NULL CHECK (amount > 0),
    address       text,                           -- withdrawals: the bound wallet paid out to
    requested_at  timestamptz NOT NULL
);
CREATE INDEX transfers_account_time ON transfers (account_id, requested_at DESC);
