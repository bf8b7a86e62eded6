-- Nothing is lost silently: for every raw table, the rows in the files equal the rows used plus the rows
-- rejected plus the exact copies collapsed (raw contract, "Bad input"). rows_in is counted straight
-- from the files; rows_used from the model that consumes the table (dim_customers for customers, the
-- item states for events, the validated charges for usage and one-time charges, staging otherwise);
-- rows_rejected from rejected_rows. The data test `reconciliation_balances` fails the build otherwise.
{%- set tables = ['customers', 'products', 'plans', 'plan_limits', 'subscription_events', 'usage_charges',
    'one_time_charges', 'fx_rates', 'usage_snapshots'] %}
{%- set used_rows = {
    'customers': ('dim_customers', none),
    'plans': ('int_plans_validated', 'rejection_reason is null'),
    'plan_limits': ('int_plan_limits_validated', 'rejection_reason is null'),
    'subscription_events': ('int_item_states', none),
    'usage_charges': ('int_usage_charges_validated', 'rejection_reason is null'),
    'one_time_charges': ('int_one_time_charges_validated', 'rejection_reason is null'),
    'usage_snapshots': ('int_usage_snapshots_validated', 'rejection_reason is null'),
} %}
with counts as (
    {%- for table_name in tables %}
    select
        '{{ table_name }}' as source_table,
        (select count(*) from {{ read_raw(table_name) }} as raw_rows) as rows_in,
        (select count(*) from {{ ref('stg_billing__' ~ table_name) }}) as distinct_rows,
        (
            {%- set used_model, used_filter = used_rows.get(table_name, ('stg_billing__' ~ table_name, 'rejection_reason is null')) %}
            select count(*)
            from {{ ref(used_model) }}
            {%- if used_filter %}
            where {{ used_filter }}
            {%- endif %}
        ) as rows_used,
        (
            select count(*) from {{ ref('rejected_rows') }} as rejected
            where rejected.source_table = '{{ table_name }}'
        ) as rows_rejected
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        source_table,
        cast(rows_in as bigint) as rows_in,
        cast(rows_used as bigint) as rows_used,
        cast(rows_rejected as bigint) as rows_rejected,
        cast(rows_in - distinct_rows as bigint) as duplicates_collapsed,
        rows_in = rows_used + rows_rejected + (rows_in - distinct_rows) as is_balanced
    from counts
)

select * from final
