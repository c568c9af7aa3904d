"""The conservation audit (SPEC §6), run against PostgreSQL's projection of the journal.

For every asset:
- money is conserved: what all accounts but `@external` hold (available + held, fee account and
  clearing included) equals deposits minus withdrawals, summed independently from the journal;
- the `balances` table agrees with the sum of the journal lines it was built from;
- no user account is negative;
- `@clearing` is flat: both sides of every trade are settled (skipped with `live=True`, where a
  trade may be half settled for a moment).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

EXTERNAL, CLEARING = "@external", "@clearing"


@dataclass(frozen=True, slots=True)
class AuditFinding:
    asset: str
    check: str
    detail: str

    def line(self) -> str:
        return f"{self.asset}: {self.check}: {self.detail}"


def audit(conn: psycopg.Connection, *, live: bool = False, assets: list[str] | None = None) -> list[AuditFinding]:
    """Every finding of the checks above, for all assets or only `assets`; empty when all hold."""
    findings: list[AuditFinding] = []
    scope = {"assets": assets, "external": EXTERNAL, "clearing": CLEARING}
    in_scope = "(%(assets)s::text[] IS NULL OR asset = ANY(%(assets)s))"
    held_by_accounts = dict(conn.execute(
        f"""SELECT asset, sum(available + held) FROM balances
            WHERE account_id <> %(external)s AND {in_scope} GROUP BY asset""", scope
    ).fetchall())
    net_deposits = dict(conn.execute(
        # The user's side of a deposit is +amount and of a withdrawal -amount: their sum is the net.
        f"""SELECT asset, sum(amount)
            FROM ledger_entries
            WHERE kind IN ('deposit', 'withdraw') AND account_id <> %(external)s AND {in_scope}
            GROUP BY asset""",
        scope,
    ).fetchall())
    for asset in sorted(set(held_by_accounts) | set(net_deposits)):
        held, net = held_by_accounts.get(asset, 0), net_deposits.get(asset, 0)
        if held != net:
            findings.append(AuditFinding(asset, "conservation",
                                         f"accounts hold {held}, deposits - withdrawals = {net}"))
    for account, asset, bucket, balance, journal in conn.execute(
        f"""WITH journal AS (
               SELECT account_id, asset, bucket, sum(amount) AS total FROM ledger_entries
               WHERE {in_scope} GROUP BY account_id, asset, bucket),
           projected AS (
               SELECT account_id, asset, 'available' AS bucket, available AS total FROM balances WHERE {in_scope}
               UNION ALL SELECT account_id, asset, 'held', held FROM balances WHERE {in_scope})
           SELECT coalesce(j.account_id, p.account_id), coalesce(j.asset, p.asset), coalesce(j.bucket, p.bucket),
                  coalesce(p.total, 0), coalesce(j.total, 0)
           FROM journal j FULL JOIN projected p USING (account_id, asset, bucket)
           WHERE coalesce(p.total, 0) <> coalesce(j.total, 0)""", scope
    ).fetchall():
        findings.append(AuditFinding(asset, "projection",
                                     f"{account} {bucket} is {balance} in balances, {journal} in the journal"))
    for account, asset, available, held in conn.execute(
        f"""SELECT account_id, asset, available, held FROM balances
            WHERE account_id NOT LIKE '@%%' AND (available < 0 OR held < 0) AND {in_scope}""", scope
    ).fetchall():
        findings.append(AuditFinding(asset, "negative", f"{account} has available {available}, held {held}"))
    if not live:
        for asset, total in conn.execute(
            f"""SELECT asset, available + held FROM balances
                WHERE account_id = %(clearing)s AND available + held <> 0 AND {in_scope}""", scope,
        ).fetchall():
            findings.append(AuditFinding(asset, "clearing", f"{CLEARING} holds {total}: a trade is half settled"))
    return findings
