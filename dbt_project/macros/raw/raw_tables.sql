{#-
    The raw tables as _sources.yml declares them (the `billing` source): their names, columns and the
    per-table facts in their `meta` (listed at the top of _sources.yml, DECISIONS.md D-35). Every model or
    macro that needs a list of raw tables or a fact about one asks these macros; nothing restates them.
    The source nodes exist only when dbt executes (`graph` is empty while it parses): at parse time the
    lists are empty.
-#}

{#- The names of the raw tables, sorted. -#}
{% macro raw_table_names() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'billing' -%}
        {%- do names.append(node.name) -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{%- endmacro %}


{#- The source node of one raw table: its columns and meta. -#}
{% macro raw_table_definition(table_name) -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'billing' and node.name == table_name -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("No raw source named '" ~ table_name ~ "' in _sources.yml") }}
{%- endmacro %}


{#- The raw tables grouped by meta new_rows_recompute, what a newly landed file of the table makes an
    incremental build recompute (D-25): {rule: [table names]}. A table without a known rule stops the
    build: a new table's files must not be silently ignored by incremental builds. -#}
{% macro raw_tables_by_recompute_rule() -%}
    {%- set tables = {'their_customers': [], 'every_customer': [], 'customers_converted_at_new_rates': []} -%}
    {%- for table_name in raw_table_names() -%}
        {%- set rule = raw_table_definition(table_name).meta.get('new_rows_recompute') -%}
        {%- if rule not in tables -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "' has meta new_rows_recompute '" ~ rule ~ "' in _sources.yml; "
                ~ "expected one of " ~ tables.keys() | join(', ') ~ "."
            ) }}
        {%- endif -%}
        {%- do tables[rule].append(table_name) -%}
    {%- endfor -%}
    {{ return(tables) }}
{%- endmacro %}


{#- The SQL text of a row's key (meta key, columns joined with ' / '), null when a key column is. -#}
{% macro raw_row_key(table_name) -%}
    {%- set key_columns = raw_table_definition(table_name).meta.get('key') or [] -%}
    {%- if key_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("Raw table '" ~ table_name ~ "' has no meta key in _sources.yml.") }}
    {%- endif -%}
    {%- for column in key_columns -%}
        cast({{ column }} as {{ text_type() }}){{ " || ' / ' || " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- The staging model of a raw table (one per table, named for it). -#}
{% macro raw_table_staging_model(table_name) -%}
    {{ return('stg_billing__' ~ table_name) }}
{%- endmacro %}


{#- dbt learns a model's dependencies by rendering it once while parsing, when `graph` is still empty: a
    model that loops over the raw tables reaches no ref() then. Such a model calls this at its top. It
    refs, for dbt's parse step only, the models the raw tables name: each table's staging model and the
    models of meta rows_rejected_in and rows_used_in. This is the one place where those names are
    written out; raw_table_model() stops the build, saying to add the model here, when one is missing. -#}
{% macro depend_on_raw_table_models(roles) -%}
    {%- set models = {
        'staging': [
            'stg_billing__customers', 'stg_billing__products', 'stg_billing__plans', 'stg_billing__plan_limits',
            'stg_billing__subscription_events', 'stg_billing__usage_charges', 'stg_billing__one_time_charges',
            'stg_billing__fx_rates', 'stg_billing__usage_snapshots',
        ],
        'rows_rejected_in': [
            'int_plans_validated', 'int_plan_limits_validated', 'int_subscription_events_validated',
            'int_usage_charges_validated', 'int_one_time_charges_validated', 'int_usage_snapshots_validated',
        ],
        'rows_used_in': ['dim_customers', 'int_item_states'],
        'adapters': [
            'adapter_customers', 'adapter_products', 'adapter_plans', 'adapter_subscription_events',
            'adapter_usage_charges', 'adapter_one_time_charges',
        ],
    } -%}
    {%- for role in roles -%}
        {%- for model_name in models[role] -%}
            {%- do ref(model_name) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}


{#- ref() of a model named by the raw tables (raw_table_staging_model, meta rows_rejected_in or
    rows_used_in), for a model that called depend_on_raw_table_models. -#}
{% macro raw_table_model(model_name) -%}
    {%- if execute and ('model.' ~ project_name ~ '.' ~ model_name) not in model.depends_on.nodes -%}
        {{ exceptions.raise_compiler_error(
            "_sources.yml names the model '" ~ model_name ~ "', which " ~ model.name ~ " reads but dbt did not "
            ~ "see when it parsed the project: add it to the lists of depend_on_raw_table_models "
            ~ "(macros/raw/raw_tables.sql)."
        ) }}
    {%- endif -%}
    {{ return(ref(model_name)) }}
{%- endmacro %}
