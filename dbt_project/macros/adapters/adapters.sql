{#-
    The source adapters (docs/adapters.md, DECISIONS.md D-46..): the landing folder may hold another shape
    than the raw contract (var source: stripe, periods). The models of models/adapters/ derive the
    contract's tables from it (adapter_<table>), and read_raw takes those tables from there instead of the
    landing folder: everything from staging on is the core, unchanged. The adapter models exist whatever
    the source (the project's graph is the same for every source, and so is Dagster's); those of an
    adapter that is not selected read nothing and are empty.
-#}

{#- var source, checked: contract (default), stripe or periods. -#}
{% macro source_kind() -%}
    {%- set kind = var('source', 'contract') | string | trim | lower -%}
    {%- if kind not in ['contract', 'stripe', 'periods'] -%}
        {{ exceptions.raise_compiler_error(
            "var source (SAAS_SOURCE, saas-warehouse build --source) must be contract, stripe or periods, not '"
            ~ kind ~ "'."
        ) }}
    {%- endif -%}
    {{ return(kind) }}
{%- endmacro %}


{#- The raw contract's tables that an adapter derives (model adapter_<table>); the others (fx_rates,
    plan_limits, usage_snapshots) are read from the landing folder in the contract's format by every
    source. -#}
{% macro adapter_derived_tables() -%}
    {{ return(['customers', 'products', 'plans', 'subscription_events', 'usage_charges', 'one_time_charges']) }}
{%- endmacro %}


{#- The contract's columns of one raw table, read from the model that derived it (as text). -#}
{% macro derived_raw_table(table_name, relation) -%}
    {%- if not execute -%}
        {{ return('(select 1 as placeholder)') }}
    {%- endif -%}
    {{ return('(select ' ~ raw_column_names(table_name) | join(', ') ~ ' from ' ~ relation ~ ')') }}
{%- endmacro %}


{#- The source node of an adapter's table (source stripe or periods). -#}
{% macro adapter_source_definition(source_name, table_name) -%}
    {%- for node in graph.sources.values() if node.source_name == source_name and node.name == table_name -%}
        {{ return(node) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("No source table " ~ source_name ~ "." ~ table_name ~ " is declared.") }}
{%- endmacro %}


{#- The column names of an adapter's table as they are read (meta read_as, else the name). -#}
{% macro adapter_column_names(definition) -%}
    {%- set names = [] -%}
    {%- for column in definition.columns.values() -%}
        {%- do names.append(column.meta.get('read_as', column.name)) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#- Whether a source table exists: a file in the landing folder (DuckDB), a table in its schema elsewhere. -#}
{% macro source_table_exists(definition) -%}
    {{ return(adapter.dispatch('source_table_exists', 'saas_warehouse')(definition)) }}
{%- endmacro %}
{% macro duckdb__source_table_exists(definition) -%}
    {{ return(raw_file_paths(definition.name) | length > 0) }}
{%- endmacro %}
{% macro default__source_table_exists(definition) -%}
    {%- set declared = source(definition.source_name, definition.name) -%}
    {{ return(adapter.get_relation(
        database=declared.database, schema=declared.schema, identifier=declared.identifier
    ) is not none) }}
{%- endmacro %}


{#- An adapter's table as text, with a column source_table naming it ('stripe.price'): read only when var
    source is this adapter (else empty). fallback_table: the legacy table read instead when this one is
    absent (price -> plan, subscription_history -> subscription, subscription_discount -> discount), under
    this table's column names (column meta read_as). -#}
{% macro read_adapter_table(source_name, table_name, fallback_table=none) -%}
    {%- set declared = source(source_name, table_name) -%}
    {%- if fallback_table -%}
        {%- set declared_fallback = source(source_name, fallback_table) -%}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('(select 1 as placeholder)') }}
    {%- endif -%}
    {%- set definition = adapter_source_definition(source_name, table_name) -%}
    {%- if source_kind() == source_name and fallback_table and not source_table_exists(definition) -%}
        {%- set fallback = adapter_source_definition(source_name, fallback_table) -%}
        {%- if source_table_exists(fallback) -%}
            {%- set definition = fallback -%}
        {%- endif -%}
    {%- endif -%}
    {%- set rows = read_source_table(definition) if source_kind() == source_name else empty_declared_table(definition) -%}
    {{ return(
        '(select source_rows.*, ' ~ sql_string(source_name ~ '.' ~ definition.name) ~ ' as source_table from '
        ~ rows ~ ' as source_rows)'
    ) }}
{%- endmacro %}


{#- How a rejection reason names the type a value failed to parse as (none: any text reads). -#}
{% macro type_label(data_type) -%}
    {%- set labels = {
        'integer': 'whole number', 'date': 'date', 'timestamp': 'ISO 8601 timestamp', 'boolean': 'boolean'
    } -%}
    {{ return('number' if data_type.startswith('decimal') else labels.get(data_type)) }}
{%- endmacro %}


{#- CASE WHEN branches of an adapter's staging: 'missing <column>' for the required columns given, and
    '<column> '<value>' is not a valid <type>' for a typed column whose value does not parse. -#}
{% macro adapter_value_reasons(types, required=[], optional=[]) -%}
    {%- for column in required -%}
        {%- set label = type_label(types.get(column, 'text')) if column in types else none %}
        {%- if label %}
        {{ required_value_reason(column ~ '_raw', column, column, label) }}
        {%- else %}
        when {{ column }} is null then 'missing {{ column }}'
        {%- endif %}
    {%- endfor %}
    {%- for column in optional if column in types and type_label(types[column]) %}
        {{ optional_value_reason(column ~ '_raw', column, column, type_label(types[column])) }}
    {%- endfor %}
{%- endmacro %}


{#- An adapter's staging model: the table's rows (read_adapter_table), exact copies collapsed
    (source_row_count), typed (types: {column: grammar type}; livemode and _fivetran_synced always), then,
    in the order of docs/adapters.md §2.2 rule 8: rows of test mode (livemode false) and those of the
    table's own ignore rules (ignored_when: {category: SQL condition}, in order) are ignored (ignored_as);
    the other rows sharing a key: the one with the greatest _fivetran_synced wins and the others are
    rejected, all of them when that does not settle it; then the table's own value checks (the CASE WHEN
    branches of the call block) reject the rest (rejection_reason). -#}
{% macro adapter_staged_table(source_name, table_name, types, fallback_table=none, ignored_when={}) -%}
    {%- set definition = adapter_source_definition(source_name, table_name) if execute else none -%}
    {%- set columns = adapter_column_names(definition) if execute else ['placeholder'] -%}
    {%- set key_columns = definition.meta.key if execute else ['placeholder'] -%}
    {%- set all_types = {'livemode': 'boolean', '_fivetran_synced': 'timestamp'} -%}
    {%- do all_types.update(types) -%}
with source_rows as (
    select * from {{ read_adapter_table(source_name, table_name, fallback_table) }} as read_rows
),

collapsed as (
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        source_table,
        count(*) as source_row_count,
        {{ content_hash(columns) }} as row_hash
    from source_rows
    group by
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        source_table
),

typed as (
    select
        {%- for column in columns %}
        {%- if column in all_types %}
        {{ parse_as(all_types[column], column) }} as {{ column }},
        {{ column }} as {{ column }}_raw,
        {%- else %}
        nullif(trim({{ column }}), '') as {{ column }},
        {%- endif %}
        {%- endfor %}
        {%- for column in ['livemode', '_fivetran_synced'] if column not in columns %}
        cast(null as {{ 'boolean' if column == 'livemode' else 'timestamp' }}) as {{ column }},
        cast(null as {{ text_type() }}) as {{ column }}_raw,
        {%- endfor %}
        source_table,
        source_row_count,
        row_hash
    from collapsed
),

ignored as (
    select
        *,
        case
            when livemode = false then 'test_mode'
            {%- for category, condition in ignored_when.items() %}
            when {{ condition }} then '{{ category }}'
            {%- endfor %}
        end as ignored_as
    from typed
),

keyed as (
    select
        *,
        count(*) over (partition by {{ key_columns | join(', ') }}, ignored_as) as key_rows,
        max(_fivetran_synced) over (partition by {{ key_columns | join(', ') }}, ignored_as) as key_latest_synced
    from ignored
),

ranked as (
    select
        *,
        count(case when _fivetran_synced = key_latest_synced then 1 end)
            over (partition by {{ key_columns | join(', ') }}, ignored_as) as rows_synced_latest
    from keyed
),

final as (
    select
        {%- for column in columns %}
        {{ column }},
        {%- if column in all_types %}
        {{ column }}_raw,
        {%- endif %}
        {%- endfor %}
        {%- for column in ['livemode', '_fivetran_synced'] if column not in columns %}
        {{ column }},
        {%- endfor %}
        source_table,
        source_row_count,
        row_hash,
        ignored_as,
        case
            when ignored_as is not null then null
            {{- adapter_value_reasons(all_types, required=key_columns, optional=['livemode', '_fivetran_synced']) }}
            when key_rows > 1 and (key_latest_synced is null or rows_synced_latest > 1)
                then 'conflicting duplicates: ' || cast(key_rows as {{ text_type() }})
                    || ' rows share {{ key_columns | join(" / ") }} with different content'
            when key_rows > 1 and (_fivetran_synced is null or _fivetran_synced < key_latest_synced)
                then 'superseded by a later sync of the same {{ key_columns | join(" / ") }} (_fivetran_synced)'
            {{- caller() }}
        end as rejection_reason
    from ranked
)

select * from final
{%- endmacro %}


{#- The factor that turns an amount in a currency's smallest unit into the contract's decimal amount
    (docs/adapters.md §2.2 rule 6): 1 for the zero-decimal currencies, 0.001 for the three-decimal ones,
    0.01 for every other (ISK, HUF and TWD included: Stripe keeps them two-decimal). -#}
{% macro minor_unit_factor(currency) -%}
    case
        when {{ currency }} in (
            'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF',
            'XOF', 'XPF'
        ) then cast(1 as decimal(4, 3))
        when {{ currency }} in ('BHD', 'JOD', 'KWD', 'OMR', 'TND') then cast(0.001 as decimal(4, 3))
        else cast(0.01 as decimal(4, 3))
    end
{%- endmacro %}


{#- A decimal as plain text without trailing zeros ('49.90' -> '49.9', '100.00' -> '100'). -#}
{% macro plain_decimal_text(expression) -%}
    case
        when cast({{ expression }} as {{ text_type() }}) like '%.%'
            then rtrim(rtrim(cast({{ expression }} as {{ text_type() }}), '0'), '.')
        else cast({{ expression }} as {{ text_type() }})
    end
{%- endmacro %}


{#- The Stripe tables the adapter reads, each with the legacy table read when it is absent (none: no
    legacy table), in the order of docs/adapters.md §2.1. -#}
{% macro stripe_tables() -%}
    {{ return([
        ('customer', none), ('product', none), ('price', 'plan'), ('subscription_history', 'subscription'),
        ('subscription_item', none), ('invoice', none), ('invoice_line_item', none), ('coupon', none),
        ('subscription_discount', 'discount')
    ]) }}
{%- endmacro %}


{#- A value as text for an adapter_<table> model (null stays null). -#}
{% macro as_text(expression) -%}
    cast({{ expression }} as {{ text_type() }})
{%- endmacro %}


{#- The body of an adapter_<table> model when no adapter derives the table: no rows, the contract's
    columns as text. -#}
{% macro adapter_no_rows(table_name) -%}
    {%- if not execute -%}
        select 1 as placeholder
    {%- else -%}
        select * from {{ empty_declared_table(raw_table_definition(table_name)) }} as no_rows
    {%- endif -%}
{%- endmacro %}


{#- The rows of an adapter's staging model checked against the usable rows of another: checked_rejection_reason
    = the row's own rejection_reason, or 'unknown <key_column> '<value>'' when a row that is neither ignored
    nor rejected names no usable row of known_relation (by its id). -#}
{% macro rows_with_known_reference(relation, key_column, known_relation) -%}
with checked_rows as (
    select * from {{ relation }}
),

known_rows as (
    select id from {{ known_relation }}
    where ignored_as is null and rejection_reason is null
),

final as (
    select
        checked_rows.*,
        case
            when checked_rows.ignored_as is null and checked_rows.rejection_reason is null and known_rows.id is null
                then 'unknown {{ key_column }} ' || {{ quoted_excerpt('checked_rows.' ~ key_column) }}
            else checked_rows.rejection_reason
        end as checked_rejection_reason
    from checked_rows
    left join known_rows
        on checked_rows.{{ key_column }} = known_rows.id
)
{%- endmacro %}


{#- Per item and instant, whether an interval of `relation` (item_id, its start and end columns, end null =
    open) contains the instant, as a boolean named `flag`; or, with `value`, the largest value of the
    containing intervals (0 when none) named `flag`. -#}
{% macro state_at_instants(relation, start_column, end_column, flag, value=none) -%}
    select
        instants.item_id,
        instants.instant,
        {%- if value %}
        coalesce(max({{ relation }}.{{ value }}), 0) as {{ flag }}
        {%- else %}
        count({{ relation }}.item_id) > 0 as {{ flag }}
        {%- endif %}
    from instants
    left join {{ relation }}
        on instants.item_id = {{ relation }}.item_id
        and instants.instant >= {{ relation }}.{{ start_column }}
        and ({{ relation }}.{{ end_column }} is null or instants.instant < {{ relation }}.{{ end_column }})
    group by instants.item_id, instants.instant
{%- endmacro %}
