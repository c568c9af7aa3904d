-- FastTrading's first schema. Money is integers: prices in ticks, quantities in lots (bigint),
-- amounts in an asset's smallest unit (numeric(39,0), so sums over many accounts never overflow).
-- Time-series tables are range-partitioned by time and maintained by pg_partman; trades and
-- ledger entries are append-only.

CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;

CREATE TABLE users (
    user_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    text NOT NULL UNIQUE,          -- the ledger's account key on Kafka
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    key_id       text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (user_id),
    label        text NOT NULL DEFAULT '',
    secret_hash  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);

CREATE TABLE wallets (
    address    text PRIMARY KEY CHECK (address ~ '^0x[0-9a-f]{40}$'),  -- lower-case hex
    user_id    bigint NOT NULL REFERENCES users (user_id),
    chain_id   bigint NOT NULL DEFAULT 1,
    bound_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallets_user_id ON wallets (user_id);

CREATE TABLE orders (
    order_id         text PRIMARY KEY,
    account_id       text NOT NULL,
    client_order_id  text,
    symbol           text NOT NULL,
    side             text NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type       text NOT NULL,
    time_in_force    text NOT NULL,
    price_ticks      bigint,
    stop_price_ticks bigint,
    quantity_lots    bigint NOT NULL CHECK (quantity_lots > 0),
    filled_lots      bigint NOT NULL DEFAULT 0 CHECK (filled_lots >= 0),
    status           text NOT NULL,
    reject_reason    text,
    last_seq         bigint NOT NULL DEFAULT 0,  -- matcher sequence of the last applied event
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (account_id, client_order_id)
);
CREATE INDEX orders_account_created ON orders (account_id, created_at DESC);
CREATE INDEX orders_symbol_status ON orders (symbol, status);

CREATE TABLE trades (
    trade_id         text NOT NULL,              -- "<symbol>:<seq>", derived, never random
    symbol           text NOT NULL,
    seq              bigint NOT NULL,
    price_ticks      bigint NOT NULL CHECK (price_ticks > 0),
    quantity_lots    bigint NOT NULL CHECK (quantity_lots > 0),
    taker_side       text NOT NULL CHECK (taker_side IN ('buy', 'sell')),
    maker_order_id   text NOT NULL,
    taker_order_id   text NOT NULL,
    maker_account_id text NOT NULL,
    taker_account_id text NOT NULL,
    executed_at      timestamptz NOT NULL,
    PRIMARY KEY (trade_id, executed_at)
) PARTITION BY RANGE (executed_at);
CREATE INDEX trades_symbol_time ON trades (symbol, executed_at DESC);

CREATE TABLE ledger_entries (
    entry_id    text NOT NULL,                   -- "<command id>:<line>", derived, never random
    account_id  text NOT NULL,                   -- a user account, or a clearing/fee account
    asset       text NOT NULL,
    bucket      text NOT NULL CHECK (bucket IN ('available', 'held')),
    amount      numeric(39, 0) NOT NULL CHECK (amount <> 0),
    kind        text NOT NULL,                   -- deposit, withdraw, hold, release, trade, fee
    command_id  text NOT NULL,
    reference   text,                            -- the order or trade the line belongs to
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (entry_id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX ledger_entries_account_time ON ledger_entries (account_id, created_at DESC);

CREATE TABLE balances (
    account_id  text NOT NULL,
    asset       text NOT NULL,
    available   numeric(39, 0) NOT NULL DEFAULT 0,
    held        numeric(39, 0) NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, asset)
);

CREATE TABLE candles (
    symbol      text NOT NULL,
    interval    text NOT NULL CHECK (interval IN ('1m', '5m', '15m', '1h', '4h', '1d')),
    open_time   timestamptz NOT NULL,
    open_ticks  bigint NOT NULL,
    high_ticks  bigint NOT NULL,
    low_ticks   bigint NOT NULL,
    close_ticks bigint NOT NULL,
    volume_lots bigint NOT NULL,
    trade_count integer NOT NULL,
    PRIMARY KEY (symbol, interval, open_time)
) PARTITION BY RANGE (open_time);

CREATE TABLE alerts (
    alert_id    text NOT NULL,
    kind        text NOT NULL,                   -- anomaly, risk, prediction, sentiment
    symbol      text,
    account_id  text,
    score       double precision NOT NULL,       -- a model score, not money
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (alert_id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX alerts_kind_time ON alerts (kind, created_at DESC);

-- Trades and ledger entries are facts: corrections are new rows, never edits.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER trades_append_only BEFORE UPDATE OR DELETE ON trades
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- pg_partman creates partitions ahead of time (and a default one for stragglers); its background
-- worker runs maintenance and retention. Trades and the journal are kept forever: the audit sums them.
SELECT partman.create_parent('public.trades', 'executed_at', 'native', 'daily', p_premake := 7);
SELECT partman.create_parent('public.ledger_entries', 'created_at', 'native', 'daily', p_premake := 7);
SELECT partman.create_parent('public.candles', 'open_time', 'native', 'monthly', p_premake := 2);
SELECT partman.create_parent('public.alerts', 'created_at', 'native', 'daily', p_premake := 7);
UPDATE partman.part_config SET retention = '730 days', retention_keep_table = false
    WHERE parent_table = 'public.candles';
UPDATE partman.part_config SET retention = '180 days', retention_keep_table = false
    WHERE parent_table = 'public.alerts';
