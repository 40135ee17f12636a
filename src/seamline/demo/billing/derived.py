"""The billing workspace's derived datasets (``derived/*.yaml``): SQL over the harmonized ones.

``billing_lines`` puts the 38 agencies' harmonized lines under one schema (the amount in
currency units whether the workbook kept units or cents); ``invoices`` sums them per
agency and month; ``payment_links`` links the bank's credits to invoices (the reference
first, then amount, payer and date window; partial and combined payments);
``invoice_aging`` and ``category_totals`` report on them. DuckDB dialect.
"""

from __future__ import annotations

from seamline.demo.billing.agencies import Agency
from seamline.demo.billing.workbooks import LAYOUTS

_OWNER = '{agency: shared-services, contact: "Mira Calder"}'


def _line_select(a: Agency) -> str:
    cents = LAYOUTS[a.layout].amount == "cents"
    amount = (
        "CAST(amount_cents AS DECIMAL(18, 2)) / 100" if cents else "CAST(amount AS DECIMAL(18, 2))"
    )
    flag = "amount_cents__flag" if cents else "amount__flag"
    return (
        f"SELECT '{a.id}' AS agency_id, '{a.dataset}' AS dataset, _source_pos AS position,\n"
        f"       line_ref, CAST(service_date AS DATE) AS service_date, category,\n"
        f"       category__flag AS category_flag, {amount} AS amount, {flag} AS amount_flag\n"
        f"FROM {a.dataset}\n"
    )


def _spec(id_: str, title: str, description: str, sql: str, extra: str = "") -> str:
    body = "".join(f"  {line}\n" if line else "\n" for line in sql.strip("\n").split("\n"))
    return (
        f'id: {id_}\ntitle: "{title}"\ndescription: "{description}"\n'
        f"owner: {_OWNER}\n{extra}sql: |\n{body}"
    )


INVOICES = """\
SELECT 'INV-A' || right(agency_id, 2) || '-' || strftime(service_date, '%Y%m') AS invoice_id,
       agency_id,
       strftime(service_date, '%Y-%m') AS period,
       CAST(coalesce(sum(amount), 0) AS DECIMAL(18, 2)) AS total,
       count(*) AS lines,
       count(*) FILTER (WHERE amount IS NULL) AS lines_held,
       count(*) FILTER (WHERE category IS NULL) AS lines_uncategorized
FROM billing_lines
WHERE service_date IS NOT NULL
GROUP BY ALL
"""

PAYMENT_LINKS = """\
-- 1. The reference: every invoice number found in the payer's text once letters are
--    folded to capitals and everything but letters and digits removed (INV A07 202603,
--    inv-a07-202603 and INVA07202603 are one); combined payments name several. An
--    invoice of a month after the payment is no match (a swapped digit).
-- 2. A word of the reference one typo (a dropped, changed or swapped character) away
--    from exactly one invoice of the payer, once the payer's account is known (learnt
--    from the payments it made with an exact reference).
-- 3. Without a usable reference: the payer's account, the amount and a 150-day window
--    after the invoice's month: the remaining amount of one open invoice, of two
--    consecutive ones (combined), or less than one's remainder (a part payment).
WITH pay AS (
  SELECT bank_ref, CAST(booking_date AS DATE) AS booked, CAST(amount AS DECIMAL(18, 2)) AS amount,
         debtor_iban, upper(coalesce(reference, '')) AS typed,
         upper(regexp_replace(coalesce(reference, ''), '[^A-Za-z0-9]', '', 'g')) AS ref
  FROM bank_payments
),
inv AS (
  SELECT invoice_id, agency_id, total, replace(invoice_id, '-', '') AS norm,
         CAST(period || '-01' AS DATE) AS month_start,
         row_number() OVER (PARTITION BY agency_id ORDER BY period) AS seq
  FROM invoices
),
exact AS (
  SELECT p.bank_ref, i.invoice_id, i.agency_id, p.debtor_iban
  FROM pay p JOIN inv i ON position(i.norm IN p.ref) > 0 AND p.booked >= i.month_start
),
payer AS (
  SELECT debtor_iban, mode(agency_id) AS agency_id FROM exact GROUP BY debtor_iban
),
words AS (
  SELECT bank_ref, debtor_iban, booked, regexp_replace(word, '[^A-Z0-9]', '', 'g') AS word
  FROM (SELECT *, unnest(string_split_regex(typed, '[\\s,;+/]+')) AS word FROM pay)
),
near AS (
  SELECT w.bank_ref, w.word, i.invoice_id,
         count(*) OVER (PARTITION BY w.bank_ref, w.word) AS options
  FROM words w JOIN payer y USING (debtor_iban)
  JOIN inv i ON i.agency_id = y.agency_id AND w.booked >= i.month_start
   AND damerau_levenshtein(w.word, i.norm) = 1
  WHERE length(w.word) >= 9 AND w.word NOT IN (SELECT norm FROM inv)
),
named AS (
  SELECT bank_ref, invoice_id FROM exact
  UNION
  SELECT bank_ref, invoice_id FROM near WHERE options = 1
),
by_ref AS (
  SELECT n.bank_ref, n.invoice_id, p.amount, i.total,
         count(*) OVER (PARTITION BY n.bank_ref) AS named
  FROM named n JOIN pay p USING (bank_ref) JOIN inv i USING (invoice_id)
),
ref_links AS (
  SELECT bank_ref, invoice_id,
         CASE WHEN named = 1 THEN amount ELSE total END AS allocated, 'reference' AS method
  FROM by_ref
),
open_inv AS (
  SELECT i.invoice_id, i.agency_id, i.month_start, i.seq,
         i.total - coalesce(sum(r.allocated), 0) AS remaining
  FROM inv i LEFT JOIN ref_links r USING (invoice_id)
  GROUP BY i.invoice_id, i.agency_id, i.month_start, i.seq, i.total
  HAVING i.total - coalesce(sum(r.allocated), 0) > 0
),
loose AS (
  SELECT p.*, y.agency_id
  FROM pay p JOIN payer y USING (debtor_iban)
  WHERE p.bank_ref NOT IN (SELECT bank_ref FROM by_ref)
),
candidates AS (
  SELECT l.bank_ref, o.invoice_id, o.remaining AS allocated, 1 AS rank_kind, o.month_start,
         l.booked, 'amount' AS method
  FROM loose l JOIN open_inv o ON o.agency_id = l.agency_id AND o.remaining = l.amount
   AND l.booked BETWEEN o.month_start AND o.month_start + INTERVAL 150 DAY
  UNION ALL
  SELECT l.bank_ref, o.invoice_id, o.remaining, 2, o.month_start, l.booked, 'combined'
  FROM loose l JOIN open_inv o ON o.agency_id = l.agency_id
  JOIN open_inv n ON n.agency_id = o.agency_id AND n.seq = o.seq + 1
   AND o.remaining + n.remaining = l.amount
   AND l.booked BETWEEN n.month_start AND n.month_start + INTERVAL 150 DAY
  UNION ALL
  SELECT l.bank_ref, n.invoice_id, n.remaining, 2, o.month_start, l.booked, 'combined'
  FROM loose l JOIN open_inv o ON o.agency_id = l.agency_id
  JOIN open_inv n ON n.agency_id = o.agency_id AND n.seq = o.seq + 1
   AND o.remaining + n.remaining = l.amount
   AND l.booked BETWEEN n.month_start AND n.month_start + INTERVAL 150 DAY
  UNION ALL
  SELECT l.bank_ref, o.invoice_id, l.amount, 3, o.month_start, l.booked, 'part'
  FROM loose l JOIN open_inv o ON o.agency_id = l.agency_id AND o.remaining > l.amount
   AND l.booked BETWEEN o.month_start AND o.month_start + INTERVAL 150 DAY
),
best AS (
  SELECT c.*, min(rank_kind) OVER (PARTITION BY bank_ref) AS best_kind
  FROM candidates c
),
chosen AS (
  -- A payment usually comes one to two months after the invoice's month: the candidate
  -- nearest to that wins; a combined payment takes its earliest pair.
  SELECT bank_ref, invoice_id, allocated, method,
         dense_rank() OVER (
           PARTITION BY bank_ref
           ORDER BY CASE WHEN rank_kind = 2 THEN 0
                         ELSE abs(date_diff('day', month_start, booked) - 45) END,
                    month_start
         ) AS pick
  FROM best WHERE rank_kind = best_kind
)
SELECT bank_ref, invoice_id, allocated, method FROM ref_links
UNION ALL
SELECT bank_ref, invoice_id, allocated, method FROM chosen WHERE pick = 1
"""

