-- One row: what this build recomputes (D-25), decided here and nowhere else. Everything that depends on
-- it reads these columns: in_build_scope (the per-customer models, their pre-hooks and their data
-- tests), build_customers_to_recompute (which new files to read) and the build summary.
-- Every customer is recomputed on the first build, on --full-refresh, when the settings or the code
-- differ from the previous build's, when a file read before changed or disappeared (the landing folder
-- is append-only: new data comes in new files), and when a file lands for a table whose rows concern
-- every customer (meta new_rows_recompute: every_customer: products, plans, plan limits). The
-- per-customer marts (fct_mrr, fct_mrr_movements) are also recomputed for every customer when the
-- as-of month moved (every customer gains a month) or the last complete month moved (is_complete, D-44).
{#- other engines have no listing and always build in full (D-25): no previous build to compare with -#}
{%- set previous = load_relation(this) if execute and target.type == 'duckdb' else none %}
{%- set tables_for_every_customer = [] %}
{%- for table_name in raw_tables_by_recompute_rule()['every_customer'] %}
    {%- do tables_for_every_customer.append(sql_string(table_name)) %}
{%- endfor %}
with files as (
    select * from {{ ref('build_landing_files') }}
),

previous_build as (
    select
        settings_fingerprint,
        as_of_month,
        last_complete_month
    {%- if previous is not none %}
    from {{ previous }}
    {%- else %}
    from (
        select
            cast(null as {{ text_type() }}) as settings_fingerprint,
            cast(null as date) as as_of_month,
            cast(null as date) as last_complete_month
    ) as no_previous_build
    where 1 = 0
    {%- endif %}
),

listing as (
    select
        count(case when has_previous_build then 1 end) > 0 as has_previous_build,
        min(case when status in ('changed', 'removed') then file_path end) as first_changed_file,
        min(
            case
                when status = 'new' and table_name in ({{ tables_for_every_customer | join(', ') or 'null' }})
                    then file_path
            end
        ) as first_new_file_for_every_customer
    from files
),

reasons as (
    select
        case
            {%- if target.type != 'duckdb' %}
            when 1 = 1 then 'incremental builds list the landing folder with duckdb only'
            {%- endif %}
            {%- if source_kind() != 'contract' %}
            when 1 = 1 then 'the {{ source_kind() }} adapter derives every table anew (incremental builds read contract files)'
            {%- endif %}
            {%- if flags.FULL_REFRESH %}
            when 1 = 1 then 'a full refresh was asked for (--full-refresh)'
            {%- endif %}
            when not listing.has_previous_build or not exists (select 1 from previous_build)
                then 'first build'
            when (select previous_build.settings_fingerprint from previous_build) <> {{ sql_string(settings_fingerprint()) }}
                then 'settings or code changed since the previous build'
            when listing.first_changed_file is not null
                then 'a file read by the previous build changed or was removed: ' || listing.first_changed_file
            when listing.first_new_file_for_every_customer is not null
                then 'new rows of a table every customer depends on: ' || listing.first_new_file_for_every_customer
        end as recompute_reason,
        case
            when (select previous_build.as_of_month from previous_build) <> {{ as_of_month() }}
                then 'the as-of month moved from '
                    || cast((select previous_build.as_of_month from previous_build) as {{ text_type() }})
                    || ' to ' || cast({{ as_of_month() }} as {{ text_type() }})
            when (select previous_build.last_complete_month from previous_build) <> {{ last_complete_month() }}
                then 'the last complete month moved from '
                    || cast((select previous_build.last_complete_month from previous_build) as {{ text_type() }})
                    || ' to ' || cast({{ last_complete_month() }} as {{ text_type() }})
        end as as_of_month_moved
    from listing
),

final as (
    select
        recompute_reason is not null as recompute_every_customer,
        recompute_reason,
        coalesce(recompute_reason, as_of_month_moved) is not null as marts_recompute_every_customer,
        coalesce(recompute_reason, as_of_month_moved) as marts_recompute_reason,
        {{ as_of_month() }} as as_of_month,
        {{ last_complete_month() }} as last_complete_month,
        {{ sql_string(settings_fingerprint()) }} as settings_fingerprint
    from reasons
)

select * from final
