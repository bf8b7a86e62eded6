{#-
    Incremental builds (DECISIONS.md D-25). A build that starts from the previous build's warehouse file
    recomputes only the customers whose inputs changed. The models of models/build_state/ decide what to
    recompute, once, as data: build_scope (one row: recompute every customer or not, and why, for the
    per-customer models and for the per-customer marts) and build_customers_to_recompute (the customers
    otherwise). The per-customer models (staging of the customer-keyed tables through
    int_customer_mrr_changes, and fct_mrr and fct_mrr_movements) are incremental: a pre-hook deletes the
    rows in the build scope and the model appends them again, computed from all of those customers' rows;
    both filter with the one predicate in_build_scope, and so do their data tests
    (data_tests_in_build_scope.sql). The other marts aggregate over customers and are rebuilt.
-#}

{#- Config of a model that is recomputed per customer on incremental builds. scope: 'build' for the
    models up to int_customer_mrr_changes, 'marts' for the per-customer marts, which also depend on the
    as-of month. Other engines than DuckDB have no landing-folder listing, so every build is full there
    and these models are plain tables. meta customer_scope tells the data tests' hook which scope
    applies. -#}
{% macro per_customer_incremental_config(scope='build') -%}
    {{ config(
        materialized='incremental' if target.type == 'duckdb' else 'table',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_customers_in_build_scope('" ~ scope ~ "') }}",
        meta={'customer_scope': scope}
    ) }}
{%- endmacro %}


{#- A SQL predicate on a customer id column: true for the rows this build (re)computes. It reads the
    decision from build_scope and build_customers_to_recompute at run time: every row when build_scope
    says recompute every customer (recompute_every_customer, or marts_recompute_every_customer for the
    marts scope); otherwise the rows of build_customers_to_recompute and the rows without a customer
    (rejected rows, recomputed every time). A model that is built from scratch (a full build, another
    engine, a unit test) takes every row: (1 = 1). DuckDB plans the customer list as a hash join on the
    recomputed customers, so the filter costs one probe per row whatever their number. -#}
{% macro in_build_scope(customer_column, scope='build') -%}
    {%- if scope not in ('build', 'marts') -%}
        {{ exceptions.raise_compiler_error("in_build_scope: scope must be 'build' or 'marts', not '" ~ scope ~ "'") }}
    {%- endif -%}
    {#- resolved first in every case: in a model, ref() at parse time records the dependency -#}
    {%- set decision = build_state_relation('build_scope') -%}
    {%- set customers = build_state_relation('build_customers_to_recompute') -%}
    {%- if decision is none or customers is none or model.resource_type == 'model' and not is_incremental() -%}
    (1 = 1)
    {%- else -%}
    (
        (select {{ 'marts_' if scope == 'marts' }}recompute_every_customer from {{ decision }})
        or nullif(trim({{ customer_column }}), '') is null
        or trim({{ customer_column }}) in (select customer_id from {{ customers }})
    )
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of the per-customer models: remove the rows that this build recomputes. -#}
{% macro delete_customers_in_build_scope(scope='build') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ in_build_scope('customer_id', scope) }}
    {%- endif -%}
{%- endmacro %}


{#- A model of models/build_state/ as a relation. In a model: ref(), which records the dependency (the
    model runs after the decision). In a data test: the table, looked up without ref() (a test only
    depends on what it tests, and the tested per-customer model ran after the build-state models); none
    when it does not exist. In a unit test: none (its inputs are given rows only). -#}
{% macro build_state_relation(model_name) -%}
    {%- if model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- elif model.resource_type == 'model' -%}
        {{ return(ref(model_name)) }}
    {%- endif -%}
    {{ return(existing_table_of_model(model_name)) }}
{%- endmacro %}