AGING = """\
-- What each invoice still owes at the statement's end (2026-12-31), by age bucket.
WITH paid AS (
  SELECT invoice_id, sum(allocated) AS paid FROM payment_links GROUP BY invoice_id
)
SELECT i.invoice_id, i.agency_id, i.period, i.total,
       coalesce(p.paid, 0) AS paid,
       i.total - coalesce(p.paid, 0) AS outstanding,
       CASE
         WHEN i.total - coalesce(p.paid, 0) <= 0 THEN 'paid'
         WHEN DATE '2026-12-31' - CAST(i.period || '-01' AS DATE) <= 60 THEN '0-30'
         WHEN DATE '2026-12-31' - CAST(i.period || '-01' AS DATE) <= 90 THEN '31-60'
         WHEN DATE '2026-12-31' - CAST(i.period || '-01' AS DATE) <= 120 THEN '61-90'
         ELSE '90+'
       END AS bucket
FROM invoices i LEFT JOIN paid p USING (invoice_id)
"""

CATEGORY_TOTALS = """\
SELECT coalesce(category, 'unmapped') AS category,
       strftime(service_date, '%Y-%m') AS period,
       CAST(sum(amount) AS DECIMAL(18, 2)) AS total,
       count(*) AS lines
FROM billing_lines
WHERE service_date IS NOT NULL
GROUP BY ALL
"""


def derived_files(agencies: list[Agency]) -> dict[str, str]:
    union = "UNION ALL\n".join(_line_select(a) for a in agencies)
    return {
        "derived/billing_lines.yaml": _spec(
            "billing_lines",
            "Billing lines of all agencies",
            "Every agency's harmonized lines under one schema; amounts in currency units.",
            union,
        ),
        "derived/invoices.yaml": _spec(
            "invoices",
            "Invoices per agency and month",
            "The sum of an agency's readable lines per month; lines held for a bad amount are counted.",
            INVOICES,
            "entity: Invoice\nprimary_key: [agency_id, period]\n",
        ),
        "derived/payment_links.yaml": _spec(
            "payment_links",
            "Payments linked to invoices",
            "Which invoice each credit pays and how much of it: by reference, else by amount, payer and date.",
            PAYMENT_LINKS,
            "primary_key: [bank_ref, invoice_id]\n",
        ),
        "derived/invoice_aging.yaml": _spec(
            "invoice_aging",
            "Aging report",
            "Each invoice's outstanding amount at the year's end, by age.",
            AGING,
            "primary_key: [invoice_id]\n",
        ),
        "derived/category_totals.yaml": _spec(
            "category_totals",
            "Totals per billing category",
            "Billed amounts per category and month; lines whose code has no mapping count as unmapped.",
            CATEGORY_TOTALS,
            "primary_key: [category, period]\n",
        ),
    }
