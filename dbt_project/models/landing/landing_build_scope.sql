-- One row: whether this build recomputes everything (rebuild_reason set) or only the customers in
-- landing_changed_customers (rebuild_reason null), and the earliest date of newly landed exchange
-- rates. Everything is rebuilt on the first build, when the settings or the code differ from the
-- previous build's, when a file read before changed or disappeared (the landing folder is append-only:
-- new data comes in new files), and when plans, products or plan limits land (they touch every customer).
-- The per-customer marts (fct_mrr, fct_mrr_movements) are also recomputed for every customer when the
-- as-of month moved (marts_rebuild_reason): every customer gains a month.
{#- other engines have no listing and always build in full (D-25): no previous build to compare with -#}
{%- set previous = load_relation(this) if execute and target.type == 'duckdb' else none %}
{%- set raw_fx_rates = source('billing', 'fx_rates') %}
{%- set new_fx_files = new_landing_files('fx_rates') %}
with files as (
    select * from {{ ref('landing_files') }}
),

previous_scope as (
    {%- if previous is not none %}
    select
        settings_fingerprint,
        as_of_month
    from {{ previous }}
    {%- else %}
    select
        cast(null as {{ text_type() }}) as settings_fingerprint,
        cast(null as date) as as_of_month
    where 1 = 0
    {%- endif %}
),

new_fx_rates as (
    {%- if new_fx_files | length > 0 %}
    select min({{ parse_date('rate_date') }}) as first_rate_date
    from {{ read_raw('fx_rates', new_fx_files) }} as new_rates
    {%- else %}
    select cast(null as date) as first_rate_date
    {%- endif %}
),

reasons as (
    select
        case
            {%- if target.type != 'duckdb' %}
            when 1 = 1 then 'incremental builds list the landing folder with duckdb only'
            {%- endif %}
            when not exists (select 1 from files where files.has_previous_build)
                or not exists (select 1 from previous_scope)
                then 'first build'
            when (select settings_fingerprint from previous_scope) <> {{ sql_string(settings_fingerprint()) }}
                then 'settings or code changed since the previous build'
            when exists (select 1 from files where files.status in ('changed', 'removed'))
                then 'a file read by the previous build changed or was removed: '
                    || (select min(files.file_path) from files where files.status in ('changed', 'removed'))
            when exists (
                select 1 from files
                where files.status = 'new' and files.table_name in ('products', 'plans', 'plan_limits')
            )
                then 'new products, plans or plan limits: '
                    || (
                        select min(files.file_path) from files
                        where files.status = 'new' and files.table_name in ('products', 'plans', 'plan_limits')
                    )
        end as rebuild_reason
),

final as (
    select
        reasons.rebuild_reason,
        coalesce(
            reasons.rebuild_reason,
            case
                when (select previous_scope.as_of_month from previous_scope) <> {{ as_of_month() }}
                    then 'the as-of month moved from '
                        || cast((select previous_scope.as_of_month from previous_scope) as {{ text_type() }})
                        || ' to ' || cast({{ as_of_month() }} as {{ text_type() }})
            end
        ) as marts_rebuild_reason,
        new_fx_rates.first_rate_date as new_fx_rates_from,
        {{ as_of_month() }} as as_of_month,
        {{ sql_string(settings_fingerprint()) }} as settings_fingerprint
    from reasons
    cross join new_fx_rates
)

select * from final
