"""Redis: hot data (books, tickers, last prices), rate-limit buckets, nonces and pub/sub fan-out."""
