{#-
    The data tests of a per-customer model check the rows this build recomputed (D-25). On an
    incremental build the other customers' rows are the previous build's, which passed the same tests.

    The mechanism is dbt's own hook: dbt wraps the model of every generic data test in
    get_where_subquery, which dispatches to default__get_where_subquery (that is where dbt applies a
    test's `where` config). This project's version applies `where` as dbt does and, when the tested model
    is an incremental per-customer model (per_customer_incremental_config, meta customer_scope), adds the
    model's own predicate in_build_scope('customer_id', scope). The predicate reads build_scope, so on a
    full build (or --full-refresh) every row is tested. The keys that can clash across customers
    (event_id, item_id, charge_id: meta unique_across_customers) bring every customer sharing them into
    build_customers_to_recompute, so a scoped uniqueness test still sees every clash.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = per_customer_scope_of(relation) -%}
    {%- if scope -%}
        {%- do conditions.append(in_build_scope('customer_id', scope)) -%}
    {%- endif -%}
    {%- if conditions | length == 0 -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}


{#- The customer scope ('build' or 'marts') of the model a data test reads when it is an incremental
    per-customer model; none otherwise (and at parse time). -#}
{% macro per_customer_scope_of(relation) -%}
    {%- if not execute or relation is string or relation.identifier is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.alias == relation.identifier and node.schema == relation.schema
            and node.config.materialized == 'incremental' -%}
        {{ return(node.config.meta.get('customer_scope')) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
