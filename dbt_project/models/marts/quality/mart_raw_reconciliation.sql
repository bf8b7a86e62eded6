-- Nothing is lost silently: for every raw table of _sources.yml, the rows in the files equal the rows used
-- plus the rows rejected plus the exact copies collapsed (raw contract, "Bad input"). rows_in is counted
-- straight from the files; rows_used from the model of meta rows_used_in (dim_customers for customers,
-- the item states for events), else the accepted rows of the model of meta rows_rejected_in (the
-- validated charges, plans, ...), else of staging; rows_rejected from rejected_rows. The data test
-- `reconciliation_balances` fails the build otherwise. Under an adapter source (docs/adapters.md) rows_in
-- counts the rows the adapter derived (adapter_<table>); adapter_reconciliation accounts for the source's
-- own tables.
{{- depend_on_raw_table_models(['staging', 'rows_rejected_in', 'rows_used_in', 'adapters']) }}
{%- set rejected_rows = ref('rejected_rows') %}
with counts as (
    select
        cast(null as {{ text_type() }}) as source_table,
        0 as rows_in,
        0 as distinct_rows,
        0 as rows_used,
        0 as rows_rejected
    where 1 = 0
    {%- for table_name in raw_table_names() %}
    {%- set table_meta = raw_table_definition(table_name).meta %}
    {%- set staging_model = raw_table_staging_model(table_name) %}
    union all
    select
        '{{ table_name }}' as source_table,
        (select count(*) from {{ read_raw(table_name) }} as raw_rows) as rows_in,
        (select count(*) from {{ raw_table_model(staging_model) }}) as distinct_rows,
        (
            {%- if table_meta.get('rows_used_in') %}
            select count(*) from {{ raw_table_model(table_meta['rows_used_in']) }}
            {%- else %}
            select count(*) from {{ raw_table_model(table_meta.get('rows_rejected_in') or staging_model) }}
            where rejection_reason is null
            {%- endif %}
        ) as rows_used,
        (
            select count(*) from {{ rejected_rows }} as rejected
            where rejected.source_table = '{{ table_name }}'
        ) as rows_rejected
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
