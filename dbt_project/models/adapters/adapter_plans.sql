-- The raw contract's plans as the selected adapter derives them, as text (docs/adapters.md). stripe: the
-- usable recurring prices (int_stripe__prices). periods: one flat monthly plan per distinct amount and
-- currency (int_periods__plans), named by its id. contract: empty.
{%- set stripe_plans = ref('int_stripe__prices') %}
{%- set periods_plans = ref('int_periods__plans') %}
{%- if source_kind() == 'stripe' %}
select
    plan_id,
    product_id,
    plan_name,
    {{ as_text('tier_rank') }} as tier_rank,
    pricing_model,
    billing_interval,
    {{ as_text('billing_interval_count') }} as billing_interval_count,
    {{ as_text('list_price') }} as list_price,
    currency
from {{ stripe_plans }}
where ignored_as is null and rejection_reason is null
{%- elif source_kind() == 'periods' %}
select
    plan_id,
    'playbook' as product_id,
    plan_id as plan_name,
    {{ as_text('tier_rank') }} as tier_rank,
    'flat' as pricing_model,
    'month' as billing_interval,
    '1' as billing_interval_count,
    {{ as_text('monthly_amount') }} as list_price,
    currency
from {{ periods_plans }}
{%- else %}
{{ adapter_no_rows('plans') }}
{%- endif %}
