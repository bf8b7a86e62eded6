{#- PostgreSQL: the BI role reads the marts schema. dbt's `grants` config gives it SELECT on each mart
    table (dbt_project.yml); a role also needs USAGE on the schema to see them. Nothing else is granted:
    raw, staging, intermediate and landing stay private to the role that builds. -#}
{% macro grant_bi_read_access() -%}
    {{ return(adapter.dispatch('grant_bi_read_access', 'saas_warehouse')()) }}
{%- endmacro %}

{% macro default__grant_bi_read_access() -%}
    select 1 as no_grants_on_this_engine
{%- endmacro %}

{% macro postgres__grant_bi_read_access() -%}
    {%- set marts_schema = generate_schema_name('marts', none) -%}
    {%- if execute and adapter.get_relation(database=target.database, schema=marts_schema, identifier='fct_mrr') is not none -%}
    grant usage on schema {{ adapter.quote(marts_schema) }} to {{ adapter.quote(env_var('SAAS_BI_ROLE', 'saas_bi_reader')) }}
    {%- else -%}
    select 1 as marts_not_built
    {%- endif -%}
{%- endmacro %}
