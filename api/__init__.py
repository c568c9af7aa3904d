"""api: the FastAPI layer (SPEC §7). It authenticates, validates, writes commands to
`account.commands` and answers queries from PostgreSQL and Redis; it never matches and never moves
money. Entry points: `api.main.create_app` (the ASGI app: FastAPI behind the order-entry fast path)
and `api.server` (run or spawn uvicorn).
"""
