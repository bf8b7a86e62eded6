-- Nothing of the adapter's source is lost silently (docs/adapters.md §2.8): for each table of the selected
-- adapter (stripe.<table>, periods.subscription_periods), the rows read (category rows_in, counted straight
-- from the source) and what became of them: used, each ignore category, rejected (listed in rejected_rows),
-- duplicates_collapsed (exact copies beyond the first). The test assert_adapter_reconciliation_balances
-- fails the build unless rows_in = the sum of the others. Empty for the contract (mart_raw_reconciliation).
{%- set outcomes = ref('int_adapter__row_outcomes') %}
with rows_read as (
    {%- for table_name, fallback_table in stripe_tables() %}
    select
        source_table,
        count(*) as row_count
    from {{ read_adapter_table('stripe', table_name, fallback_table) }} as stripe_rows
    group by source_table
    union all
    {%- endfor %}
    select
        source_table,
        count(*) as row_count
    from {{ read_adapter_table('periods', 'subscription_periods') }} as periods_rows
    group by source_table
),

categories as (
    select
        source_table,
        'rows_in' as category,
        row_count
    from rows_read
    union all
    select
        source_table,
        outcome as category,
        count(*) as row_count
    from {{ outcomes }}
    group by source_table, outcome
    union all
    select
        source_table,
        'duplicates_collapsed' as category,
        sum(source_row_count - 1) as row_count
    from {{ outcomes }}
    group by source_table
),

final as (
    select
        cast(source_table as {{ text_type() }}) as source_table,
        cast(category as {{ text_type() }}) as category,
        cast(row_count as bigint) as row_count
    from categories
)

select * from final
