-- A customer's MRR above var max_plausible_customer_mrr (default 10 000 000 in the reporting currency)
-- is almost always an export error: amounts in minor units, a misplaced decimal point, a wrong currency.
-- Such a build fails and is not published. Returns the offending customer-months.
select
    customer_id,
    month,
    mrr
from {{ ref('fct_mrr') }}
where mrr > {{ var('max_plausible_customer_mrr') }}
